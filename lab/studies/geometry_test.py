"""Test scores of the maps ``msdunet detect`` writes, before and after the geometry choice, scored
by an independent evaluator (py_sod_metrics, not ``msdunet.scoring``).

``run_detect`` runs the real command (a subprocess, as a user would) on the test photos of DUT test
(500) and CUHK Kim test (200) with extra options; ``sod_scores`` scores the ``<stem>_blur.png`` maps
against the masks read by Pillow: maxF and MAE as ``py_sod_metrics`` computes them (min-max scaled
map, 256 thresholds), fixedF and fixedMAE as its binary F and MAE on map/255 without normalisation
(the fixed protocol).  Used by ``lab.studies.geometry_study``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.data.sources import dataset_samples

TEST_SETS = {"DUT test": ("dut", "test"), "Kim test": ("cuhk", "kim_test")}


def run_detect(photos: list[Path], out: Path, options: list[str]) -> None:
    """``msdunet detect`` on these photos (linked into one folder) into OUT: maps only, at full size."""
    with tempfile.TemporaryDirectory() as folder:
        for photo in photos:
            (Path(folder) / photo.name).symlink_to(photo.resolve())
        command = [sys.executable, "-m", "msdunet", "detect", folder, "-o", str(out), "--no-overlay"]
        command += ["--map-size", "full", "-q", *options]
        subprocess.run(command, check=True)


def sod_scores(pairs) -> dict[str, float]:
    """(8-bit map, 8-bit mask) pairs → maxF, MAE, fixedF, fixedMAE by py_sod_metrics."""
    import py_sod_metrics as psm

    def fmeasure(**kwargs):
        return psm.FmeasureV2({"f": psm.FmeasureHandler(beta=0.3, **kwargs)})

    curve, binary = (
        fmeasure(with_dynamic=True, with_adaptive=False),
        fmeasure(with_dynamic=False, with_adaptive=False, with_binary=True),
    )
    mae, raw_mae, n = psm.MAE(), psm.MAE(), 0
    for blur_map, mask in pairs:
        curve.step(blur_map, mask)
        mae.step(blur_map, mask)
        raw, blurred = blur_map / 255.0, mask > 128
        binary.step(raw, blurred, normalize=False)
        raw_mae.step(raw, blurred, normalize=False)
        n += 1
    return {
        "n": n,
        "maxF": float(curve.get_results()["f"]["dynamic"].max()),
        "MAE": float(mae.get_results()["mae"]),
        "fixedF": float(binary.get_results()["f"]["binary"]),
        "fixedMAE": float(raw_mae.get_results()["mae"]),
    }


def grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def detect_and_score(data: Path, options: list[str], work: Path) -> dict[str, dict]:
    """{test set: py_sod_metrics scores of detect's maps} for detect run with OPTIONS."""
    scores = {}
    for name, (dataset, split) in TEST_SETS.items():
        samples = dataset_samples(dataset, split, data)
        out = work / name.replace(" ", "_")
        run_detect([s.image for s in samples], out, options)
        pairs = ((grey(out / f"{s.image.stem}_blur.png"), grey(s.mask)) for s in samples)
        scores[f"{name} ({len(samples)})"] = sod_scores(pairs)
        print(f"detect {' '.join(options) or '(defaults)'} on {name}: {scores[f'{name} ({len(samples)})']}", flush=True)
    return scores
