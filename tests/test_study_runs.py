"""The study scripts' run bookkeeping (lab/studies/study_runs.py): a run capped by ``max_minutes`` is resumed
until its planned epochs are logged, and an unfinished run is never scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.studies import study_runs


def fake_training(epochs_per_call: int, planned: int = 3):
    """Stands in for ``python -m msdunet train``: each call logs up to ``epochs_per_call`` epochs and
    writes weights (as ``fit`` does when ``max_minutes`` stops it early)."""
    calls: list[list[str]] = []

    def run(cmd: list[str]) -> None:
        calls.append(cmd)
        out = Path(cmd[cmd.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps({"epochs": planned}))
        done = len(study_runs.read_log(out))
        with open(out / "log.jsonl", "a") as f:
            for epoch in range(done, min(done + epochs_per_call, planned)):
                f.write(json.dumps({"epoch": epoch + 1, "seconds": 1.0, "images": 4}) + "\n")
        (out / "checkpoint.pt").write_bytes(b"")
        (out / "model.safetensors").write_bytes(b"")

    return run, calls


def test_a_capped_run_is_resumed_until_its_epochs_are_logged(tmp_path, monkeypatch):
    run, calls = fake_training(epochs_per_call=1)
    monkeypatch.setattr(study_runs, "run", run)
    out = study_runs.train("r", "lite0_unet_cpu.toml", {"seed": 0}, runs_dir=tmp_path)
    assert study_runs.run_state(out).finished
    assert len(calls) == 3
    assert "--resume" not in calls[0] and all("--resume" in c for c in calls[1:])
    study_runs.train("r", "lite0_unet_cpu.toml", {"seed": 0}, runs_dir=tmp_path)  # finished: skipped
    assert len(calls) == 3


def test_one_call_only_when_asked_as_the_accelerator_queue_does(tmp_path, monkeypatch):
    run, calls = fake_training(epochs_per_call=1)
    monkeypatch.setattr(study_runs, "run", run)
    out = study_runs.train("r", "lite0_unet_cpu.toml", {}, runs_dir=tmp_path, until_finished=False)
    assert len(calls) == 1 and not study_runs.run_state(out).finished


def test_a_call_without_progress_stops_the_loop(tmp_path, monkeypatch):
    run, calls = fake_training(epochs_per_call=0)
    monkeypatch.setattr(study_runs, "run", run)
    with pytest.raises(RuntimeError, match="no epoch finished"):
        study_runs.train("r", "lite0_unet_cpu.toml", {}, runs_dir=tmp_path)
    assert len(calls) == 1


def test_an_unfinished_run_is_not_scored(tmp_path, monkeypatch):
    run, _ = fake_training(epochs_per_call=1)
    monkeypatch.setattr(study_runs, "run", run)
    out = study_runs.train("r", "lite0_unet_cpu.toml", {}, runs_dir=tmp_path, until_finished=False)
    with pytest.raises(RuntimeError, match="not finished"):
        study_runs.score("r", out, data="unused", test_sets={}, report_dir=tmp_path / "scores")
    assert not (tmp_path / "scores" / "r.json").exists()
