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

from msdunet.focus import rungs

DIRECTIONS = (0, 45, 90, 135)  # of the gradient (the edge's normal), degrees
REBLUR_LADDER = (0.7, 1.4, 2.8, 5.6)
FIRST_REBLUR = 1.4
MARGIN = 8  # edge pixels this close to a patch border are not used (the re-blur sees past it)
CONTRAST_FLOOR = 0.05  # gradient magnitude (grey levels / 1, per pixel) below which nothing is an edge
NOISE_FACTOR = 6.0  # ... nor below this many times the patch's noise
MIN_EDGES = 40  # a patch with fewer edge pixels has no texture to judge
MIN_DIRECTION_EDGES = 40  # a direction with fewer edge pixels in a patch does not vote (its median is noise)
SIGMA_RANGE = (0.05, 60.0)
WINDOW = 6  # px along the normal in which the steepest gradient is sought (a ramp of σ ≈ 3.5 px)


class AcrossDirections:
    """``major`` and ``minor`` of anything with ``by_direction`` (N, 4) and ``textured`` (N,): a
    patch's blur here, a grid cell's in ``msdunet.focus.judgement``."""

    by_direction: np.ndarray
    textured: np.ndarray

    @property
    def major(self) -> np.ndarray:
        """Largest per-direction σ (NaN without texture): the blur of the patch."""
        return across_directions(self.by_direction, self.textured, np.fmax.reduce)

    @property
    def minor(self) -> np.ndarray:
        """Smallest per-direction σ: equal to ``major`` for defocus, smaller for shake."""
        return across_directions(self.by_direction, self.textured, np.fmin.reduce)


@dataclass(frozen=True)
class PatchBlur(AcrossDirections):
    """Per patch: blur σ (px of the patch) across each edge direction, and edge counts.

    ``by_direction`` is NaN where a direction has fewer than ``MIN_DIRECTION_EDGES`` edges."""

    by_direction: np.ndarray  # (N, 4) median σ per direction
    counts: np.ndarray  # (N, 4) edge pixels per direction

    @property
    def textured(self) -> np.ndarray:
        return (self.counts.sum(axis=1) >= MIN_EDGES) & np.isfinite(self.by_direction).any(axis=1)


def across_directions(by_direction: np.ndarray, textured: np.ndarray, reduce) -> np.ndarray:
    """``reduce`` (``np.fmax.reduce`` / ``np.fmin.reduce``) over the directions of each textured row
    of ``by_direction`` (N, 4); NaN for the untextured rows."""
    out = np.full(len(textured), np.nan, dtype=np.float32)
    if textured.any():
        out[textured] = reduce(by_direction[textured], axis=1)
    return out


IMMERKAER = np.sqrt(np.pi / 2) / 6  # noise σ per unit of mean |Laplacian difference|


def laplacian_difference(p: np.ndarray) -> np.ndarray:
    """Immerkær's Laplacian difference over the last two axes (the interior: 2 px smaller)."""
    return (
        p[..., :-2, :-2] - 2 * p[..., :-2, 1:-1] + p[..., :-2, 2:]
        - 2 * p[..., 1:-1, :-2] + 4 * p[..., 1:-1, 1:-1] - 2 * p[..., 1:-1, 2:]
        + p[..., 2:, :-2] - 2 * p[..., 2:, 1:-1] + p[..., 2:, 2:]
    )  # fmt: skip


def noise_level(patches: np.ndarray) -> np.ndarray:
    """Immerkær's fast noise σ per patch: the mean |Laplacian difference| of the interior."""
    return IMMERKAER * np.abs(laplacian_difference(patches)).mean(axis=(1, 2))


def gradients(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences (gy, gx), zero on the border rows and columns."""
    gy = np.zeros_like(patches)
    gx = np.zeros_like(patches)
    gy[:, 1:-1, :] = (patches[:, 2:, :] - patches[:, :-2, :]) / 2
    gx[:, :, 1:-1] = (patches[:, :, 2:] - patches[:, :, :-2]) / 2
    return gy, gx


_TAN_22_5 = np.float32(np.tan(np.radians(22.5)))


def gradient_direction(gy: np.ndarray, gx: np.ndarray) -> np.ndarray:
    """The gradient's angle mod 180° to the nearest of 0, 45, 90, 135° (index 0–3), without trigonometry."""
    ax, ay = np.abs(gx), np.abs(gy)
    direction = np.where((gx * gy) > 0, np.int8(1), np.int8(3))
    direction[ay <= _TAN_22_5 * ax] = 0
    direction[ax < _TAN_22_5 * ay] = 2
    return direction


_NEIGHBOURS = {0: (0, 1), 1: (1, 1), 2: (1, 0), 3: (1, -1)}  # (dy, dx) along the normal, per direction
_STEPS = np.asarray(list(_NEIGHBOURS.values()))


def nonzero(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """``np.nonzero(mask)`` (the same indices, in the same order) several times faster on 2-D and 3-D."""
    return np.unravel_index(np.flatnonzero(mask), mask.shape)


def edge_floor(noise: np.ndarray) -> np.ndarray:
    """The gradient magnitude an edge must exceed, given the noise σ of its patch."""
    return np.maximum(CONTRAST_FLOOR, NOISE_FACTOR * noise)


def edge_pixels(patches: np.ndarray, *, floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge mask (N,H,W), direction index (N,H,W; set where the gradient clears the floor, 0
    elsewhere) and gradient magnitude (N,H,W).  ``floor`` (N,): each patch's contrast floor
    (default: ``edge_floor`` of its own noise).

    Non-maximum suppression is done only where the magnitude clears the patch's floor and away
    from the border (``MARGIN``): the few pixels that can be edges, not every pixel."""
    gy, gx = gradients(patches)
    magnitude = np.hypot(gx, gy)
    floor = (edge_floor(noise_level(patches)) if floor is None else floor)[:, None, None]
    inner = (slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    n, y, x = nonzero(magnitude[inner] > floor)
    y, x = y + MARGIN, x + MARGIN
    d = gradient_direction(gy[n, y, x], gx[n, y, x])
    dy, dx = _STEPS[d, 0], _STEPS[d, 1]
    here = magnitude[n, y, x]
    peak = (here >= magnitude[n, y + dy, x + dx]) & (here > magnitude[n, y - dy, x - dx])
    edges = np.zeros(patches.shape, dtype=bool)
    edges[n[peak], y[peak], x[peak]] = True
    direction = np.zeros(patches.shape, dtype=np.int8)
    direction[n, y, x] = d
    return edges, direction, magnitude


@dataclass(frozen=True)
class Edges:
    """The edge pixels of a stack of patches (flat arrays, in ``np.nonzero`` order): patch index,
    direction index, and the ``WINDOW``-px segment along each edge's normal (coordinates, clipped)."""

    patch: np.ndarray  # (E,)
    direction: np.ndarray  # (E,)
    ys: np.ndarray  # (E, 2 * WINDOW + 1)
    xs: np.ndarray

    @classmethod
    def of(cls, edges: np.ndarray, direction: np.ndarray) -> Edges:
        n, y, x = nonzero(edges)
        d = direction[n, y, x]
        steps = _STEPS[d]  # (E, 2): (dy, dx) along the normal
        k = np.arange(-WINDOW, WINDOW + 1)
        ys = np.clip(y[:, None] + k[None, :] * steps[:, :1], 0, edges.shape[1] - 1)
        xs = np.clip(x[:, None] + k[None, :] * steps[:, 1:], 0, edges.shape[2] - 1)
        return cls(patch=n, direction=d, ys=ys, xs=xs)

    def steepest(self, values: np.ndarray, which: np.ndarray | None = None, slot: np.ndarray | None = None):
        """The largest of ``values`` (N', H, W) on each edge's segment: a streak blurs an edge into a
        ramp whose gradient is a plateau, and its steepest point after re-blurring lies at the ramp's
        centre, not where the plateau begins.  ``which`` picks edges; ``slot`` maps patch → row of
        ``values`` when it holds only some patches."""
        pick = slice(None) if which is None else which
        rows = self.patch[pick] if slot is None else slot[self.patch[pick]]
        height, width = values.shape[1:]
        return values.reshape(-1)[(rows[:, None] * height + self.ys[pick]) * width + self.xs[pick]].max(axis=1)


def reblurred_magnitude(patches: np.ndarray, reblur: float) -> np.ndarray:
    by, bx = gradients(rungs.reblurred(patches, reblur))
    return np.hypot(bx, by)


def sigma_from(before: np.ndarray, after: np.ndarray, reblur: float) -> np.ndarray:
    """σ = σ0 / √(R² − 1) from the steepest gradients before and after re-blurring by σ0."""
    ratio = before / np.maximum(after, 1e-6)
    excess = np.maximum(ratio * ratio - 1.0, 1e-8)
    return np.clip(reblur / np.sqrt(excess), *SIGMA_RANGE).astype(np.float32)


def edge_sigmas(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """σ per edge pixel, with the pixel's patch index and direction index (flat arrays)."""
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    mask, direction, magnitude = edge_pixels(patches)
    edges = Edges.of(mask, direction)
    return ladder_sigmas(patches, edges, edges.steepest(magnitude)), edges.patch, edges.direction


def ladder_sigmas(patches: np.ndarray, edges: Edges, before: np.ndarray) -> np.ndarray:
    """σ at each of ``edges`` from its steepest gradient ``before`` and after re-blurring: first by
    ``FIRST_REBLUR``, then by the rung of the ladder nearest that first estimate.  Each rung re-blurs
    only the patches that have edge pixels needing it (the first: every patch with an edge)."""
    slot = np.zeros(len(patches), dtype=np.int64)

    def after(wanted: np.ndarray | None, reblur: float) -> np.ndarray:
        some = np.unique(edges.patch if wanted is None else edges.patch[wanted])
        slot[some] = np.arange(len(some))
        if wanted is not None and rungs.worth_it(np.count_nonzero(wanted), len(some) * patches[0].size):
            return rungs.steepest_on_segments(rungs.reblurred(patches[some], reblur), edges, wanted, slot)
        return edges.steepest(reblurred_magnitude(patches[some], reblur), wanted, slot)

    sigma = sigma_from(before, after(None, FIRST_REBLUR), FIRST_REBLUR)
    ladder = np.asarray(REBLUR_LADDER, dtype=np.float32)
    pick = np.abs(np.log(sigma[:, None]) - np.log(ladder[None, :])).argmin(axis=1)
    for rung, reblur in enumerate(REBLUR_LADDER):
        wanted = pick == rung
        if reblur != FIRST_REBLUR and wanted.any():
            sigma[wanted] = sigma_from(before[wanted], after(wanted, reblur), reblur)
    return sigma


def patch_blur(patches: np.ndarray) -> PatchBlur:
    """Median σ per patch and edge direction (see the module's docstring)."""
    if len(patches) == 0:
        return medians(np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int8), patches=0)
    sigma, patch_index, direction = edge_sigmas(patches)
    return medians(sigma, patch_index, direction, patches=len(patches))


def medians(
    sigma: np.ndarray, patch_index: np.ndarray, direction: np.ndarray, *, patches: int, sorted_by_sigma: bool = False
) -> PatchBlur:
    """Per patch and direction: the edge pixels' count and, with ``MIN_DIRECTION_EDGES`` or more,
    their median σ (``sorted_by_sigma``: ``sigma`` is in ascending order within each patch already)."""
    by_direction = np.full((patches, len(DIRECTIONS)), np.nan, dtype=np.float32)
    counts = np.zeros((patches, len(DIRECTIONS)), dtype=np.int32)
    if len(sigma) == 0:
        return PatchBlur(by_direction, counts)
    cell = patch_index.astype(np.int64) * len(DIRECTIONS) + direction
    key = np.uint16 if patches * len(DIRECTIONS) <= 1 << 16 else np.int64  # NumPy radix-sorts 16-bit keys
    order = np.arange(len(sigma)) if sorted_by_sigma else np.argsort(sigma)
    order = order[np.argsort(cell[order].astype(key), kind="stable")]  # by cell, by σ within it
    cell, sigma = cell[order], sigma[order].astype(np.float32)
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    sizes = np.diff(np.r_[starts, len(cell)])
    counts.flat[cell[starts]] = sizes
    middle = (sigma[starts + (sizes - 1) // 2] + sigma[starts + sizes // 2]) / np.float32(2)  # np.median's
    voting = sizes >= MIN_DIRECTION_EDGES
    by_direction.flat[cell[starts[voting]]] = middle[voting]
    return PatchBlur(by_direction, counts)


def edge_counts(patches: np.ndarray) -> np.ndarray:
    """Edge pixels per patch and direction (N, 4), as ``patch_blur`` counts them, without reading σ."""
    mask, direction, _ = edge_pixels(np.ascontiguousarray(patches, dtype=np.float32))
    n, y, x = np.nonzero(mask)
    cell = n.astype(np.int64) * len(DIRECTIONS) + direction[n, y, x]
    return np.bincount(cell, minlength=len(patches) * len(DIRECTIONS)).reshape(len(patches), len(DIRECTIONS))


def estimate(tiles: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """σ across each edge direction (N, 4; NaN where a direction has too few edges) and whether each patch has
    texture, by the ``classical`` or the ``learned`` estimator (both count edges alike; learned: textured only)."""
    by_direction, textured, _ = estimate_counted(tiles, estimator)
    return by_direction, textured


def estimate_counted(tiles: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``estimate`` and the edge pixels it counted per patch and direction (N, 4), which the streak
    evidence of ``msdunet.focus.streaks`` reads (no second edge pass)."""
    if estimator == "classical":
        measured = patch_blur(tiles)
        return measured.by_direction, measured.textured, measured.counts
    if estimator != "learned":
        raise ValueError(f"unknown blur estimator {estimator!r}; valid: classical, learned")
    from msdunet.focus.learned import learned_sigmas  # its weights: only when asked for

    counts = edge_counts(tiles)
    voting = counts >= MIN_DIRECTION_EDGES
    textured = (counts.sum(axis=1) >= MIN_EDGES) & voting.any(axis=1)
    by_direction = np.full(counts.shape, np.nan, dtype=np.float32)
    if textured.any():
        by_direction[textured] = learned_sigmas(tiles[textured])
    return np.where(voting, by_direction, np.nan).astype(np.float32), textured, counts


def calibrated(sigma: np.ndarray | float, *, floor: float) -> np.ndarray:
    """Raw estimates less the discrete gradient's own blur: √(max(σ² − floor², 0))."""
    sigma = np.asarray(sigma, dtype=np.float32)
    return np.sqrt(np.maximum(sigma * sigma - floor * floor, 0.0))
