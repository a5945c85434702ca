"""The cheaper ways the classical estimate is computed give the same numbers, bit for bit, as the
plain ways they replace (written out here as the references)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from msdunet.focus import one_pass, rungs, sharpness
from msdunet.focus.sharpness import WINDOW, Edges, edge_pixels, medians, reblurred_magnitude
from msdunet.focus.tiles import grey, grid, origins
from msdunet.training import synthetic_blur as sb


def _photo(width: int, height: int, blur: float = 1.0, seed: int = 0) -> np.ndarray:
    scene = sb.blur(sb.shapes(max(width, height))[:height, :width], sb.gaussian(blur))
    recorded = sb.camera(scene, np.random.default_rng(seed), noise=0.003, quality=92)
    return grey(np.round(recorded * 255).astype(np.uint8))


def test_nonzero_is_numpys():
    mask = np.random.default_rng(0).random((3, 40, 50)) < 0.1
    assert all(np.array_equal(a, b) for a, b in zip(sharpness.nonzero(mask), np.nonzero(mask), strict=True))


@pytest.mark.parametrize("reblur", sharpness.REBLUR_LADDER)
def test_a_rung_on_few_edges_reads_the_gradients_of_the_whole_blur(reblur):
    """Gradients taken on the wanted edges' segments only (border rows and columns included, where
    ``gradients`` gives zero) are those of the whole re-blurred patches, NaN patches too."""
    photo = _photo(256, 192, blur=2.0)
    patches = np.stack([photo[:128, :128], photo[64:192, 128:256], photo[:128, 100:228]]).astype(np.float32)
    patches[2, 40, 40] = np.nan
    mask, direction, magnitude = edge_pixels(patches)
    edges = Edges.of(mask, direction)
    shift = np.where(np.arange(len(edges.patch)) % 2, -12, 12)[:, None]  # half the segments pushed over a border
    edges = Edges(edges.patch, edges.direction, np.clip(edges.ys + shift, 0, 127), np.clip(edges.xs - shift, 0, 127))
    assert (edges.ys == 0).any() and (edges.ys == 127).any() and (edges.xs == 0).any() and (edges.xs == 127).any()
    wanted = np.random.default_rng(1).random(len(edges.patch)) < 0.3
    some = np.unique(edges.patch[wanted])
    slot = np.zeros(len(patches), dtype=np.int64)
    slot[some] = np.arange(len(some))
    whole = edges.steepest(reblurred_magnitude(patches[some], reblur), wanted, slot)
    few = rungs.steepest_on_segments(rungs.reblurred(patches[some], reblur), edges, wanted, slot)
    assert np.array_equal(few, whole, equal_nan=True)


def test_sorted_medians_are_the_medians():
    rng = np.random.default_rng(2)
    sigma = np.sort(rng.gamma(2.0, 1.0, 3000).astype(np.float32))
    inside = rng.random((30, 3000)) < rng.uniform(0.0, 0.05, (30, 1))
    counts, middle = one_pass.sorted_medians(sigma, inside)
    patch, which = np.nonzero(inside)
    reference = medians(sigma[which], patch, np.zeros(len(which), np.int8), patches=len(inside))
    assert np.array_equal(counts, reference.counts[:, 0])
    assert np.array_equal(middle, reference.by_direction[:, 0], equal_nan=True)
    assert (counts >= sharpness.MIN_DIRECTION_EDGES).any() and (counts < sharpness.MIN_DIRECTION_EDGES).any()


def _corners(width: int, height: int) -> np.ndarray:
    return np.unique(origins(width, height, grid(width, height), tile=128), axis=0)


def test_window_noise_reads_the_whole_summed_area_table():
    photo = _photo(480, 320)
    corners = _corners(480, 320)
    lap = np.abs(sharpness.laplacian_difference(photo.astype(np.float64)))
    table = np.zeros((lap.shape[0] + 1, lap.shape[1] + 1))
    table[1:, 1:] = lap.cumsum(axis=0).cumsum(axis=1)
    x0, y0, side = corners[:, 0], corners[:, 1], 126
    total = table[y0 + side, x0 + side] - table[y0, x0 + side] - table[y0 + side, x0] + table[y0, x0]
    reference = (sharpness.IMMERKAER * total / (side * side)).astype(np.float32)
    assert np.array_equal(one_pass.window_noise(photo, corners, tile=128), reference)


def _one_pass_before(photo: np.ndarray, corners: np.ndarray, noise: np.ndarray) -> sharpness.PatchBlur:
    """``one_pass.patch_blur_one_pass`` as it was: every rung over the whole photo, one
    (patches × edges) mask, ``np.nonzero`` and ``medians``."""
    floors = sharpness.edge_floor(noise)
    stack = photo[None]
    mask, direction, magnitude = edge_pixels(stack, floor=floors.min(keepdims=True))
    edges = Edges.of(mask, direction)
    before = edges.steepest(magnitude)
    sigma = sharpness.sigma_from(before, edges.steepest(reblurred_magnitude(stack, 1.4)), 1.4)
    ladder = np.asarray(sharpness.REBLUR_LADDER, dtype=np.float32)
    pick = np.abs(np.log(sigma[:, None]) - np.log(ladder[None, :])).argmin(axis=1)
    for rung, reblur in enumerate(sharpness.REBLUR_LADDER):
        wanted = pick == rung
        if reblur != 1.4 and wanted.any():
            after = edges.steepest(reblurred_magnitude(stack, reblur), wanted)
            sigma[wanted] = sharpness.sigma_from(before[wanted], after, reblur)
    by_sigma = np.argsort(sigma)
    sigma, direction = sigma[by_sigma], edges.direction[by_sigma]
    y, x = edges.ys[by_sigma, WINDOW], edges.xs[by_sigma, WINDOW]
    margin, tile = sharpness.MARGIN, 128
    inside = (
        (x >= corners[:, :1] + margin) & (x < corners[:, :1] + tile - margin)
        & (y >= corners[:, 1:] + margin) & (y < corners[:, 1:] + tile - margin)
        & (magnitude[0, y, x] > floors[:, None])
    )  # fmt: skip
    patch, which = np.nonzero(inside)
    return medians(sigma[which], patch, direction[which], patches=len(corners), sorted_by_sigma=True)


@pytest.mark.parametrize(("size", "blur"), [((480, 320), 1.0), ((320, 320), 3.0), ((300, 400), 2.0)])
def test_the_one_pass_estimate_is_what_it_was(size, blur):
    photo = _photo(*size, blur=blur)
    corners = _corners(*size)
    noise = one_pass.window_noise(photo, corners, tile=128)
    now = one_pass.patch_blur_one_pass(photo, corners, tile=128, noise=noise)
    before = _one_pass_before(photo, corners, noise)
    assert np.array_equal(now.counts, before.counts)
    assert np.array_equal(now.by_direction, before.by_direction, equal_nan=True)
    assert np.isfinite(now.by_direction).sum() > 0


def test_an_rgb_photo_in_one_pass_is_a_grey_one():
    """(The one-pass path reads PIL images: a sanity check that the test photos above are what it sees.)"""
    photo = _photo(320, 240)
    image = Image.fromarray(np.round(photo * 255).astype(np.uint8))
    assert one_pass.one_pass_blur(image, grid(320, 240), scale=1, tile=128) is not None
