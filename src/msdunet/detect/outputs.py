"""What a batch writes per image: the 8-bit blur map and the tinted overlay, and their names.

Each file is written to a temp file in its folder and renamed, so a file under its final name is
complete; ``--skip-existing`` reuses a map only when it reads back whole, at the photo's size.

Outputs mirror the input tree: ``photos/a/IMG_1.jpg`` found in the argument ``photos`` gives
``OUT/a/IMG_1_blur.png``; a file named directly goes to the top of OUT.  No two inputs share an
output: when a name is taken (``a.jpg`` then ``a.png`` in one folder), the later input uses its
whole file name (``a_png``), then a counter.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.inference.protocol import MAP_SIZE  # the map's long side at most (None: the photo's size)
from msdunet.io import Found, ImageReadError, image_size, read_image, read_map
from msdunet.io.files import replacing

OVERLAY_SIDE = 1600
TINT = np.array([40, 110, 255], dtype=np.float32)  # blue: rare in photos, unlike red
TINT_RGB = tuple(int(v) for v in TINT)  # as Pillow takes a colour


def bounded(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled so that the long side is at most ``max_side`` (None: unchanged)."""
    scale = 1.0 if max_side is None else min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def preview(photo: Image.Image, max_side: int = OVERLAY_SIDE, *, full: tuple[int, int] | None = None) -> Image.Image:
    """The photo with its long side at most ``max_side`` (the overlay's base); ``full``: the size of
    the photo ``photo`` was reduced from, which the preview's size is taken from."""
    size = bounded(full or photo.size, max_side)
    return photo if photo.size == size else photo.resize(size, Image.BILINEAR)


def overlay(photo: Image.Image, blur: np.ndarray, max_side: int = OVERLAY_SIDE, strength: float = 0.6) -> Image.Image:
    """The photo with P(blurred) tinted blue, long side at most ``max_side``; ``blur`` is a float map
    in [0, 1] or an 8-bit map.  Pillow's integer compositing (a tenth of the time of float arithmetic
    on 1600 px; within one level of it)."""
    base = preview(photo, max_side)
    levels = blur if blur.dtype == np.uint8 else np.clip(blur * 255.0 + 0.5, 0, 255).astype(np.uint8)
    alpha = Image.fromarray(levels)
    if alpha.size != base.size:
        alpha = alpha.resize(base.size, Image.BILINEAR)
    mask = alpha.point([round(level * strength) for level in range(256)])
    return Image.composite(Image.new("RGB", base.size, TINT_RGB), base, mask)


@dataclass(frozen=True)
class Target:
    """One input's outputs, relative to OUT."""

    map: Path
    overlay: Path


def overlay_of(map_path: Path) -> Path:
    """The overlay that goes with a map (``a/x_blur.png`` → ``a/x_overlay.jpg``): how a reader of the
    report finds it, since the report names only the map."""
    stem = map_path.name.removesuffix("_blur.png")
    return map_path.with_name(f"{stem}_overlay.jpg")


def _bases(name: str) -> Iterator[str]:
    yield Path(name).stem
    whole = name.replace(".", "_")
    yield whole
    for i in itertools.count(2):
        yield f"{whole}_{i}"


def plan_outputs(inputs: list[Found]) -> list[Target]:
    """A distinct target per input, in the input's relative folder (names compared ignoring case,
    as case-insensitive file systems do)."""
    taken: set[str] = set()
    targets = []
    for found in inputs:
        folder = found.rel.parent
        base = next(b for b in _bases(found.rel.name) if (folder / b).as_posix().casefold() not in taken)
        taken.add((folder / base).as_posix().casefold())
        targets.append(Target(folder / f"{base}_blur.png", overlay_of(folder / f"{base}_blur.png")))
    return targets


MAP_FILE = {"format": "PNG", "compress_level": 1}
OVERLAY_FILE = {"format": "JPEG", "quality": 90}


@dataclass(frozen=True)
class Encoded:
    """One input's files as bytes: the map's PNG and, when wanted, the overlay's JPEG."""

    map_png: bytes
    overlay_jpg: bytes | None


def encode_outputs(map8: np.ndarray, photo: Image.Image | None) -> Encoded:
    """An input's files, encoded in memory (written by ``save_encoded``; the Ray engine encodes on its
    workers and writes on the driver)."""
    jpg = _encode(overlay(photo, map8), OVERLAY_FILE) if photo is not None else None
    return Encoded(_encode(Image.fromarray(map8), MAP_FILE), jpg)


def save_encoded(out: Path, target: Target, encoded: Encoded) -> None:
    """Write an input's encoded files under ``out``, the map last, so that a map under its final name
    means both are there."""
    (out / target.map).parent.mkdir(parents=True, exist_ok=True)
    if encoded.overlay_jpg is not None:
        _save(lambda tmp: tmp.write_bytes(encoded.overlay_jpg), out / target.overlay)
    _save(lambda tmp: tmp.write_bytes(encoded.map_png), out / target.map)


def _encode(image: Image.Image, params: dict) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **params)
    return buffer.getvalue()


def _save(write: Callable[[Path], object], path: Path) -> None:
    """``write`` a temp file beside ``path``, then rename it over ``path`` (see ``replacing``)."""
    with replacing(path) as tmp:
        write(tmp)


@dataclass(frozen=True)
class Existing:
    map8: np.ndarray  # the 8-bit map as saved
    size: tuple[int, int]  # the photo's (width, height)


def read_existing(
    out: Path, target: Target, photo: Path, with_overlay: bool, *, map_size: int | None = MAP_SIZE
) -> Existing | None:
    """The 8-bit map a previous run left for ``photo``, or None when it has to be computed again:
    missing, unreadable (truncated, say), of another size than ``map_size`` makes of the photo's,
    or its overlay missing or unreadable."""
    if not (out / target.map).is_file() or (with_overlay and not (out / target.overlay).is_file()):
        return None
    try:
        levels = read_map(out / target.map)
        if with_overlay:
            read_image(out / target.overlay)
        size = image_size(photo)
        if (levels.shape[1], levels.shape[0]) != bounded(size, map_size):
            return None
    except ImageReadError:
        return None
    return Existing(np.rint(levels).astype(np.uint8), size)
