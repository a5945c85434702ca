"""What a batch writes per image: the 8-bit blur map and the tinted overlay, and their names.

Outputs mirror the input tree: ``photos/a/IMG_1.jpg`` found in the argument ``photos`` gives
``OUT/a/IMG_1_blur.png``; a file named directly goes to the top of OUT.  No two inputs share an
output: when a name is taken (``a.jpg`` then ``a.png`` in one folder), the later input uses its
whole file name (``a_png``), then a counter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.io import Found
from msdunet.metrics import to_uint8_map

OVERLAY_SIDE = 1600
TINT = np.array([40, 110, 255], dtype=np.float32)  # blue: rare in photos, unlike red


def overlay(photo: Image.Image, blur: np.ndarray, max_side: int = OVERLAY_SIDE, strength: float = 0.6) -> Image.Image:
    """The photo with P(blurred) tinted blue, long side at most ``max_side``."""
    scale = min(1.0, max_side / max(photo.size))
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    rgb = np.asarray(photo.resize(size, Image.BILINEAR) if photo.size != size else photo, dtype=np.float32)
    alpha = np.asarray(Image.fromarray(blur).resize(size, Image.BILINEAR), dtype=np.float32)[..., None] * strength
    return Image.fromarray((rgb * (1 - alpha) + TINT * alpha + 0.5).astype(np.uint8))


@dataclass(frozen=True)
class Target:
    """One input's outputs, relative to OUT."""

    map: Path
    overlay: Path


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
        targets.append(Target(folder / f"{base}_blur.png", folder / f"{base}_overlay.jpg"))
    return targets


def write_outputs(out: Path, target: Target, photo: Image.Image, blur: np.ndarray, with_overlay: bool) -> None:
    (out / target.map).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_uint8_map(blur)).save(out / target.map, compress_level=1)
    if with_overlay:
        overlay(photo, blur).save(out / target.overlay, quality=90)
