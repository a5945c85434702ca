"""The working-geometry study (``python -m lab geometry_study``): its geometries, its rule, that the
shipped default is what it chose, and that its independent scorer agrees with ``msdunet.scoring``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab import ROOT
from lab.studies.geometry_study import GEOMETRIES, Geometry, choose
from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE
from msdunet.scoring.metrics import BlurMetrics

REPORT = ROOT / "reports" / "geometry.json"


def test_geometries_fit_as_named():
    assert Geometry(256, fit="square").working_shape(600, 400) == (256, 256)
    assert Geometry(256, fit="long").working_shape(600, 400) == (256, 171)
    assert Geometry(256, fit="short").working_shape(600, 400) == (384, 256)
    assert Geometry(256, fit="short").working_shape(400, 600) == (256, 384)
    assert len({g.label for g in GEOMETRIES}) == len(GEOMETRIES)


def test_the_rule_takes_the_best_mean_maxf_and_breaks_ties_on_mae():
    held_out = {
        "a": {"x": {"maxF": 0.9, "MAE": 0.1}, "y": {"maxF": 0.8, "MAE": 0.1}, "z": {"maxF": 0.9, "MAE": 0.05}},
        "b": {"x": {"maxF": 0.8, "MAE": 0.1}, "y": {"maxF": 0.85, "MAE": 0.1}, "z": {"maxF": 0.8, "MAE": 0.05}},
    }
    assert choose(held_out) == "z"  # x and z tie on mean maxF (0.85, y 0.825): z has the lower MAE
    held_out["b"]["y"]["maxF"] = 0.95  # y: 0.875
    assert choose(held_out) == "y"


@pytest.mark.skipif(not REPORT.exists(), reason="reports/geometry.json not written")
def test_the_shipped_default_is_the_geometry_the_study_chose():
    report = json.loads(REPORT.read_text())
    assert report["chosen"]["label"] == choose(report["held_out"])
    assert report["chosen"]["fit"] == ("square" if DEFAULT_SQUARE else "long")
    assert report["chosen"]["side"] == DEFAULT_WORKING_SIZE


def test_the_independent_scorer_agrees_with_msdunet_scoring():
    pytest.importorskip("py_sod_metrics")
    from lab.studies.geometry_test import sod_scores

    rng = np.random.default_rng(3)
    pairs, ours = [], BlurMetrics()
    for _ in range(12):
        mask = (rng.random((30, 40)) < rng.uniform(0.2, 0.8)).astype(np.uint8) * 255
        blur_map = np.clip(mask * 0.6 + rng.normal(60, 50, mask.shape), 0, 255).astype(np.uint8)
        pairs.append((blur_map, mask))
        ours.step(blur_map.astype(np.float64), mask > 127)
    theirs, r = sod_scores(pairs), ours.results()
    for key in ("maxF", "MAE", "fixedF", "fixedMAE"):
        assert theirs[key] == pytest.approx(r[key], abs=1e-9), key
