"""BlurDetector: inputs of every kind, output at the input's size, tiling, the scale policy."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from msdunet.inference.detector import BlurDetector, as_rgb_array, ramp, tile_starts
from msdunet.model.fold import count_batchnorms
from msdunet.model.weights import shipped_models

from .conftest import half_blurred, textured


@pytest.fixture(scope="module")
def detector(tiny_weights):
    return BlurDetector(tiny_weights, working_size=64)


def test_path_pil_and_arrays_give_the_same_map(detector, tmp_path):
    array = textured(90, 60)
    Image.fromarray(array).save(tmp_path / "x.png")
    from_path = detector(tmp_path / "x.png")
    assert from_path.shape == (60, 90) and from_path.dtype == np.float32
    assert from_path.min() >= 0 and from_path.max() <= 1
    np.testing.assert_array_equal(detector(Image.fromarray(array)), from_path)
    np.testing.assert_array_equal(detector(array), from_path)
    np.testing.assert_allclose(detector(array.astype(np.float32) / 255), from_path, atol=1e-6)
    assert detector(array[..., 0]).shape == (60, 90)  # greyscale array


def test_flip_tta_is_the_mean_over_the_mirror_image(tiny_weights):
    image = textured(64, 48, seed=3)
    mirror = image[:, ::-1]
    plain = BlurDetector(tiny_weights, working_size=64, bf16=False)
    tta = BlurDetector(tiny_weights, working_size=64, bf16=False, flip_tta=True)
    assert np.abs(plain(mirror)[:, ::-1] - plain(image)).max() > 1e-3  # the network itself is not symmetric
    np.testing.assert_allclose(tta(mirror)[:, ::-1], tta(image), atol=1e-5)
    np.testing.assert_allclose(tta(image), (plain(image) + plain(mirror)[:, ::-1]) / 2, atol=1e-5)


@pytest.mark.parametrize("name", sorted(shipped_models()))
@pytest.mark.parametrize("bf16", [False, True])
def test_folding_batchnorm_keeps_the_shipped_maps(name, bf16):
    """fp32: the same maps to float rounding; bf16 autocast (detect's default on native-bf16 CPUs)
    rounds folded and unfolded weights differently, so only to bf16's precision."""
    image, _ = half_blurred(96, 80)
    folded = BlurDetector(name, bf16=bf16, backend="torch")
    plain = BlurDetector(name, bf16=bf16, fold_batchnorm=False, backend="torch")
    assert count_batchnorms(plain.model) > 0 and count_batchnorms(folded.model) == 0
    difference = np.abs(folded(image) - plain(image))
    assert difference.max() < (0.05 if bf16 else 1e-4) and difference.mean() < (0.005 if bf16 else 1e-5)


def test_bad_arrays_are_refused(detector):
    with pytest.raises(ValueError, match="shape"):
        detector(np.zeros((4, 4, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="dtype"):
        detector(np.zeros((4, 4, 3), dtype=np.int64))


def test_array_conversions():
    assert as_rgb_array(np.full((2, 2), 65535, dtype=np.uint16)).max() == 255
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    assert as_rgb_array(rgba).min() == 255  # transparent → white


def test_working_shape_is_a_square_by_default_and_keeps_aspect_when_asked(tiny_weights):
    assert BlurDetector(tiny_weights).working_shape(6000, 4000) == (256, 256)  # whatever the aspect
    assert BlurDetector(tiny_weights, working_size=320).working_shape(100, 50) == (320, 320)
    d = BlurDetector(tiny_weights, working_size=320, square=False)
    assert d.working_shape(6000, 4000) == (320, 213)
    assert d.working_shape(100, 50) == (320, 160)
    assert BlurDetector.paper_protocol(tiny_weights).working_shape(6000, 4000) == (256, 256)  # whatever the aspect
    assert BlurDetector(tiny_weights, working_size=None).working_shape(77, 33) == (77, 33)


def test_detect_evaluate_and_serve_share_one_geometry(tiny_weights):
    """detect's and serve's ModelOptions, evaluate's --dataset and BlurDetector() see the same square;
    --keep-aspect gives the long side back to both verbs."""
    from msdunet.cli.options import build_detect_options, model_geometry
    from msdunet.inference.options import ModelOptions

    default = BlurDetector(tiny_weights)
    assert (default.working_size, default.square) == (256, True)
    assert ModelOptions().detector_kwargs()["square"] is True and ModelOptions().working_size == 256
    assert model_geometry(None, False) == {"working_size": 256, "square": True}
    assert model_geometry(320, True) == {"working_size": 320, "square": False}
    assert model_geometry(0, False)["working_size"] is None
    names = ("weights", "threshold", "judge_at", "limit_px", "faces", "no_overlay", "map_size", "skip_existing")
    values = dict.fromkeys(names) | {"threshold": 0.5, "limit_px": 0.7, "faces": False, "no_overlay": False}
    values |= dict.fromkeys(("recursive", "skip_existing", "flip_tta"), False) | {"workers": 0, "max_pixels": 0}
    values |= {"threads": 1, "bf16": None, "backend": "auto", "engine": "local", "address": None}
    values |= {"ray_actors": None, "ray_cpus": 1.0, "ray_batch": 8}
    for keep_aspect, square in ((False, True), (True, False)):
        options = build_detect_options(**values, working_size=None, keep_aspect=keep_aspect)
        assert (options.model.working_size, options.model.square) == (256, square)


def test_tiles_cover_the_image_and_blend_weights_are_positive():
    assert tile_starts(100, 100, 10) == [0]
    starts = tile_starts(1000, 256, 64)
    assert starts[0] == 0 and starts[-1] == 1000 - 256
    assert all(b - a <= 256 - 64 for a, b in zip(starts, starts[1:], strict=False))
    w = ramp(256, 64, at_start=False, at_end=True)
    assert w.min() > 0 and w[-1] == 1 and w[0] < 0.02


shipped = pytest.mark.skipif(not shipped_models(), reason="no weights shipped yet")


@shipped
@pytest.mark.parametrize("name", list(shipped_models()))
@pytest.mark.parametrize("size", [(512, 512), (6000, 4000)])
def test_shipped_model_finds_the_blurred_half_at_any_size(size, name):
    """The same synthetic scene at 0.26 MP and at 24 MP (texture and blur scale with the frame, as in a
    real photo of one scene at two resolutions): the blurred half is found at both sizes."""
    width, height = size
    image, mask = half_blurred(width, height, seed=7, cell=max(1, width // 256), radius=width / 128)
    blur = BlurDetector(name)(image)
    assert blur.shape == (height, width)
    inner = slice(width // 8, width // 2 - width // 8), slice(width // 2 + width // 8, width - width // 8)
    sharp_side, blurred_side = blur[:, inner[0]].mean(), blur[:, inner[1]].mean()
    assert blurred_side > sharp_side + 0.3, (sharp_side, blurred_side)
    accuracy = np.mean((blur >= 0.5) == mask)
    assert accuracy > 0.8, accuracy


TILING_DISAGREES = pytest.mark.xfail(
    strict=True,
    reason="the Lite0 models' stride-32 encoder and context block see far past a 320-px tile: at native "
    "resolution tiles disagree with the whole image (measured max 0.40, mean 0.024); known limitation",
)


@shipped
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=TILING_DISAGREES) if n.startswith("unet-lite0") else n for n in shipped_models()]
)
def test_tiled_map_matches_untiled(name):
    """Tiled vs whole-image inference (native resolution, 640×480, tiles 320 with 96 overlap).
    Stated tolerance: mean |difference| < 0.002, max < 0.05 (measured: 0.0002 and 0.016)."""
    image, _ = half_blurred(640, 480, seed=3, cell=2, radius=5)
    whole = BlurDetector(name, working_size=None, tile=1024, bf16=False)(image)
    tiled = BlurDetector(name, working_size=None, tile=320, tile_overlap=96, bf16=False)(image)
    diff = np.abs(whole - tiled)
    assert diff.mean() < 0.002 and diff.max() < 0.05, (diff.max(), diff.mean())


def test_bf16_default_follows_the_cpu(tiny_weights, monkeypatch):
    import msdunet.inference.torch_engine as inference

    monkeypatch.setattr(inference, "bf16_is_native", lambda: False)
    assert BlurDetector(tiny_weights).bf16 is False
    monkeypatch.setattr(inference, "bf16_is_native", lambda: True)
    assert BlurDetector(tiny_weights).bf16 is True
    assert BlurDetector(tiny_weights, bf16=False).bf16 is False


def test_idle_cores_leaves_the_cores_other_work_takes(tmp_path, monkeypatch):
    from msdunet.inference.detector import idle_cores

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    stat = tmp_path / "stat"
    for running, idle in ((1, 4), (2, 3), (3, 2), (9, 1)):  # procs_running counts the caller too
        stat.write_text(f"cpu  1 2 3 4\nprocs_running {running}\nprocs_blocked 0\n")
        assert idle_cores(stat=stat, interval=0) == idle
    assert idle_cores(stat=tmp_path / "missing", interval=0) == 4


def test_judge_takes_detects_judging_options(detector):
    """BlurDetector.judge/analyse: the estimator, the limit and faces as `detect` takes them."""
    from msdunet.focus import JudgeOptions, judge_photo

    pytest.importorskip("cv2")  # faces: the faces extra
    photo, _ = half_blurred(640, 480)
    for options in (JudgeOptions(estimator="learned", limit_px=1.5), JudgeOptions(faces=True, judge_at=320)):
        kwargs = {k: getattr(options, k) for k in ("judge_at", "limit_px", "faces", "estimator")}
        analysis = detector.analyse(photo, **kwargs)
        expected = judge_photo(photo, options=options, map_verdict=analysis.summary.verdict)
        assert analysis.judgement == expected
        assert detector.judge(photo, **kwargs) == expected
    with pytest.raises(ValueError, match="unknown blur estimator 'sharpest'"):
        detector.judge(photo, estimator="sharpest")
