"""Blur in pixels from edges: the gradient ratio after re-blurring, per edge direction.

An edge blurred by a Gaussian of σ has a steepest gradient A / (√(2π)·σ); blurred again by a known
Gaussian σ0 it has A / (√(2π)·√(σ² + σ0²)).  The ratio R of the two gives σ = σ0 / √(R² − 1) at
every edge pixel, whatever the edge's contrast A (Zhuo & Sim 2011, "Defocus map estimation from a
single image").  Here it is taken:

- at edge pixels only: peaks of the gradient magnitude along the gradient (non-maximum suppression),
  above a contrast floor and above the patch's own noise (Immerkær's estimate), away from the border;
- per edge direction (0°, 45°, 90°, 135°): camera shake smears edges across the streak and leaves
  edges along it sharp, so a photo's blur is the *largest* of its per-direction medians
  (``major``) and its shape is the ratio to the smallest (``minor``);
- with the re-blur σ0 picked per pixel from a ladder (0.7 … 5.6 px) nearest the first estimate, as
  the ratio is best conditioned where σ0 ≈ σ.

On a perfectly sharp edge the discrete gradient is itself a blur of ≈ 0.6–0.8 px, so raw estimates
have a floor: ``calibrated`` removes it (σ² − floor², fitted on synthetic blur: lab/studies/
pixel_blur.py, reports/pixel_blur.json).  No I/O; float32 patches in [0, 1], (N, H, W).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

DIRECTIONS = (0, 45, 90, 135)  # of the gradient (the edge's normal), degrees
REBLUR_LADDER = (0.7, 1.4, 2.8, 5.6)
FIRST_REBLUR = 1.4
MARGIN = 8  # edge pixels this close to a patch border are not used (the re-blur sees past it)
CONTRAST_FLOOR = 0.02  # gradient magnitude (grey levels / 1, per pixel) below which nothing is an edge
NOISE_FACTOR = 6.0  # ... nor below this many times the patch's noise
MIN_EDGES = 20  # a patch with fewer edge pixels has no texture to judge
MIN_DIRECTION_EDGES = 5  # a direction with fewer edge pixels does not vote
SIGMA_RANGE = (0.05, 60.0)


@dataclass(frozen=True)
class PatchBlur:
    """Per patch: blur σ (px of the patch) across each edge direction, and edge counts.

    ``by_direction`` is NaN where a direction has fewer than ``MIN_DIRECTION_EDGES`` edges."""

    by_direction: np.ndarray  # (N, 4) median σ per direction
    counts: np.ndarray  # (N, 4) edge pixels per direction

    @property
    def textured(self) -> np.ndarray:
        return (self.counts.sum(axis=1) >= MIN_EDGES) & np.isfinite(self.by_direction).any(axis=1)

    @property
    def major(self) -> np.ndarray:
        """Largest per-direction σ (NaN for untextured patches): the blur of the patch."""
        return _masked(self, np.fmax.reduce)

    @property
    def minor(self) -> np.ndarray:
        """Smallest per-direction σ: equal to ``major`` for defocus, smaller for shake."""
        return _masked(self, np.fmin.reduce)


def _masked(blur: PatchBlur, reduce) -> np.ndarray:
    out = np.full(len(blur.counts), np.nan, dtype=np.float32)
    ok = blur.textured
    if ok.any():
        out[ok] = reduce(blur.by_direction[ok], axis=1)
    return out


def noise_level(patches: np.ndarray) -> np.ndarray:
    """Immerkær's fast noise σ per patch: the mean |Laplacian difference| of the interior."""
    p = patches
    lap = (
        p[:, :-2, :-2] - 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:]
        - 2 * p[:, 1:-1, :-2] + 4 * p[:, 1:-1, 1:-1] - 2 * p[:, 1:-1, 2:]
        + p[:, 2:, :-2] - 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]
    )  # fmt: skip
    return np.sqrt(np.pi / 2) / 6 * np.abs(lap).mean(axis=(1, 2))


def gradients(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences (gy, gx), zero on the border rows and columns."""
    gy = np.zeros_like(patches)
    gx = np.zeros_like(patches)
    gy[:, 1:-1, :] = (patches[:, 2:, :] - patches[:, :-2, :]) / 2
    gx[:, :, 1:-1] = (patches[:, :, 2:] - patches[:, :, :-2]) / 2
    return gy, gx


_NEIGHBOURS = {0: (0, 1), 1: (1, 1), 2: (1, 0), 3: (1, -1)}  # (dy, dx) along the normal, per direction


def edge_pixels(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge mask (N,H,W), direction index (N,H,W) and gradient magnitude (N,H,W)."""
    gy, gx = gradients(patches)
    magnitude = np.hypot(gx, gy)
    angle = np.degrees(np.arctan2(gy, gx)) % 180.0
    direction = (np.round(angle / 45.0).astype(np.int8)) % 4
    peak = np.zeros(patches.shape, dtype=bool)
    for index, (dy, dx) in _NEIGHBOURS.items():
        ahead = np.roll(magnitude, shift=(-dy, -dx), axis=(1, 2))
        behind = np.roll(magnitude, shift=(dy, dx), axis=(1, 2))
        peak |= (direction == index) & (magnitude >= ahead) & (magnitude > behind)
    floor = np.maximum(CONTRAST_FLOOR, NOISE_FACTOR * noise_level(patches))[:, None, None]
    edges = peak & (magnitude > floor)
    edges[:, :MARGIN] = edges[:, -MARGIN:] = False
    edges[:, :, :MARGIN] = edges[:, :, -MARGIN:] = False
    return edges, direction, magnitude


def sigma_at(patches: np.ndarray, magnitude: np.ndarray, edges: np.ndarray, reblur: float) -> np.ndarray:
    """σ at the edge pixels (flat, in ``edges`` order) from the ratio after re-blurring by ``reblur``."""
    blurred = ndimage.gaussian_filter(patches, sigma=(0, reblur, reblur), mode="reflect", truncate=3.0)
    by, bx = gradients(blurred)
    again = np.hypot(bx[edges], by[edges])
    ratio = magnitude[edges] / np.maximum(again, 1e-6)
    excess = np.maximum(ratio * ratio - 1.0, 1e-8)
    return np.clip(reblur / np.sqrt(excess), *SIGMA_RANGE).astype(np.float32)


def edge_sigmas(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """σ per edge pixel, with the pixel's patch index and direction index (flat arrays)."""
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    edges, direction, magnitude = edge_pixels(patches)
    first = sigma_at(patches, magnitude, edges, FIRST_REBLUR)
    ladder = np.asarray(REBLUR_LADDER, dtype=np.float32)
    pick = np.abs(np.log(first[:, None]) - np.log(ladder[None, :])).argmin(axis=1)
    sigma = first.copy()
    for rung, reblur in enumerate(REBLUR_LADDER):
        if reblur == FIRST_REBLUR or not (pick == rung).any():
            continue
        sigma_rung = sigma_at(patches, magnitude, edges, reblur)
        sigma[pick == rung] = sigma_rung[pick == rung]
    patch_index = np.nonzero(edges)[0]
    return sigma, patch_index, direction[edges]


def patch_blur(patches: np.ndarray) -> PatchBlur:
    """Median σ per patch and edge direction (see the module's docstring)."""
    n = len(patches)
    by_direction = np.full((n, len(DIRECTIONS)), np.nan, dtype=np.float32)
    counts = np.zeros((n, len(DIRECTIONS)), dtype=np.int32)
    if n == 0:
        return PatchBlur(by_direction, counts)
    sigma, patch_index, direction = edge_sigmas(patches)
    if len(sigma) == 0:
        return PatchBlur(by_direction, counts)
    cell = patch_index.astype(np.int64) * len(DIRECTIONS) + direction
    order = np.argsort(cell, kind="stable")
    cell, sigma = cell[order], sigma[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    ends = np.r_[starts[1:], len(cell)]
    for start, end in zip(starts, ends, strict=True):
        i, d = divmod(int(cell[start]), len(DIRECTIONS))
        counts[i, d] = end - start
        if end - start >= MIN_DIRECTION_EDGES:
            by_direction[i, d] = np.median(sigma[start:end])
    return PatchBlur(by_direction, counts)


def calibrated(sigma: np.ndarray | float, *, floor: float) -> np.ndarray:
    """Raw estimates less the discrete gradient's own blur: √(max(σ² − floor², 0))."""
    sigma = np.asarray(sigma, dtype=np.float32)
    return np.sqrt(np.maximum(sigma * sigma - floor * floor, 0.0))
