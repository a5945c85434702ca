"""Test material of ``python -m lab bursts_study``, made from real photos with blur of known size.

* **Synthetic bursts**: a benchmark photo shot 3–5 times, each shot re-framed (a crop of 90 % ± 3 %
  of the photo at a random place: shifts up to ~5 %, zoom up to 3 %) and blurred by its own kernel
  (``msdunet.training.synthetic_blur``: Gaussian, disk, straight or curved shake), then recorded with
  light noise and JPEG q90.  The sharpest shot has σ 0 or 0.5 px, each other one σ more by a gap of
  0.5, 1, 2 or 3 px.
* **Video**: windows of frames from one photo each, panning 2 px a frame; one frame per window left
  sharp, the others blurred by σ 0.8–3 px; H.264 (CRF 18) written with PyAV.
* **Timing photos**: camera-size JPEGs (upscaled benchmark photos with sensor-like noise) with an EXIF
  capture time and, like a camera's, an EXIF thumbnail (or without one: the slow path).
"""

from __future__ import annotations

import io
import itertools
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.data.sources import dataset_samples
from msdunet.io import read_image
from msdunet.training import synthetic_blur as sb

GAPS = (0.5, 1.0, 2.0, 3.0)  # σ more than the sharpest shot, px
KINDS = sb.KINDS
FRAMING = 0.9  # a shot is this share of the photo (± ZOOM)
ZOOM = 0.03


def source_photos(data: str | None, count: int) -> list[tuple[str, Image.Image]]:
    """``count`` photos, alternately from DUT test and CUHK (Kim's test split), evenly spread."""
    dut, cuhk = dataset_samples("dut", "test", data), dataset_samples("cuhk", "kim_test", data)
    picked = []
    for i in range(count):
        pool = dut if i % 2 == 0 else cuhk
        sample = pool[(i // 2 * 7) % len(pool)]
        picked.append((f"{'dut' if pool is dut else 'cuhk'}/{sample.stem}", read_image(sample.image)))
    return picked


def _as_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def blurred(image: np.ndarray, *, kind: str, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` (float RGB) blurred by a ``kind`` kernel of σ (0: as it is)."""
    return image if sigma <= 0 else sb.blur(image, sb.make_kernel(kind, sigma, rng))


def recorded(image: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Light noise and JPEG q90, as a camera would."""
    out = sb.camera(np.clip(image, 0, 1), rng, noise=0.004, quality=90)
    return Image.fromarray(np.round(out * 255).astype(np.uint8))


def reframed(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A crop of FRAMING ± ZOOM of ``photo`` at a random place, at FRAMING's size."""
    width, height = photo.size
    size = (round(width * FRAMING) // 2 * 2, round(height * FRAMING) // 2 * 2)
    zoom = rng.uniform(1 - ZOOM, 1 + ZOOM)
    w, h = min(width, size[0] * zoom), min(height, size[1] * zoom)
    x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
    return photo.resize(size, Image.BILINEAR, box=(x, y, x + w, y + h))


@dataclass(frozen=True)
class BurstShot:
    scene: int
    sigma: float  # px, 0 = not blurred
    kind: str
    image: Image.Image


def burst(photo: Image.Image, *, scene: int, rng: np.random.Generator) -> list[BurstShot]:
    """3–5 shots of ``photo`` (see the module's docstring), the sharpest first."""
    count = int(rng.integers(3, 6))
    sharpest = float(rng.choice([0.0, 0.5], p=[0.6, 0.4]))
    sigmas = [sharpest] + [sharpest + float(rng.choice(GAPS)) for _ in range(count - 1)]
    shots = []
    for sigma in sigmas:
        kind = str(rng.choice(KINDS))
        image = _as_float(reframed(photo, rng))
        shots.append(BurstShot(scene, sigma, kind, recorded(blurred(image, kind=kind, sigma=sigma, rng=rng), rng)))
    return shots


def write_video(path: Path, frames: Iterable[Image.Image], *, fps: int, crf: int = 18) -> None:
    """H.264 (yuv420p) of ``frames`` (any iterable: a generator keeps one frame in memory) through PyAV."""
    import av

    frames = iter(frames)
    first = next(frames)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = first.size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        for image in itertools.chain([first], frames):
            container.mux(stream.encode(av.VideoFrame.from_image(image)))
        container.mux(stream.encode())


def video_window(
    photo: Image.Image, *, frames: int, size: tuple[int, int], rng: np.random.Generator
) -> tuple[list[Image.Image], int, list[float]]:
    """One window: ``frames`` frames panning over ``photo`` (2 px a frame), one of them sharp; returns
    the frames, the sharp one's index and every frame's σ."""
    width, height = size
    photo = photo.resize((width + 2 * frames + 8, height + 8), Image.BICUBIC)  # room to pan
    sharp = int(rng.integers(frames))
    sigmas = [0.0 if k == sharp else float(rng.uniform(0.8, 3.0)) for k in range(frames)]
    out = []
    for k, sigma in enumerate(sigmas):
        crop = _as_float(photo.crop((2 * k, 4, 2 * k + width, 4 + height)))
        out.append(recorded(blurred(crop, kind=str(rng.choice(KINDS)), sigma=sigma, rng=rng), rng))
    return out, sharp, sigmas


def exif_bytes(*, taken: str, thumbnail: Image.Image | None) -> bytes:
    """EXIF (APP1 payload) with DateTimeOriginal and, when given, a JPEG thumbnail in IFD1."""
    text = taken.encode() + b"\x00"  # 20 bytes, ASCII
    data = b""
    if thumbnail is not None:
        buffer = io.BytesIO()
        thumbnail.save(buffer, format="JPEG", quality=85)
        data = buffer.getvalue()
    # layout: header 8 | IFD0 (1 entry) 18 | Exif IFD 18 | date 20 | IFD1 (2 entries) 30 | thumbnail
    ifd0_at, exif_at = 8, 26
    date_at, ifd1_at = exif_at + 18, exif_at + 18 + len(text)
    thumb_at = ifd1_at + 30
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, exif_at)
    ifd0 += struct.pack("<I", ifd1_at if data else 0)
    exif_ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x9003, 2, len(text), date_at) + struct.pack("<I", 0)
    ifd1 = struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(data)) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", ifd0_at) + ifd0 + exif_ifd + text + (ifd1 + data if data else b"")
    return b"Exif\x00\x00" + tiff


def camera_photo(base: np.ndarray, *, shift: int, rng: np.random.Generator) -> np.ndarray:
    """A camera-size uint8 photo: ``base`` shifted by ``shift`` px with fresh sensor-like noise."""
    noise = rng.normal(0, 4, base.shape[:2]).astype(np.float32)[..., None]
    return np.clip(np.roll(base, shift, axis=1) + noise, 0, 255).astype(np.uint8)
