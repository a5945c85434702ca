"""Native-resolution patches on a grid over the photo, at a bounded cost whatever its size.

The photo is cut into ``CELLS`` cells along its long side (and as many square cells across as fit);
a ``TILE``-pixel patch is read at the centre of every cell, at full resolution.  A 24 MP photo gives
12 × 8 = 96 patches of 128² pixels (1.6 MP of pixels looked at); a 300-px photo gives the same grid
of overlapping patches.  Photos smaller than a patch are padded by reflection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from msdunet.io import WIDE_GREY_MODES, grey_levels

TILE = 128
CELLS = 12
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's "L"


@dataclass(frozen=True)
class Grid:
    """Patch centres (x, y) in pixels of the image, one per cell, row by row."""

    columns: int
    rows: int
    centres: np.ndarray  # (rows * columns, 2)


def grid(width: int, height: int, *, cells: int = CELLS) -> Grid:
    cell = max(width, height) / cells
    columns = max(1, round(width / cell))
    rows = max(1, round(height / cell))
    xs = (np.arange(columns) + 0.5) * width / columns
    ys = (np.arange(rows) + 0.5) * height / rows
    cx, cy = np.meshgrid(xs, ys)
    return Grid(columns, rows, np.stack([cx.ravel(), cy.ravel()], axis=1))


def grey(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H,W,3) or (H,W) → float32 grey in [0, 1]; float (H,W) is taken as grey already."""
    if rgb.ndim == 2:
        return rgb.astype(np.float32) if rgb.dtype.kind == "f" else rgb.astype(np.float32) / 255.0
    return (rgb[..., :3].astype(np.float32) @ _LUMA) / 255.0


def judgeable(image: Image.Image) -> Image.Image:
    """``image`` in a mode ``grey`` reads at its scale: L, RGB and F as they are, integer grey (16-bit)
    as F in [0, 1] scaled as ``io.grey_levels`` reads it, any other (P, LA, RGBA, CMYK ...) as RGB."""
    if image.mode in ("L", "RGB", "F"):
        return image
    if image.mode in WIDE_GREY_MODES:
        return Image.fromarray((grey_levels(image) / 255.0).astype(np.float32), mode="F")
    return image.convert("RGB")


def origins(width: int, height: int, cells: Grid, *, tile: int = TILE) -> np.ndarray:
    """Top-left corners (x, y), int, of the ``tile``-px patches centred on ``cells``, clipped into
    the image (at least ``tile`` px on each side)."""
    x0 = np.clip(np.round(cells.centres[:, 0] - tile / 2), 0, width - tile)
    y0 = np.clip(np.round(cells.centres[:, 1] - tile / 2), 0, height - tile)
    return np.stack([x0, y0], axis=1).astype(np.int64)


def patches(image: Image.Image, cells: Grid, *, tile: int = TILE) -> np.ndarray:
    """Grey float32 patches (N, tile, tile) centred on ``cells``, read from ``image`` (PIL, any
    mode) without converting the whole photo."""
    distinct, index = distinct_patches(image, cells, tile=tile)
    return distinct[index]


def reduced_size(width: int, height: int, *, scale: int) -> tuple[int, int]:
    """The size of ``image.reduce(2)`` applied log2(``scale``) times (Pillow rounds each halving up)."""
    while scale > 1:
        width, height, scale = (width + 1) // 2, (height + 1) // 2, scale // 2
    return width, height


def halved(image: Image.Image, *, scale: int) -> Image.Image:
    """``image`` box-halved log2(``scale``) times (``reduced_size`` is its size)."""
    while scale > 1:
        image, scale = image.reduce(2), scale // 2
    return image


def distinct_patches(
    image: Image.Image, cells: Grid, *, tile: int = TILE, scale: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The patches of ``patches``, each distinct one once, and per cell the index of its patch.

    On a photo under ``CELLS × tile`` px the cells' patches overlap, and those clipped at a border
    are the same pixels (a third of them on a 480 × 320 photo): measured once, read for every cell.
    ``scale`` (a power of 2): the patches of the photo halved that often (``cells`` in its pixels),
    each read from its own region of ``image`` halved alone, the same pixels without halving the
    whole photo."""
    width, height = reduced_size(*image.size, scale=scale)
    if scale > 1 and min(width, height) < tile:
        image, scale = halved(image, scale=scale), 1
    if width < tile or height < tile:
        return _padded_patches(image, cells, tile=tile)
    corners, index = np.unique(origins(width, height, cells, tile=tile), axis=0, return_inverse=True)
    out = np.empty((len(corners), tile, tile), dtype=np.float32)
    for i, (x0, y0) in enumerate(corners.tolist()):
        box = (x0 * scale, y0 * scale, min((x0 + tile) * scale, image.width), min((y0 + tile) * scale, image.height))
        out[i] = grey(np.asarray(halved(image.crop(box), scale=scale)))
    return out, index.reshape(-1)


def _padded_patches(image: Image.Image, cells: Grid, *, tile: int) -> tuple[np.ndarray, np.ndarray]:
    width, height = image.size
    pad_y, pad_x = max(0, tile - height), max(0, tile - width)
    whole = grey(np.asarray(image))
    whole = np.pad(whole, ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2)), mode="reflect")
    shifted = Grid(cells.columns, cells.rows, cells.centres + [pad_x // 2, pad_y // 2])
    return distinct_patches(Image.fromarray(whole, mode="F"), shifted, tile=tile)
