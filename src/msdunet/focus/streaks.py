"""Streak evidence: the edges a long camera shake erased.

A shake of L px spreads each edge across the streak into a ramp of L px whose gradient, contrast / L,
falls under the edge detector's floor (``msdunet.focus.sharpness``) once L is ~10 px or more: no
edge across the streak is left to measure, the edges along it stay sharp, and the photo reads sharp.
What is left is the ramps' contrast: a blur does not change how much the grey level rises across the
streak, only how steeply.  So, per pair of perpendicular edge directions (0°/90°, 45°/135°) the share
of *sharp edges* (edge pixels counted) is compared with the share of *contrast* (the gradient
component along each direction summed over every pixel above the patch's noise):

    score = min over the pair of (edges_a / edges_b) / (contrast_a / contrast_b)

About 1 when a photo's edges are as sharp across one direction as across the other, whatever its
content's own orientation (buildings, horizons, water: few edges *and* little contrast one way);
near 0 when the contrast across a direction is there but its edges are gone.  A pair is evidence only
when its weaker direction carries ``EVIDENCE_SHARE`` of the pair's contrast (a scene of horizontal
stripes alone says nothing about horizontal shake, which leaves it unchanged).

The photo's score is taken over its textured patches summed (see ``photo_streak``); a photo scoring under
``msdunet.focus.limits.STREAK_BELOW`` (fitted on synthetic shake: lab/studies/pixel_blur_streaks.py)
is shaken.  Counts and contrast come from the same patches the blur estimate reads.
"""

from __future__ import annotations

import numpy as np

from msdunet.focus.sharpness import DIRECTIONS, MARGIN, MIN_EDGES, gradients, noise_level

PAIRS = ((0, 2), (1, 3))  # indices into DIRECTIONS: 0° with 90°, 45° with 135°
EVIDENCE_SHARE = 0.1  # the weaker direction's share of a pair's contrast for the pair to be evidence
NOISE_TIMES = 2.0  # pixels whose gradient is under this many times the patch's noise carry no contrast
MIN_EVIDENCE_EDGES = 4 * MIN_EDGES  # edge pixels a photo needs for its score (four textured patches' minimum)


def _directional(gy: np.ndarray, gx: np.ndarray, floor) -> np.ndarray:
    """Σ |g·u| per direction (..., 4) over the last two axes, where |g| is above ``floor``."""
    above = gx * gx + gy * gy > np.square(floor)
    gx, gy = np.where(above, gx, 0), np.where(above, gy, 0)
    axes = (-2, -1)
    diagonal = np.float32(np.sqrt(0.5))
    sums = (np.abs(gx).sum(axis=axes), np.abs(gx + gy).sum(axis=axes) * diagonal,
            np.abs(gy).sum(axis=axes), np.abs(gx - gy).sum(axis=axes) * diagonal)  # fmt: skip
    return np.stack(sums, axis=-1)


def contrast_by_direction(patches: np.ndarray) -> np.ndarray:
    """Per patch (N, 4): the gradient component along each of ``DIRECTIONS``, |g·u|, summed over the
    patch's interior pixels whose gradient is above ``NOISE_TIMES`` its noise (grey levels / 1)."""
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    gy, gx = gradients(patches)
    inner = (slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    floor = (NOISE_TIMES * noise_level(patches))[:, None, None]
    return _directional(gy[inner], gx[inner], floor).astype(np.float64)


def window_contrast(grey: np.ndarray, corners: np.ndarray, *, tile: int, noise: np.ndarray) -> np.ndarray:
    """``contrast_by_direction`` of the ``tile``-px windows of ``grey`` (H, W) at ``corners`` (x, y),
    each with its ``noise``, from the gradients of the whole photo (one pass: the windows of a small
    photo overlap several times over); the same values, as a window's interior sees no border."""
    gy, gx = gradients(np.ascontiguousarray(grey, dtype=np.float32)[None])
    out = np.empty((len(corners), len(DIRECTIONS)), dtype=np.float64)
    inner = tile - MARGIN
    for i, (x0, y0) in enumerate(np.asarray(corners).tolist()):
        window = (0, slice(y0 + MARGIN, y0 + inner), slice(x0 + MARGIN, x0 + inner))
        out[i] = _directional(gy[window], gx[window], NOISE_TIMES * float(noise[i]))
    return out


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
