"""Streak evidence: the edges a long camera shake erased.

A shake of L px spreads each edge across the streak into a ramp of L px whose gradient, contrast / L,
falls under the edge detector's floor (``msdunet.focus.sharpness``) once L is ~10 px or more: no
edge across the streak is left to measure, the edges along it stay sharp, and the photo reads sharp.
What is left is the ramps' contrast: a blur does not change how much the grey level rises across the
streak, only how steeply.  So, per pair of perpendicular edge directions (0°/90°, 45°/135°) the share
of *sharp edges* (edge pixels counted) is compared with the share of *contrast* (the gradient
component along each direction summed over every pixel above the photo's noise floor):

    score = min over the pair of (edges_a / edges_b) / (contrast_a / contrast_b)

About 1 when a photo's edges are as sharp across one direction as across the other, whatever its
content's own orientation (buildings, horizons, water: few edges *and* little contrast one way);
near 0 when the contrast across a direction is there but its edges are gone.  A pair is evidence only
when its weaker direction carries ``EVIDENCE_SHARE`` of the pair's contrast (a scene of horizontal
stripes alone says nothing about horizontal shake, which leaves it unchanged).

The photo's score is taken over its textured patches summed (see ``photo_streak``).  Counts and
contrast come from the same patches the blur estimate reads; one contrast floor for the photo
(``NOISE_TIMES`` its patches' median noise), so that overlapping windows are summed at once
(``window_contrast``).

The projection has a blind spot: lines between two of the four directions (a seam at 10°) give
their contrast to both diagonals but their edges to neither, so a photo of a few tilted lines over
a smooth surface reads as a streak.  A photo under ``msdunet.focus.limits.STREAK_BELOW`` is read a
second time (``binned_contrast``): each pixel's contrast given to its own gradient's direction, as
edges are, on the photo smoothed by ``SMOOTH`` px (a faint texture gone, a streak's ramps kept); it is
shaken when that reading is under ``STREAK_BINNED_BELOW`` too.  Each limit is fitted on synthetic
shake on its own (lab/studies/pixel_blur_streaks.py): the first reading is the more sensitive, the
second does not see the tilted lines, and a shake must show in both.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from msdunet.focus.sharpness import DIRECTIONS, MARGIN, MIN_EDGES, gradient_direction, gradients, noise_level

PAIRS = ((0, 2), (1, 3))  # indices into DIRECTIONS: 0° with 90°, 45° with 135°
EVIDENCE_SHARE = 0.1  # the weaker direction's share of a pair's contrast for the pair to be evidence
NOISE_TIMES = 2.0  # pixels whose gradient is under this many times the photo's noise carry no contrast
MIN_EVIDENCE_EDGES = 4 * MIN_EDGES  # edge pixels a photo needs for its score (four textured patches' minimum)
SMOOTH = 1.5  # Gaussian σ (px) of the photo the second, binned reading is taken on


def contrast_floor(noise: np.ndarray) -> float:
    """The photo's one contrast floor: ``NOISE_TIMES`` the median noise of its patches."""
    finite = np.asarray(noise)[np.isfinite(noise)]  # a NaN pixel's patch: the others decide
    return NOISE_TIMES * float(np.median(finite)) if len(finite) else 0.0


def _directional_maps(gy: np.ndarray, gx: np.ndarray, floor: float) -> np.ndarray:
    """|g·u| per direction (4, ...) where |g| is above ``floor``, 0 elsewhere."""
    below = gx * gx + gy * gy <= np.float32(floor) ** 2
    maps = np.empty((len(DIRECTIONS), *gx.shape), dtype=np.float32)
    np.abs(gx, out=maps[0])
    np.abs(np.add(gx, gy, out=maps[1]), out=maps[1])
    np.abs(gy, out=maps[2])
    np.abs(np.subtract(gx, gy, out=maps[3]), out=maps[3])
    maps[1::2] *= np.float32(np.sqrt(0.5))
    maps *= ~below  # 0 where the gradient is under the floor (the same values as setting them)
    return maps


def contrast_by_direction(patches: np.ndarray, *, noise: np.ndarray | None = None) -> np.ndarray:
    """Per patch (N, 4): the gradient component along each of ``DIRECTIONS``, |g·u|, summed over the
    patch's interior pixels whose gradient is above the photo's ``contrast_floor`` (grey levels / 1);
    ``noise``: the patches' ``noise_level`` when known."""
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    gy, gx = gradients(patches)
    inner = (slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    noise = noise_level(patches) if noise is None else noise
    maps = _directional_maps(gy[inner], gx[inner], contrast_floor(noise))
    return maps.sum(axis=(-2, -1), dtype=np.float64).T


def _bands(starts: np.ndarray, *, length: int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct window interiors along one axis as 0/1 columns (length, bands), and each window's band."""
    distinct, band = np.unique(starts, return_inverse=True)
    along = np.arange(length)[:, None]
    inside = (along >= distinct + MARGIN) & (along < distinct + tile - MARGIN)
    return inside.astype(np.float32), band.reshape(-1)


def window_contrast(grey: np.ndarray, corners: np.ndarray, *, tile: int, noise: np.ndarray) -> np.ndarray:
    """``contrast_by_direction`` of the ``tile``-px windows of ``grey`` (H, W) at ``corners`` (x, y)
    whose noise is ``noise``, from the gradients of the whole photo (the windows of a small photo
    overlap several times over): the same values up to float32 sums, as a window's interior sees no
    border.  Each direction's sums for every distinct row and column band at once: rows' bandsᵀ ·
    map · columns' bands (two small matrix products)."""
    gy, gx = gradients(np.ascontiguousarray(grey, dtype=np.float32)[None])
    maps = _directional_maps(gy[0], gx[0], contrast_floor(noise))
    corners = np.asarray(corners)
    columns, column = _bands(corners[:, 0], length=maps.shape[2], tile=tile)
    rows, row = _bands(corners[:, 1], length=maps.shape[1], tile=tile)
    sums = rows.T @ (maps @ columns)  # (4, row bands, column bands)
    return sums[:, row, column].T.astype(np.float64)


def binned_contrast(patches: np.ndarray, *, noise: np.ndarray | None = None) -> np.ndarray:
    """Per patch (N, 4): the gradient magnitude summed per direction the way edges are counted (each
    pixel to the nearest of ``DIRECTIONS``), on the patches smoothed by ``SMOOTH`` px, over pixels
    above the photo's ``contrast_floor`` (of the patches as they are; ``noise``: their
    ``noise_level`` when known): the second reading."""
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    floor = contrast_floor(noise_level(patches) if noise is None else noise)
    gy, gx = gradients(ndimage.gaussian_filter(patches, SMOOTH, axes=(-2, -1), mode="reflect"))
    inner = (slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    gy, gx = gy[inner], gx[inner]
    magnitude = np.hypot(gx, gy)
    magnitude[magnitude <= floor] = 0
    bins = gradient_direction(gy, gx).astype(np.int64)
    bins += (np.arange(len(patches)) * len(DIRECTIONS))[:, None, None]  # one bin per patch and direction
    sums = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=len(patches) * len(DIRECTIONS))
    return sums.reshape(len(patches), len(DIRECTIONS))


def streak_score(counts: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """Score per row of ``counts`` / ``contrast`` (..., 4): the smallest over the pairs that are
    evidence of (edge ratio) / (contrast ratio), taken the way round that is under 1; NaN: no evidence."""
    counts = np.asarray(counts, dtype=np.float64) + 1.0
    contrast = np.asarray(contrast, dtype=np.float64) + 1e-9
    score = np.full(counts.shape[:-1], np.inf)
    for a, b in PAIRS:
        shift = (counts[..., a] / counts[..., b]) / (contrast[..., a] / contrast[..., b])
        shift = np.minimum(shift, 1.0 / shift)
        weaker = np.minimum(contrast[..., a], contrast[..., b]) / (contrast[..., a] + contrast[..., b])
        score = np.where(weaker >= EVIDENCE_SHARE, np.minimum(score, shift), score)
    return np.where(np.isfinite(score), score, np.nan)


def photo_streak(counts: np.ndarray, contrast: np.ndarray) -> float | None:
    """The photo's score from its textured patches' edge counts and contrast (N, 4), summed (a patch
    without texture, a defocused background, has contrast but no edges in any direction: it would
    make a sharp subject's own orientation look like a streak); None: no evidence (fewer than
    ``MIN_EVIDENCE_EDGES`` edge pixels in all)."""
    counts, contrast = counts.sum(axis=0), contrast.sum(axis=0)
    if counts.sum() < MIN_EVIDENCE_EDGES:
        return None
    score = float(streak_score(counts, contrast))
    return None if np.isnan(score) else round(score, 4)
