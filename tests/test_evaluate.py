"""``msdunet evaluate`` in both modes, its outputs, and ``msdunet models``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from msdunet.scoring.evaluate import FLOOR

from .conftest import invoke, write_folder_dataset


@pytest.fixture()
def maps_and_masks(tmp_path):
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    pred.mkdir()
    gt.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        mask = np.zeros((30, 40), dtype=np.uint8)
        mask[:, : 10 + 5 * i] = 255
        Image.fromarray(mask).save(gt / f"im{i}.png")
        noisy = np.clip(mask * 0.7 + rng.normal(40, 30, mask.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(pred / f"im{i}.{'jpg' if i % 2 else 'png'}", quality=100)
    return pred, gt


def test_folder_mode_writes_table_json_csv(maps_and_masks, tmp_path):
    pred, gt = maps_and_masks
    out = tmp_path / "r"
    result = invoke(
        [
            "evaluate",
            "--pred",
            str(pred),
            "--gt",
            str(gt),
            "--json",
            f"{out}.json",
            "--csv",
            f"{out}.csv",
            "--markdown",
            f"{out}.md",
            "--name",
            "noisy",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| noisy | 4 |" in result.output and FLOOR in result.output
    data = json.loads(out.with_suffix(".json").read_text())["results"]
    assert set(data) == {"noisy", FLOOR}
    assert data["noisy"]["n"] == 4 and data["noisy"]["maxF"] > data[FLOOR]["maxF"]
    assert all(len(data["noisy"]["curves"][k]) == 256 for k in ("precision", "recall", "f_curve"))
    with open(out.with_suffix(".csv")) as f:
        assert len(list(csv.DictReader(f))) == 2 * 256
    assert out.with_suffix(".md").read_text().startswith("| method |")


def test_protocol_chooses_the_table_columns_and_the_json_keeps_both(maps_and_masks, tmp_path):
    pred, gt = maps_and_masks
    headers = {}
    for protocol in ("maxf", "fixed", "both"):
        out = tmp_path / protocol
        args = ["evaluate", "--pred", str(pred), "--gt", str(gt), "--protocol", protocol, "--json", f"{out}.json"]
        result = invoke([*args, "--markdown", f"{out}.md"])
        assert result.exit_code == 0, result.output
        headers[protocol] = out.with_suffix(".md").read_text().splitlines()[0]
        scores = json.loads(out.with_suffix(".json").read_text())["results"]["pred"]
        assert 0 < scores["fixedF"] <= 1 and 0 < scores["fixedMAE"] < 1 and 0 < scores["maxF"] <= 1
    assert headers["maxf"] == "| method | n | maxF | meanF | adpF | MAE |"
    assert headers["fixed"] == "| method | n | fixedF | fixedMAE |"
    assert headers["both"] == "| method | n | maxF | meanF | adpF | MAE | fixedF | fixedMAE |"
    bad = invoke(["evaluate", "--pred", str(pred), "--gt", str(gt), "--protocol", "mean"])
    assert bad.exit_code == 2


def test_split_file_and_missing_maps(maps_and_masks, tmp_path):
    pred, gt = maps_and_masks
    (tmp_path / "two.txt").write_text("im0\nim3\n")
    split = str(tmp_path / "two.txt")
    ok = invoke(["evaluate", "--pred", str(pred), "--gt", str(gt), "--split", split])
    assert ok.exit_code == 0 and "| pred | 2 |" in ok.output
    (pred / "im1.jpg").unlink()
    missing = invoke(["evaluate", "--pred", str(pred), "--gt", str(gt)])
    assert missing.exit_code == 1 and "im1" in missing.output and "no map" in missing.output


def test_model_mode_on_a_folder_dataset(tmp_path, tiny_weights):
    root = write_folder_dataset(tmp_path / "ds", ["x0", "x1", "x2"], 64, 48)
    result = invoke(
        [
            "evaluate",
            "--dataset",
            "folder",
            "--split",
            "all",
            "--data",
            str(root),
            "--weights",
            str(tiny_weights),
            "--json",
            str(tmp_path / "m.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["results"]["tiny"]["n"] == 3 and data["square"] is True
    assert data["results"][FLOOR]["MAE"] == pytest.approx(0.5, abs=0.01)


def test_folder_mode_reads_detects_own_map_names(tmp_path, tiny_weights):
    """detect writes <stem>_blur.png (and overlays, and a report) beside each other: evaluate reads that folder."""
    root = write_folder_dataset(tmp_path / "ds", ["x0", "x1", "x2"], 64, 48)
    out = tmp_path / "out"
    detected = invoke(["detect", str(root / "image"), "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert detected.exit_code == 0, detected.output
    result = invoke(["evaluate", "--pred", str(out), "--gt", str(root / "gt")])
    assert result.exit_code == 0, result.output
    assert "| out | 3 |" in result.output


def test_folder_mode_reads_detects_mirrored_tree_and_refuses_ambiguous_stems(tmp_path, tiny_weights):
    """detect -r mirrors the input tree under OUT: evaluate finds maps in subfolders; one stem in
    two subfolders is refused with both paths named, never scored against the wrong mask."""
    root = write_folder_dataset(tmp_path / "ds", ["x0", "x1", "x2"], 64, 48)
    photos = tmp_path / "photos"
    for i, sub in enumerate(["a", "b", "b/c"]):
        (photos / sub).mkdir(parents=True, exist_ok=True)
        (root / "image" / f"x{i}.jpg").rename(photos / sub / f"x{i}.jpg")
    out = tmp_path / "out"
    detected = invoke(["detect", str(photos), "-r", "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert detected.exit_code == 0, detected.output
    assert not list(out.glob("*_blur.png")) and len(list(out.rglob("*_blur.png"))) == 3
    result = invoke(["evaluate", "--pred", str(out), "--gt", str(root / "gt")])
    assert result.exit_code == 0, result.output
    assert "| out | 3 |" in result.output
    (out / "b" / "x2_blur.png").write_bytes((out / "b" / "c" / "x2_blur.png").read_bytes())
    ambiguous = invoke(["evaluate", "--pred", str(out), "--gt", str(root / "gt")])
    assert ambiguous.exit_code != 0 and "x2_blur" in ambiguous.output and "ambiguous" in ambiguous.output


def test_usage_errors():
    assert invoke(["evaluate"]).exit_code == 2
    assert invoke(["evaluate", "--dataset", "dut"]).exit_code == 2


def test_models_lists_shipped_weights():
    from msdunet.model.weights import shipped_models

    result = invoke(["models"])
    assert result.exit_code == 0
    for name in shipped_models():
        assert name in result.output and "maxF" in result.output
    if not shipped_models():
        assert "no weights are installed" in result.output


def test_evaluate_folder_returns_the_method_and_the_floor_by_name(maps_and_masks):
    from msdunet.scoring.evaluate import evaluate_folder

    pred, gt = maps_and_masks
    scored = evaluate_folder(pred, gt, stems=["im0", "im2"])
    assert scored.method["n"] == 2 and scored.floor["n"] == 2 and scored.method["maxF"] > scored.floor["maxF"]
    assert list(scored.rows("noisy")) == ["noisy", FLOOR] and scored.rows("noisy")["noisy"] is scored.method
    alone = evaluate_folder(pred, gt, with_floor=False)
    assert alone.floor is None and list(alone.rows("noisy")) == ["noisy"]
