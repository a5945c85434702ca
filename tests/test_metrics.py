"""The evaluator against py_sod_metrics on random maps, hand-made cases, and the peers' reference table."""

from __future__ import annotations

import re

import numpy as np
import pytest

from msdunet.scoring.evaluate import evaluate_folder
from msdunet.scoring.metrics import BlurMetrics, FixedThreshold, normalize_map

from .conftest import DATA, needs_data


def random_pairs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = rng.integers(20, 60, 2)
        mask = rng.random((h, w)) < rng.uniform(0.1, 0.9)
        noise = rng.normal(0, 60, (h, w))
        blur_map = np.clip(mask * 150 + 50 + noise, 0, 255).astype(np.uint8)
        if i == 0:
            blur_map[:] = 77  # a constant map
        if i == 1:
            mask[:] = False  # no blurred pixel at all
        yield blur_map, (mask * 255).astype(np.uint8)


def test_agrees_with_py_sod_metrics_on_random_maps():
    psm = pytest.importorskip("py_sod_metrics")
    fm, mae, ours = psm.Fmeasure(), psm.MAE(), BlurMetrics()
    for blur_map, mask in random_pairs(40):
        fm.step(pred=blur_map, gt=mask)
        mae.step(pred=blur_map, gt=mask)
        ours.step(blur_map, mask > 127)
    theirs, r = fm.get_results(), ours.results()
    curve = theirs["mf"] if "mf" in theirs else theirs["fm"]["curve"]
    np.testing.assert_allclose(r["f_curve"], curve[::-1], atol=1e-12)
    np.testing.assert_allclose(r["precision"], theirs["pr"]["p"][::-1], atol=1e-12)
    np.testing.assert_allclose(r["recall"], theirs["pr"]["r"][::-1], atol=1e-12)
    assert r["maxF"] == pytest.approx(curve.max(), abs=1e-12)
    assert r["meanF"] == pytest.approx(curve.mean(), abs=1e-12)
    assert r["adpF"] == pytest.approx(theirs["fm"]["adp"], abs=1e-12)
    assert r["MAE"] == pytest.approx(mae.get_results()["mae"], abs=1e-12)


def fixed_threshold_pairs(n: int, seed: int = 1):
    """Maps with many pixels at the levels either side of 0.5 (127, 128) and at exactly 127.5 (float
    maps), some with a range far from 0..255 (min-max scaling would change their binarisation)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = rng.integers(20, 60, 2)
        mask = rng.random((h, w)) < rng.uniform(0.1, 0.9)
        blur_map = rng.choice([0.0, 60.0, 127.0, 127.5, 128.0, 200.0, 255.0], size=(h, w))
        blur_map = np.where(mask & (rng.random((h, w)) < 0.6), 128.0, blur_map)
        if i == 0:
            blur_map = blur_map * 0.3  # all below 0.5: nothing blurred at the fixed threshold
        if i == 1:
            mask[:] = False  # no blurred pixel at all
        if i == 2:
            blur_map = blur_map * 0.5 + 127.5  # all at or above 0.5: everything but the 127.5s blurred
        yield blur_map, mask


def test_fixed_protocol_agrees_with_py_sod_metrics_binary_f_and_raw_mae():
    """D-DFFNet's fixed protocol = py_sod_metrics' binary F (pred > 0.5, per image, averaged) and its MAE
    without normalisation, both on map / 255."""
    psm = pytest.importorskip("py_sod_metrics")
    fm = psm.FmeasureV2({"f": psm.FmeasureHandler(with_dynamic=False, with_adaptive=False, with_binary=True, beta=0.3)})
    mae, ours = psm.MAE(), BlurMetrics()
    for blur_map, mask in fixed_threshold_pairs(30):
        fm.step(blur_map / 255.0, mask, normalize=False)
        mae.step(blur_map / 255.0, mask, normalize=False)
        ours.step(blur_map, mask)
    r = ours.results()
    assert r["fixedF"] == pytest.approx(fm.get_results()["f"]["binary"], abs=1e-12)
    assert r["fixedMAE"] == pytest.approx(mae.get_results()["mae"], abs=1e-12)
    assert r["fixedF"] != pytest.approx(r["maxF"], abs=1e-3)  # not the other protocol under another name


def test_fixed_protocol_by_hand():
    mask = np.zeros((10, 10), dtype=bool)
    mask[:, :6] = True  # 60 blurred pixels
    blur_map = np.zeros((10, 10))
    blur_map[:, :4] = 200.0  # 40 called blurred, all right: precision 1, recall 2/3
    blur_map[:, 4:6] = 127.5  # exactly 0.5: not above it, so sharp
    blur_map[0, 9] = 128.0  # one sharp pixel called blurred: precision 40/41
    fixed = FixedThreshold()
    fixed.step(blur_map / 255.0, mask)
    p, r = 40 / 41, 40 / 60
    assert fixed.results()["fixedF"] == pytest.approx(1.3 * p * r / (0.3 * p + r))
    expected_mae = (40 * (1 - 200 / 255) + 20 * 0.5 + 128 / 255) / 100
    assert fixed.results()["fixedMAE"] == pytest.approx(expected_mae)
    dim = BlurMetrics()  # a map that never exceeds 0.5 finds nothing under the fixed protocol, whatever maxF says
    dim.step(mask * 100.0, mask)
    assert dim.results()["fixedF"] == 0.0 and dim.results()["maxF"] == pytest.approx(1.0)


def test_perfect_map_and_floor():
    mask = np.zeros((10, 10), dtype=bool)
    mask[:, :7] = True
    perfect, floor = BlurMetrics(), BlurMetrics()
    perfect.step(mask * 255.0, mask)
    floor.step(np.full((10, 10), 255.0), mask)
    p, f = perfect.results(), floor.results()
    assert p["maxF"] == pytest.approx(1.0) and p["MAE"] == 0.0
    # every pixel blurred: precision = 0.7, recall = 1 at every threshold
    expected = 1.3 * 0.7 / (0.3 * 0.7 + 1)
    assert f["maxF"] == pytest.approx(expected) and f["meanF"] == pytest.approx(expected)
    assert f["MAE"] == pytest.approx(0.3)


def test_normalize_map_is_min_max():
    assert normalize_map(np.array([[50.0, 150.0]])).tolist() == [[0.0, 1.0]]
    assert normalize_map(np.array([[51.0, 51.0]])).tolist() == [[0.2, 0.2]]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        BlurMetrics().step(np.zeros((4, 4)), np.zeros((4, 5), dtype=bool))


def reference_table() -> dict[str, dict[str, float]]:
    """The reference scores as printed in shared/data/peers/README.md."""
    rows = {}
    for line in (DATA / "peers" / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"0\.\d{3}", cells[1]):
            rows[cells[0]] = dict(zip(("maxF", "meanF", "adpF", "MAE"), map(float, cells[1:]), strict=True))
    return rows


@needs_data
def test_reproduces_the_peers_reference_table():
    from msdunet.data.sources import read_stems

    reference = reference_table()
    assert len(reference) == 9  # eight methods and the floor
    stems = read_stems(DATA / "cuhk" / "splits" / "bd_efpn_sun2019_test200_inferred.txt")
    floor = None
    for method, expected in reference.items():
        if method.startswith("("):
            floor = expected
            continue
        results = evaluate_folder(DATA / "peers" / "cuhk_sun2019_test200" / method, DATA / "cuhk" / "gt", stems=stems)
        for key, value in expected.items():
            assert results.method[key] == pytest.approx(value, abs=0.001), (method, key)
    for key, value in floor.items():
        assert results.floor[key] == pytest.approx(value, abs=0.001), ("floor", key)
