"""The evaluator against py_sod_metrics on random maps, hand-made cases, and the peers' reference table."""

from __future__ import annotations

import re

import numpy as np
import pytest

from msdunet.scoring.evaluate import evaluate_folder
from msdunet.scoring.metrics import BlurMetrics, normalize_map

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
