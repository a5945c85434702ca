"""The focus summary: sharp share, the largest sharp region and where it is, the verdict."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from msdunet.focus import SHARP_FROM, SUBJECT_FROM, classify, summarize_focus

from .conftest import DATA, needs_data

ROOT = Path(__file__).resolve().parents[1]


def test_a_sharp_subject_on_blur_is_found_where_it_is():
    blur = np.ones((600, 900), np.float32)
    blur[60:240, 540:810] = 0.1  # the subject: top right
    blur[500:505, 10:15] = 0.0  # a speck of sharp noise, much smaller
    s = summarize_focus(blur)
    assert s.subject_share == pytest.approx(180 * 270 / (600 * 900), abs=0.01)
    assert s.sharp_fraction == pytest.approx((180 * 270 + 25) / (600 * 900), abs=1e-4)
    assert s.subject_x == pytest.approx(675 / 900, abs=0.01) and s.subject_y == pytest.approx(150 / 600, abs=0.01)
    assert s.verdict == "subject in focus"


def test_scattered_sharp_specks_are_not_a_subject():
    blur = np.ones((512, 512), np.float32)
    blur[::16, ::16] = 0.0  # 2 % of small unconnected specks
    s = summarize_focus(blur)
    assert s.subject_share < SUBJECT_FROM and s.verdict == "blurred"


def test_all_sharp_all_blurred_and_uint8_maps():
    assert summarize_focus(np.zeros((40, 60), np.uint8)).verdict == "sharp"
    s = summarize_focus(np.full((40, 60), 255, np.uint8))
    assert (s.verdict, s.sharp_fraction, s.subject_x) == ("blurred", 0.0, None)
    level = np.full((10, 10), 127, np.uint8)  # 127/255 < 0.5: sharp; 128/255 ≥ 0.5: blurred
    assert summarize_focus(level).sharp_fraction == 1.0 and summarize_focus(level + 1).sharp_fraction == 0.0


def test_classify_thresholds():
    assert classify(SHARP_FROM, 0.0) == "sharp"
    assert classify(SHARP_FROM - 0.01, SUBJECT_FROM) == "subject in focus"
    assert classify(0.5, SUBJECT_FROM - 0.001) == "blurred"
    assert classify(0.5, 0.2, subject_from=0.3) == "blurred"


def test_bad_maps_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        summarize_focus(np.zeros((3, 4, 4)))


def test_thresholds_are_the_ones_derived_from_the_training_masks():
    derived = json.loads((ROOT / "reports" / "verdict_thresholds.json").read_text())
    assert (derived["sharp_from"], derived["subject_from"]) == (SHARP_FROM, SUBJECT_FROM)


@needs_data
def test_the_derivation_gives_the_reported_thresholds(tmp_path):
    """``python -m lab verdict_study`` run again on the masks writes what reports/ holds."""
    cmd = [sys.executable, "-m", "lab", "verdict_study", "--data", str(DATA), "--reports", str(tmp_path)]
    cmd.append("--thresholds-only")
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    fresh = json.loads((tmp_path / "verdict_thresholds.json").read_text())
    assert fresh == json.loads((ROOT / "reports" / "verdict_thresholds.json").read_text())
