"""A compact training cache of one split: images and masks resized to size×size, in one ``.npz``.

Why: decoding 1 000 photos of up to 6 600 px takes minutes; the pack loads in seconds, and (as
JPEG) is small enough to travel to an accelerator.  Loaded with ``allow_pickle=False``.

Contents: ``stems`` (str), ``masks`` (N,S,S) uint8 0/1, and either ``images`` (N,S,S,3) uint8
(``image_format="raw"``) or ``jpeg`` bytes + ``offsets`` (``image_format="jpeg"``, quality
``JPEG_QUALITY``, 4:4:4 chroma: DUT + CUHK Kim train and test together stay under 50 MB; the cost in maxF is
measured in reports/accuracy_jpeg.md).  The JPEGs are written with optimised Huffman tables, progressive:
that changes only the entropy coding, so they decode to the same pixels in fewer bytes (what travels to
an accelerator is limited; ``tests/test_data.py`` checks the pixels).

Mask decisions (each is counted and printed in the summary, nothing is dropped silently):

* grey / RGB / RGBA masks → grey → binary at 127 (``io.read_mask``);
* a mask of another size than its image but the same aspect ratio (±1 %) is used as it is — both
  are resized to size×size anyway (DUT train 1015);
* a mask whose aspect ratio differs from its image's is skipped as misaligned (DUT train 986);
* all-blurred or all-sharp masks are kept (DUT train 567 looks right; DUT test 181 is broken but
  kept in test packs so that DUT scores stay comparable with published ones).
"""

from __future__ import annotations

import io as _io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.data.sources import Sample
from msdunet.io import ImageReadError, read_image, read_mask

ASPECT_TOLERANCE = 0.01
JPEG_QUALITY = 90
JPEG_OPTIONS = {"quality": JPEG_QUALITY, "subsampling": 0, "optimize": True, "progressive": True}


@dataclass
class PackSummary:
    packed: list[str] = field(default_factory=list)
    resized_masks: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    constant_masks: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"packed {len(self.packed)} image/mask pairs"]
        if self.resized_masks:
            out.append(f"masks of another size than their image, same aspect, resized: {self.resized_masks}")
        if self.constant_masks:
            out.append(f"masks all one class, kept: {self.constant_masks}")
        for stem, why in self.skipped.items():
            out.append(f"skipped {stem}: {why}")
        return out


def resize_pair(image: Image.Image, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Image (bilinear, antialiased) and mask (bilinear on 0/255, then > 127) to size×size."""
    img = np.asarray(image.resize((size, size), Image.BILINEAR), dtype=np.uint8)
    m = Image.fromarray(mask.astype(np.uint8) * 255).resize((size, size), Image.BILINEAR)
    return img, (np.asarray(m) > 127).astype(np.uint8)


def load_pair(sample: Sample, summary: PackSummary, white_is_blurred: bool = True):
    """Read one pair applying the mask decisions above; None when skipped."""
    try:
        image = read_image(sample.image)
        mask = read_mask(sample.mask, white_is_blurred)
    except ImageReadError as exc:
        summary.skipped[sample.stem] = str(exc)
        return None
    mh, mw = mask.shape
    if (mw, mh) != image.size:
        if abs(mw / mh - image.width / image.height) > ASPECT_TOLERANCE * image.width / image.height:
            summary.skipped[sample.stem] = (
                f"mask {mw}x{mh} and image {image.width}x{image.height} differ in aspect ratio (misaligned)"
            )
            return None
        summary.resized_masks.append(sample.stem)
    if mask.all() or not mask.any():
        summary.constant_masks.append(sample.stem)
    return image, mask


def build_pack(
    samples: list[Sample],
    out: str | os.PathLike,
    *,
    size: int = 256,
    image_format: str = "jpeg",
    white_is_blurred: bool = True,
    progress=None,
) -> PackSummary:
    """Write the pack to ``out`` (atomically) and return what was done to the masks."""
    if image_format not in ("jpeg", "raw"):
        raise ValueError("image_format is 'jpeg' or 'raw'")
    summary = PackSummary()
    images, masks, stems = [], [], []
    for sample in progress(samples) if progress else samples:
        pair = load_pair(sample, summary, white_is_blurred)
        if pair is None:
            continue
        img, m = resize_pair(*pair, size)
        if image_format == "jpeg":
            buf = _io.BytesIO()
            Image.fromarray(img).save(buf, "JPEG", **JPEG_OPTIONS)
            img = np.frombuffer(buf.getvalue(), dtype=np.uint8)
        images.append(img)
        masks.append(m)
        stems.append(sample.stem)
    summary.packed = stems
    arrays = {"stems": np.array(stems, dtype=str), "masks": np.stack(masks), "size": np.array(size)}
    if image_format == "jpeg":
        arrays["offsets"] = np.cumsum([0] + [len(b) for b in images]).astype(np.int64)
        arrays["jpeg"] = np.concatenate(images)
    else:
        arrays["images"] = np.stack(images)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    return summary


@dataclass
class Pack:
    stems: list[str]
    images: np.ndarray  # (N,S,S,3) uint8
    masks: np.ndarray  # (N,S,S) uint8 0/1


def load_pack(path: str | os.PathLike) -> Pack:
    with np.load(path, allow_pickle=False) as data:
        stems = [str(s) for s in data["stems"]]
        masks = data["masks"]
        if "images" in data:
            images = data["images"]
        else:
            blob, offsets = data["jpeg"], data["offsets"]
            images = np.stack(
                [
                    np.asarray(Image.open(_io.BytesIO(blob[a:b].tobytes())).convert("RGB"))
                    for a, b in zip(offsets[:-1], offsets[1:], strict=True)
                ]
            )
    return Pack(stems, images, masks)


def concat_packs(packs: list[Pack]) -> Pack:
    return Pack(
        [s for p in packs for s in p.stems],
        np.concatenate([p.images for p in packs]),
        np.concatenate([p.masks for p in packs]),
    )
