"""The judgement in pixels (msdunet.focus.judgement): known blur in, its size and kind out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msdunet.focus import LIMIT_PX, JudgeOptions, judge, judge_photo, limits, measure_blur
from msdunet.training import synthetic_blur as sb
from tests.conftest import DATA, invoke, needs_data

REPORT = Path(__file__).resolve().parent.parent / "reports" / "pixel_blur.json"


shapes = sb.shapes  # a sharp scene of random rectangles and ellipses (also the scene of reports/pixel_blur.md)


def photo(image: np.ndarray, kernel: sb.Kernel | None = None, seed: int = 0) -> Image.Image:
    blurred = sb.blur(image, kernel) if kernel else image
    recorded = sb.camera(blurred, np.random.default_rng(seed), noise=0.003, quality=92)
    return Image.fromarray(np.round(recorded * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    return shapes(1024)


def test_constants_are_the_fitted_ones():
    fit = json.loads(REPORT.read_text())["synthetic"]["fit"]
    keys = ("floor", "limit_px", "motion_from")
    assert {name: {k: fitted[k] for k in keys} for name, fitted in fit.items()} == limits.FITTED
    assert limits.FITTED[limits.ESTIMATOR]["limit_px"] == limits.LIMIT_PX
    streaks = json.loads(REPORT.read_text())["streaks"]["fit"]
    assert streaks["streak_below"] == limits.STREAK_BELOW
    assert streaks["streak_binned_below"] == limits.STREAK_BINNED_BELOW


def test_kernel_sizes_are_their_second_moments():
    assert sb.gaussian(2.0).sigmas == pytest.approx((2.0, 2.0), abs=0.01)
    assert sb.disk(2.0).sigmas == pytest.approx((2.0, 2.0), abs=0.05)
    major, minor = sb.linear(3.0, 30).sigmas
    assert major == pytest.approx(3.0, abs=0.05) and minor < 0.5
    assert sb.curved(3.0, np.random.default_rng(1)).sigmas[0] == pytest.approx(3.0, abs=0.05)
    with pytest.raises(ValueError, match="gaussian, disk, linear, curved"):
        sb.make_kernel("box", 1.0, np.random.default_rng(0))


def test_sharp_scene_is_kept_and_blur_is_measured_in_px(scene):
    sharp = judge_photo(photo(scene))
    assert sharp.verdict != "blurred" and sharp.subject_blur_px <= LIMIT_PX
    readings = {s: judge_photo(photo(scene, sb.gaussian(s))).subject_blur_px for s in (1.0, 2.0, 4.0)}
    assert readings[1.0] < readings[2.0] < readings[4.0]
    assert readings[2.0] == pytest.approx(2.0, rel=0.35) and readings[4.0] == pytest.approx(4.0, rel=0.35)
    blurred = judge_photo(photo(scene, sb.gaussian(2.0)))
    assert blurred.verdict == "blurred" and blurred.blur_kind == "defocus"


def test_a_streak_is_motion(scene):
    shaken = judge_photo(photo(scene, sb.linear(3.0, 20)))
    assert shaken.verdict == "blurred" and shaken.blur_kind == "motion"
    assert shaken.subject_blur_px == pytest.approx(3.0, rel=0.4)


@pytest.mark.parametrize("estimator", limits.ESTIMATORS)
@pytest.mark.parametrize("angle", [0, 90])
def test_a_long_streak_that_erased_the_edges_across_it_is_motion(scene, estimator, angle):
    """A 30-px shake leaves no edge across the streak to measure (the subject reads sharp along it):
    the streak evidence rejects it, and its blur is read on the photo reduced."""
    shaken = photo(scene, sb.linear(30 / np.sqrt(12), angle))
    measured = measure_blur(shaken, estimator=estimator)  # the default: with the streak rule
    assert measured.streak < limits.STREAK_BELOW and measured.streak_binned < limits.STREAK_BINNED_BELOW
    alone = judge(measure_blur(shaken, estimator=estimator, streaks=False))
    assert alone.verdict != "blurred" and alone.streak is None  # the edges along the streak are sharp
    j = judge(measured)
    assert j.verdict == "blurred" and j.blur_kind == "motion" and j.subject_blur_px > LIMIT_PX
    assert judge_photo(shaken, options=JudgeOptions(estimator=estimator)).shaken


def test_a_sharp_scene_with_edges_along_one_direction_only_is_kept():
    """Horizontal bands alone (no edge across them, and no contrast there either) are no streak."""
    from lab.studies.pixel_blur_streaks import stripes

    for image in (photo(stripes(1024)), photo(stripes(1024)).resize((400, 400), Image.LANCZOS)):
        measured = measure_blur(image, streaks=True)
        assert measured.streak is None or measured.streak >= limits.STREAK_BELOW
        assert judge(measured).verdict != "blurred"


@pytest.mark.parametrize("size", [(480, 320), (1600, 1200)])
def test_both_estimators_read_the_same_streak_score(size):
    """The score counts the edges both estimators count (one pass on a small photo, patch by patch
    otherwise) and the same contrast, at the same level."""
    image = photo(sb.blur(shapes(max(size), seed=3), sb.linear(1.0, 30))[: size[1], : size[0]])
    classical, learned = (measure_blur(image, estimator=e, streaks=True) for e in ("classical", "learned"))
    assert classical.scale == learned.scale == 1
    assert classical.streak == pytest.approx(learned.streak, rel=1e-3)


def test_large_blur_is_read_on_the_halved_photo():
    big = shapes(2048, seed=2)
    measured = measure_blur(photo(big, sb.gaussian(10.0)))
    assert measured.scale >= 2
    assert judge(measured).subject_blur_px == pytest.approx(10.0, rel=0.4)


def test_judged_size_scales_the_blur(scene):
    measured = measure_blur(photo(scene, sb.gaussian(2.0)))
    full = judge(measured)
    small = judge(measured, judge_at=256)
    assert full.verdict == "blurred" and small.verdict != "blurred"
    assert small.judged_blur_px == pytest.approx(full.subject_blur_px / 4, abs=0.02) and small.judged_at == 256
    assert judge(measured, judge_at=4096).judged_at == 1024  # never above full size


def test_no_texture_means_unknown_blur():
    flat = Image.new("RGB", (800, 600), (90, 120, 200))
    j = judge_photo(flat, map_verdict="subject in focus")
    assert j.subject_blur_px is None and j.verdict == "subject in focus" and j.textured_share == 0.0


@pytest.mark.parametrize("size", [(40, 30), (130, 90), (3000, 200)])
def test_any_size_and_mode(size):
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    j = judge_photo(image, options=JudgeOptions(judge_at=None))
    assert j.judged_at == max(size)
    assert judge_photo(image.convert("L")).subject_blur_px == j.subject_blur_px


@pytest.mark.parametrize("size", [(480, 320), (90, 60), (1600, 1200)])
def test_each_distinct_patch_is_measured_once(size):
    """Cells whose patches are the same pixels (overlapping grid on a small photo, clipped at the
    border) share one patch."""
    from msdunet.focus.tiles import distinct_patches, grid, patches

    image = photo(shapes(max(size))[: size[1], : size[0]])
    cells = grid(*image.size)
    distinct, index = distinct_patches(image, cells)
    every = patches(image, cells)
    assert np.array_equal(distinct[index], every)
    assert len(distinct) < len(every) if max(size) < 12 * 128 else len(distinct) == len(every)


@pytest.mark.parametrize(("size", "scale"), [((1001, 769), 2), ((2001, 1501), 4), ((1500, 201), 2)])
def test_a_halved_level_is_read_patch_by_patch(size, scale):
    """The halved photo's patches are read from their own regions, halved alone: the same pixels
    as halving the whole photo first (odd sizes: Pillow rounds each halving up)."""
    from msdunet.focus.judgement import _measure_level
    from msdunet.focus.tiles import distinct_patches, grid, patches, reduced_size

    image = photo(shapes(max(size))[: size[1], : size[0]], sb.gaussian(3.0))
    level = image
    for _ in range(scale.bit_length() - 1):
        level = level.reduce(2)
    assert level.size == reduced_size(*image.size, scale=scale)
    cells = grid(*level.size)
    distinct, index = distinct_patches(image, cells, scale=scale)
    assert np.array_equal(distinct[index], patches(level, cells))
    classical, learned = (_measure_level(image, scale, estimator)[0] for estimator in ("classical", "learned"))
    assert (classical.width, learned.height) == size


@pytest.mark.parametrize("size", [(480, 320), (300, 400), (1024, 683)])
def test_a_small_photo_is_measured_in_one_pass_as_patch_by_patch(size):
    """One pass over a small photo finds each patch's edges and σ as the patch alone does, but
    near a patch's border, where its re-blur sees the photo instead of a reflection."""
    from msdunet.focus.judgement import _measure_level
    from msdunet.focus.one_pass import one_pass_blur
    from msdunet.focus.sharpness import patch_blur
    from msdunet.focus.tiles import distinct_patches, grid

    image = photo(shapes(max(size))[: size[1], : size[0]], sb.gaussian(1.0))
    assert one_pass_blur(image, grid(*image.size), scale=1, tile=128) is not None
    assert one_pass_blur(image.resize((4000, 3000)), grid(4000, 3000), scale=1, tile=128) is None
    distinct, index = distinct_patches(image, grid(*image.size))
    alone = patch_blur(distinct)
    one_pass = _measure_level(image, 1, "classical")[0]
    assert np.array_equal(one_pass.textured, alone.textured[index])
    both = np.isfinite(alone.by_direction[index]) & np.isfinite(one_pass.by_direction)
    assert both.sum() > 0.8 * np.isfinite(alone.by_direction).sum() * len(index) / len(distinct)
    assert np.abs(one_pass.by_direction[both] - alone.by_direction[index][both]).max() < 0.15


def test_the_map_rejects_too_and_decides_without_texture(scene):
    measured = measure_blur(photo(scene))
    assert judge(measured).verdict != "blurred"
    vetoed = judge(measured, map_verdict="blurred")
    assert vetoed.verdict == "blurred" and vetoed.blur_kind in ("defocus", "motion")
    assert judge(measured, map_verdict="subject in focus").verdict == judge(measured).verdict


@needs_data
def test_a_face_becomes_the_subject():
    pytest.importorskip("cv2")
    from msdunet.focus.faces import find_faces
    from msdunet.io import read_image

    image = read_image(DATA / "cuhk" / "image" / "motion0002.jpg")
    faces = find_faces(image)
    assert faces and faces[0].area >= 100 * 100
    j = judge_photo(image, options=JudgeOptions(faces=True))
    assert j.faces == len(faces) and j.face_blur_px is not None and j.subject_blur_px == j.face_blur_px
    x, y, w, h = faces[0].box
    assert x <= j.subject_x * image.width <= x + w and y <= j.subject_y * image.height <= y + h
    assert judge_photo(image).faces is None  # not looked for


def test_faces_without_opencv_is_a_usage_error(monkeypatch, tmp_path):
    from msdunet.focus import faces

    monkeypatch.setattr(faces, "available", lambda: False)
    examples = Path(__file__).resolve().parents[1] / "examples"
    result = invoke(["detect", examples, "-o", tmp_path / "out", "--faces"])
    assert result.exit_code == 2 and '".[faces]"' in result.output
    assert not (tmp_path / "out").exists()


def test_verdict_at_keeps_a_shaken_photo_blurred_at_any_limit():
    """The streak score rejects whatever the px limit: the web app's slider may not keep it."""
    from msdunet.focus import verdict_at

    columns = {"verdict": "blurred", "judged_blur_px": 0.2, "map_verdict": "subject in focus"}
    assert verdict_at(**columns, limit_px=5.0, shaken=True) == "blurred"
    assert verdict_at(**columns, limit_px=5.0) == "subject in focus"


def test_a_nan_pixel_costs_only_the_patches_that_hold_it():
    """A float photo with one NaN pixel: on the one-pass path it would lift every patch's edge floor
    to NaN (no edge anywhere); patch by patch only the patches holding it lose their edges."""
    grey_scene = photo(shapes(480)[:320]).convert("F")
    values = np.asarray(grey_scene, dtype=np.float32) / 255
    values[10, 10] = np.nan
    measured = measure_blur(Image.fromarray(values, mode="F"), estimator="classical")
    assert measured.textured.mean() > 0.5


def test_a_sharp_subject_on_bokeh_is_not_a_streak():
    """Vertical bars in focus over a defocused background (σ 6 px): the background has contrast in
    every direction but no edges, so only textured patches count; otherwise the bars' own
    orientation scored as a streak (0.13, shaken)."""
    rng = np.random.default_rng(0)
    image = sb.blur(shapes(1024, seed=4), sb.gaussian(6.0))
    side = int(1024 * np.sqrt(0.2))
    start = (1024 - side) // 2
    bars = rng.random(200)[np.minimum(np.searchsorted(np.cumsum(rng.integers(4, 20, 200)), np.arange(side)), 199)]
    image[start : start + side, start : start + side] = bars[None, :, None] if image.ndim == 3 else bars[None, :]
    measured = measure_blur(photo(image, seed=1), streaks=True)
    assert measured.streak is not None and not measured.shaken


def seam_scene(height: int = 2048, width: int = 1536) -> np.ndarray:
    """A sharp close-up: three thin lines tilted 2–3° from vertical and a thick curved cable over a
    smooth, faintly textured surface (as the realworld Samsung HEIC)."""
    from scipy import ndimage

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    image = 0.75 + 0.08 * (xx / width) - 0.05 * (yy / height)
    image += ndimage.gaussian_filter(rng.normal(0, 0.02, (height, width)), 2.0)
    for x0, tilt, half_width, level in ((0.45, 0.06, 3, 0.35), (0.52, 0.06, 2, 0.45), (0.62, 0.04, 5, 0.3)):
        image = np.where(np.abs(xx - (x0 * width + tilt * yy)) < half_width, level, image)
    cable = 0.85 * width + 0.5 * width * ((yy / height) - 0.3) ** 2
    return np.clip(np.where(np.abs(xx - cable) < 18, 0.08, image), 0, 1).astype(np.float32)


def test_tilted_lines_over_a_smooth_surface_are_not_a_streak():
    """Lines between two of the four directions give their contrast to both diagonals and their
    edges to neither: the first reading scores them as a streak (the blind spot that kept the rule
    off by default); the second, binned reading does not, so the photo is not shaken at any size."""
    full = photo(seam_scene(), seed=1)
    for side in (None, 1024, 512):
        image = full.copy()
        if side:
            image.thumbnail((side, side), Image.LANCZOS)
        measured = measure_blur(image)
        assert measured.streak is not None and measured.streak < limits.STREAK_BELOW  # the first reading: fooled
        assert not measured.shaken and judge(measured).verdict != "blurred"


def test_window_contrast_is_the_patches_contrast():
    """One pass over a small photo sums each window's contrast from the whole photo's gradients:
    the values contrast_by_direction reads from the patches cut out (float32 sums)."""
    from msdunet.focus.sharpness import noise_level
    from msdunet.focus.streaks import contrast_by_direction, window_contrast

    grey = np.asarray(photo(shapes(480)[:320]).convert("L"), dtype=np.float32) / 255
    corners = np.array([[0, 0], [50, 20], [352, 192], [50, 192], [10, 20]])
    patches = np.stack([grey[y : y + 128, x : x + 128] for x, y in corners])
    windows = window_contrast(grey, corners, tile=128, noise=noise_level(patches))
    np.testing.assert_allclose(windows, contrast_by_direction(patches), rtol=1e-5)


def test_the_reason_names_the_evidence_that_decided(scene):
    """A row holds two verdicts (the judgement's and the map's) that may disagree: ``reason`` says
    which evidence decided, with its numbers."""
    sharp = judge(measure_blur(photo(scene)))
    assert sharp.verdict != "blurred" and sharp.reason.startswith("subject ") and "≤ 0.7 px" in sharp.reason
    soft = judge(measure_blur(photo(scene, sb.gaussian(2.0))))
    assert soft.verdict == "blurred" and soft.reason == f"subject blur {soft.judged_blur_px:g} px > 0.7 px at 1024 px"
    by_map = judge(measure_blur(photo(scene)), map_verdict="blurred")
    assert by_map.verdict == "blurred" and by_map.reason.startswith("the blur map finds no sharp region")
    assert "(the pixels alone: subject " in by_map.reason
    kept = judge(measure_blur(photo(scene)), map_verdict="subject in focus")
    assert kept.verdict == "sharp" and "; the map alone: subject in focus" in kept.reason
    shaken = judge(measure_blur(photo(scene, sb.linear(30 / np.sqrt(12), 0))))
    assert shaken.reason.startswith("long shake: the edges across one direction are gone")


def test_the_verdict_is_decided_on_the_reported_blur_and_always_has_a_reason(scene):
    """At any limit, including ones within 0.005 px of the reading, the judgement's verdict is the
    one its report columns give back (verdict_at: the web app's slider), and a blurred photo says why."""
    from msdunet.focus import verdict_at

    measured = measure_blur(photo(scene, sb.gaussian(0.8)))
    reading = judge(measured).judged_blur_px
    for limit in (reading - 0.01, reading - 0.004, reading, reading + 0.004, reading + 0.01):
        j = judge(measured, limit_px=limit)
        again = verdict_at(verdict=j.verdict, judged_blur_px=j.judged_blur_px, map_verdict="sharp", limit_px=limit)
        assert j.verdict == again and j.reason


def test_every_image_mode_is_read_as_its_grey():
    """measure_blur takes any PIL mode: palette, grey with alpha, RGBA and 16-bit read as the L photo."""
    grey_photo = photo(shapes(480)[:320]).convert("L")
    sixteen = Image.fromarray(np.asarray(grey_photo, dtype=np.uint16) * 257)
    expected = judge(measure_blur(grey_photo)).subject_blur_px
    for image in (grey_photo.convert("P"), grey_photo.convert("LA"), grey_photo.convert("RGBA"), sixteen):
        assert judge(measure_blur(image)).subject_blur_px == expected, image.mode


def test_a_nan_patch_leaves_the_others_contrast_floor():
    from msdunet.focus.streaks import contrast_floor

    assert contrast_floor(np.array([0.01, np.nan, 0.02, 0.03], dtype=np.float32)) == pytest.approx(2 * 0.02)
