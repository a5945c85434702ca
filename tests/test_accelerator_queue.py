"""The accelerator queue (scripts/accelerator_queue.py) end to end on the CPU, before a GPU is ever seen.

The dry run packs a tiny synthetic data root, then makes two device "calls" of ``run``: the first stops
each step after one epoch (as a call out of time does), the second resumes; each call's files are
checked against the limits of what comes back and ingested; then the report.  Two steps cover both
kinds: the default model (fp16 weights come back, split into parts, and are scored here) and a paper
step (scored on the device's copy of its test set).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "accelerator_queue.py"
sys.path.insert(0, str(ROOT / "scripts"))

from accel_results import check_out  # noqa: E402


def queue(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def dry(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("queue")
    done = queue("dry-run", "--work", str(work), "--steps", "lite0_gpu", "paper_cuhk")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work, done


def test_first_call_stops_mid_step_and_brings_back_progress_only(dry):
    work, _ = dry
    first = json.loads((work / "out1" / "queue.json").read_text())
    assert sorted(p.name for p in (work / "out1").iterdir()) == ["queue.json"]
    # the stopped run has weights on disk (fit writes them on a max_minutes stop) but is not finished
    assert first["steps"]["lite0_gpu"] | {"images_per_s": 0} == {
        "state": "running",
        "epochs_done": 1,
        "epochs": 2,
        "images_per_s": 0,
        "rate": "measured",
        "device_minutes_left": first["steps"]["lite0_gpu"]["device_minutes_left"],
    }
    assert first["steps"]["paper_cuhk"]["state"] == "pending" and first["results"] == {}
    assert first["device"] and first["torch"] and "lite0_gpu" in first["throughput"]


def test_second_call_resumes_and_its_files_keep_the_limits(dry):
    work, done = dry
    assert "resuming from" in done.stdout + done.stderr
    log = [json.loads(x) for x in (work / "runs" / "accel" / "lite0_gpu" / "log.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in log] == [1, 2]
    out = work / "out2"
    assert check_out(out) == []
    second = json.loads((out / "queue.json").read_text())
    parts = second["results"]["lite0_gpu"]["weights"]["files"]
    assert len(parts) > 1 and all((out / p).stat().st_size <= 2 << 20 for p in parts)  # split at --part-mib 2
    assert sorted(second["files"]) == sorted(parts)
    assert not any("checkpoint" in p.name for p in out.iterdir())


def test_ingested_results_and_weights(dry):
    from msdunet.weights import load_weights

    work, _ = dry
    reports = work / "reports" / "accelerator"
    paper = json.loads((reports / "paper_cuhk.json").read_text())
    scores = paper["kim_test"]
    assert 0 <= scores["maxF"] <= 1 and 0 <= scores["MAE"] <= 1 and scores["floor_maxF"] > 0
    assert len(scores["curves"]["f_curve"]) == 256 and paper["device"] and paper["epochs"] == 2
    assert paper["test_unit"]["images"] == 3
    model, card = load_weights(work / "runs" / "accel" / "lite0_gpu" / "model.safetensors")  # sha256 checked
    assert card["dtype"] == "float16" and card["config"]["encoder"] == "efficientnet-lite0"
    protocol = json.loads((reports / "protocol" / "lite0_gpu.json").read_text())
    assert set(protocol) >= {"dut_test", "kim_test"}
    report = (work / "reports" / "accelerator.md").read_text()
    assert "CPU-trained default" in report and "| Table 1: CUHK (Kim 800 → 200) |" in report
    # a later call finds every step done: nothing left, nothing to collect
    again = queue(
        "run", "--dry-run", "--work", str(work), "--out", str(work / "out3"), "--steps", "lite0_gpu", "paper_cuhk"
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((work / "out3" / "queue.json").read_text())["results"] == {}


def test_ingest_refuses_a_damaged_part(dry, tmp_path):
    import shutil

    from accel_plan import Work
    from accel_results import ingest

    work, _ = dry
    copy = tmp_path / "out2"
    shutil.copytree(work / "out2", copy)
    part = copy / "lite0_gpu.safetensors.001"
    data = bytearray(part.read_bytes())
    data[100] ^= 1
    part.write_bytes(bytes(data))
    with pytest.raises(SystemExit, match="lite0_gpu.safetensors.001"):
        ingest(Work(tmp_path / "here"), copy)
    assert not (tmp_path / "here" / "reports" / "accelerator" / "lite0_gpu.json").exists()


def test_check_out_names_each_broken_limit(tmp_path):
    for i in range(9):
        (tmp_path / f"f{i}.json").write_text("{}")
    (tmp_path / "big.bin").write_bytes(b"\0" * ((16 << 20) + 1))
    (tmp_path / "bad name.txt").write_text("x")
    problems = check_out(tmp_path)
    assert any("11 files" in p for p in problems)
    assert any(p.startswith("big.bin") for p in problems)
    assert any(p.startswith("bad name.txt") for p in problems)


def test_status_before_packing_says_what_to_do(tmp_path):
    done = queue("status", "--work", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "| paper_dut | pending | 0/100 |" in done.stdout and "build them with `pack`" in done.stdout
