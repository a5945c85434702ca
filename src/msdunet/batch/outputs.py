"""What a batch writes per image: the 8-bit blur map and the tinted overlay, and their names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

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


def output_names(paths: list[Path]) -> list[str]:
    seen: set[str] = set()
    names = []
    for p in paths:
        name = p.stem if p.stem not in seen else p.name.replace(".", "_")
        seen.add(name)
        names.append(name)
    return names


def write_outputs(out: Path, name: str, photo: Image.Image, blur: np.ndarray, with_overlay: bool) -> None:
    Image.fromarray(to_uint8_map(blur)).save(out / f"{name}_blur.png", compress_level=1)
    if with_overlay:
        overlay(photo, blur).save(out / f"{name}_overlay.jpg", quality=90)
