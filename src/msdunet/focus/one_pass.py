"""The classical estimate on a small photo in one pass, instead of patch by patch.

On a photo of a few hundred pixels the grid's 128-px patches overlap several times over (a 480 × 320
photo: 60 distinct patches, 1 MP of pixels for a 0.15 MP photo), so measuring patch by patch filters
every pixel about six times.  Here the photo is filtered once (gradients, edges, re-blurs) and each
patch reads the edge pixels inside it: the same edges (the patch's own noise floor and margin), the
same σ per edge and the same medians, except that a re-blur near a patch's border sees the photo's
real neighbours where the patch alone sees its own reflection (as it still does at the photo's border).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from msdunet.focus.sharpness import (
    DIRECTIONS,
    IMMERKAER,
    MARGIN,
    MIN_DIRECTION_EDGES,
    WINDOW,
    Edges,
    PatchBlur,
    edge_floor,
    edge_pixels,
    ladder_sigmas,
    laplacian_difference,
)
from msdunet.focus.streaks import window_contrast
from msdunet.focus.tiles import Grid, grey, halved, origins, reduced_size

OVERLAP = 2.0  # one pass when the distinct patches hold at least this many times the photo's pixels


def worth_it(*, width: int, height: int, patches: int, tile: int) -> bool:
    """Whether one pass over the photo filters fewer pixels than ``patches`` patches do."""
    return min(width, height) >= tile and patches * tile * tile >= OVERLAP * width * height


@dataclass(frozen=True)
class OnePass:
    """The distinct patches' blur, per cell the index of its patch, and (asked for) their contrast
    per direction (``streaks.contrast_by_direction``'s, from the same photo and noise)."""

    blur: PatchBlur
    index: np.ndarray
    contrast: np.ndarray | None = None


def one_pass_blur(image: Image.Image, cells: Grid, *, scale: int, tile: int, contrast: bool = False) -> OnePass | None:
    """The blur of the distinct patches of ``cells`` on ``image`` halved log2(``scale``) times, in
    one pass (with ``contrast``, their contrast too); None where patch by patch filters fewer pixels."""
    width, height = reduced_size(*image.size, scale=scale)
    if min(width, height) < tile:
        return None
    corners, index = np.unique(origins(width, height, cells, tile=tile), axis=0, return_inverse=True)
    if not worth_it(width=width, height=height, patches=len(corners), tile=tile):
        return None
    photo = grey(np.asarray(halved(image, scale=scale)))
    if not np.isfinite(photo).all():  # a NaN would lift every patch's floor: patch by patch, it stays in its own
        return None
    noise = window_noise(photo, corners, tile=tile)
    return OnePass(
        blur=patch_blur_one_pass(photo, corners, tile=tile, noise=noise), index=index.reshape(-1),
        contrast=window_contrast(photo, corners, tile=tile, noise=noise) if contrast else None,
    )  # fmt: skip


def window_noise(grey: np.ndarray, corners: np.ndarray, *, tile: int) -> np.ndarray:
    """Immerkær's noise σ of each ``tile``-px patch at ``corners`` (x, y), as
    ``sharpness.noise_level`` reads it from the patch alone: the mean |Laplacian difference| of its
    interior, here from one Laplacian of the whole photo summed over each window (a summed-area
    table, made only on the rows the windows' corners read)."""
    lap = np.abs(laplacian_difference(grey.astype(np.float64)))
    x0, y0, side = corners[:, 0], corners[:, 1], tile - 2
    rows, at = np.unique(np.concatenate([y0, y0 + side]), return_inverse=True)
    table = np.zeros((len(rows), lap.shape[1] + 1))  # the table's rows ``rows``: row y sums lap[:y, :x]
    below = rows > 0
    table[below, 1:] = lap.cumsum(axis=0)[rows[below] - 1].cumsum(axis=1)
    top, bottom = at[: len(y0)], at[len(y0) :]
    total = table[bottom, x0 + side] - table[top, x0 + side] - table[bottom, x0] + table[top, x0]
    return (IMMERKAER * total / (side * side)).astype(np.float32)


def patch_blur_one_pass(grey: np.ndarray, corners: np.ndarray, *, tile: int, noise: np.ndarray) -> PatchBlur:
    """Per patch at ``corners`` (x, y; each ``tile`` px inside ``grey``, float32 (H, W) in [0, 1]) with
    its ``noise`` (``window_noise``): median σ per edge direction and edge counts, as
    ``sharpness.patch_blur`` of the patches."""
    floors = edge_floor(noise)
    photo = np.ascontiguousarray(grey, dtype=np.float32)[None]
    mask, direction, magnitude = edge_pixels(photo, floor=floors.min(keepdims=True))
    edges = Edges.of(mask, direction)
    sigma = ladder_sigmas(photo, edges, edges.steepest(magnitude))
    by_sigma = np.argsort(sigma)  # the edges in σ order: each patch's pick below stays sorted
    sigma, direction = sigma[by_sigma], edges.direction[by_sigma]
    y, x = edges.ys[by_sigma, WINDOW], edges.xs[by_sigma, WINDOW]
    strength = magnitude[0, y, x]
    lefts, column = np.unique(corners[:, 0], return_inverse=True)  # the grid's few distinct columns and rows
    tops, row = np.unique(corners[:, 1], return_inverse=True)
    by_direction = np.full((len(corners), len(DIRECTIONS)), np.nan, dtype=np.float32)
    counts = np.zeros((len(corners), len(DIRECTIONS)), dtype=np.int32)
    for d in range(len(DIRECTIONS)):
        one = direction == d
        yd, xd = y[one], x[one]
        in_column = (xd >= lefts[:, None] + MARGIN) & (xd < lefts[:, None] + tile - MARGIN)  # (columns, E)
        in_row = (yd >= tops[:, None] + MARGIN) & (yd < tops[:, None] + tile - MARGIN)
        inside = in_column[column.ravel()] & in_row[row.ravel()] & (strength[one] > floors[:, None])  # (patches, E)
        counts[:, d], by_direction[:, d] = sorted_medians(sigma[one], inside)
    return PatchBlur(by_direction, counts)


def sorted_medians(sigma: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``inside`` (patches × edges, bool), the count of its edges and, with
    ``MIN_DIRECTION_EDGES`` or more, their median σ (``sigma`` ascending: each row's pick is sorted,
    so its median is read at its middle ranks, as ``sharpness.medians`` reads it, without a sort)."""
    counts = np.count_nonzero(inside, axis=1)
    middle = np.full(len(counts), np.nan, dtype=np.float32)
    voting = np.flatnonzero(counts >= MIN_DIRECTION_EDGES)
    if len(voting):
        picked = np.flatnonzero(inside)  # row by row, each row's edges in σ order
        starts, sizes = (np.cumsum(counts) - counts)[voting], counts[voting]
        offset = voting * inside.shape[1]
        low, high = picked[starts + (sizes - 1) // 2] - offset, picked[starts + sizes // 2] - offset
        middle[voting] = (sigma[low] + sigma[high]) / np.float32(2)  # np.median's
    return counts, middle
