"""Training: the paper's defaults, exact resume, a kill -9 mid-run, divergence, DDP on 2 CPU processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from msdunet.data.pack import build_pack
from msdunet.data.sources import dataset_samples
from msdunet.training.train import TrainConfig, TrainingDiverged, fit, lr_at

from .conftest import invoke


@pytest.fixture()
def pack(folder_dataset, tmp_path):
    path = tmp_path / "train.npz"
    build_pack(dataset_samples("folder", "all", folder_dataset), path, size=32)
    return path


def tiny(pack, out, **kw) -> TrainConfig:
    options = dict(
        train=[str(pack)], val=str(pack), out=str(out), width=4, batch_size=2, epochs=3, expand=False, amp=False, seed=1
    )
    return TrainConfig.from_dict({**options, **kw})


def test_defaults_are_the_papers_recipe():
    cfg = TrainConfig()
    assert (cfg.optimizer, cfg.momentum, cfg.weight_decay, cfg.lr, cfg.batch_size, cfg.epochs) == (
        "sgd",
        0.9,
        5e-4,
        0.01,
        16,
        100,
    )
    assert cfg.expand and cfg.crop is None and cfg.model.norm == "none" and cfg.model.width == 64
    assert [lr_at(cfg, e) for e in (0, 24, 25, 50, 99)] == pytest.approx([0.01, 0.01, 0.001, 1e-4, 1e-5])


def test_fit_logs_one_json_line_per_epoch_and_saves_weights(pack, tmp_path, capsys):
    log = fit(tiny(pack, tmp_path / "run"))
    lines = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2, 3] and log["epoch"] == 3
    assert {"loss", "lr", "images_per_s", "val_maxF", "val_MAE"} <= lines[0].keys()
    assert (tmp_path / "run" / "model.safetensors").exists()
    card = json.loads((tmp_path / "run" / "model.json").read_text())
    assert card["config"]["width"] == 4 and card["training"]["epochs"] == 3


def test_resume_continues_exactly(pack, tmp_path):
    fit(tiny(pack, tmp_path / "straight"))
    fit(tiny(pack, tmp_path / "split", epochs=1))
    (tmp_path / "split" / "model.safetensors").unlink()
    fit(tiny(pack, tmp_path / "split"), resume=True)
    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "split" / "model.safetensors"))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)


def test_non_finite_loss_stops_with_a_clear_message(pack, tmp_path):
    with pytest.raises(TrainingDiverged, match="diverged"):
        fit(tiny(pack, tmp_path / "nan", lr=1e12, epochs=2, norm="none"))


TINY_SETS = ["--set", "width=4", "--set", "epochs=1", "--set", "batch_size=2", "--set", "amp=false"]
TINY_SETS += ["--set", "expand=false"]


def test_cli_train_with_overrides(pack, tmp_path):
    result = invoke(["train", "--train", pack, "--out", tmp_path / "cli", *TINY_SETS])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "cli" / "config.json").read_text())["model"]["width"] == 4
    bad = invoke(["train", "--train", pack, "--set", "nonsense=1"])
    assert bad.exit_code != 0 and "nonsense" in bad.output


def test_resume_starts_from_the_runs_config_and_keeps_its_architecture(pack, tmp_path):
    run = tmp_path / "run"
    first = invoke(["train", "--train", pack, "--out", run, *TINY_SETS])
    assert first.exit_code == 0, first.output
    other = invoke(["train", "--resume", "--out", run, "--set", "width=8", "--set", "epochs=2"])
    assert other.exit_code == 2 and "width=8 (was 4)" in other.output and "architecture" in other.output
    resumed = invoke(["train", "--resume", "--out", run, "--set", "epochs=2"])  # nothing else repeated
    assert resumed.exit_code == 0, resumed.output
    assert [json.loads(x)["epoch"] for x in (run / "log.jsonl").read_text().splitlines()] == [1, 2]
    config = json.loads((run / "config.json").read_text())
    assert (config["model"]["width"], config["batch_size"], config["epochs"], config["model"]["encoder"]) == (
        4,
        2,
        2,
        "plain",
    )
    nothing = invoke(["train", "--resume", "--out", tmp_path / "typo"])
    assert nothing.exit_code == 2 and "nothing to resume" in nothing.output


def test_a_fresh_run_into_a_run_folder_is_refused(pack, tmp_path):
    run = tmp_path / "run"
    fit(tiny(pack, run, epochs=1))
    before = {name: (run / name).read_bytes() for name in ("config.json", "log.jsonl", "checkpoint.pt")}
    again = invoke(["train", "--train", pack, "--out", run, *TINY_SETS])
    assert again.exit_code == 2 and "--resume" in again.output and "another --out" in again.output
    from msdunet.training.run_folder import RunFolderError

    with pytest.raises(RunFolderError, match="--resume"):
        fit(tiny(pack, run, epochs=1))
    assert {name: (run / name).read_bytes() for name in before} == before


def _train_cmd(pack, out, epochs):
    return [
        sys.executable,
        "-m",
        "msdunet",
        "train",
        "--train",
        str(pack),
        "--out",
        str(out),
        "--set",
        "width=4",
        "--set",
        f"epochs={epochs}",
        "--set",
        "batch_size=2",
        "--set",
        "amp=false",
        "--set",
        "expand=true",
    ]


def test_kill_minus_9_loses_at_most_the_running_epoch(pack, tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(pack, out, 200), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    log = out / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(log.read_text().splitlines())
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["epoch"] >= done - 1 >= 1  # the checkpoint is complete and at most one epoch behind the log
    resumed = subprocess.run(
        _train_cmd(pack, out, state["epoch"] + 1) + ["--resume"], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"after epoch {state['epoch']}" in resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["epoch"] == state["epoch"] + 1


@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun not on PATH")
def test_ddp_two_cpu_processes(pack, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        "torchrun",
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "msdunet",
        "train",
        "--train",
        str(pack),
        "--out",
        str(tmp_path / "ddp"),
        "--set",
        "width=4",
        "--set",
        "epochs=2",
        "--set",
        "batch_size=1",
        "--set",
        "amp=false",
        "--set",
        "expand=false",
        "--set",
        "device=cpu",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(x) for x in Path(tmp_path / "ddp" / "log.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2]
    assert lines[0]["images"] == 4  # 2 ranks × 2 images each: all 4 images once per epoch


def test_init_weights_starts_from_a_trained_model(pack, tmp_path, tiny_weights, capsys):
    """Fine-tuning: every tensor that fits is taken, the rest is named; weights that fit less than
    half the network are refused (that would be training from scratch); the run's card records the
    source and its checksum, and a resume continues from the checkpoint, not from the source again."""
    from msdunet.model import ModelConfig, build_model
    from msdunet.model.weights import copy_fitting_tensors, load_weights, read_card

    source, card = load_weights(tiny_weights)
    same = build_model(ModelConfig(variant="msdunet", width=4, norm="batch"))
    start = copy_fitting_tensors(same, str(tiny_weights))
    assert start.unused == [] and start.fresh == [] and start.sha256 == card["sha256"]
    for key, value in source.state_dict().items():
        assert torch.equal(same.state_dict()[key], value), key
    fewer = build_model(ModelConfig(variant="unet", width=4, norm="batch"))  # no extractors, narrower level inputs
    start = copy_fitting_tensors(fewer, str(tiny_weights))
    assert {k for k in source.state_dict() if k.startswith("encoder.extractors.")} < set(start.unused)
    assert "encoder.levels.0.0.0.weight" in start.unused and "encoder.levels.0.0.0.weight" in start.fresh
    assert torch.equal(fewer.state_dict()["head.weight"], source.state_dict()["head.weight"])
    with pytest.raises(ValueError, match="weights fit it"):
        copy_fitting_tensors(build_model(ModelConfig(variant="unet", width=8, norm="batch")), str(tiny_weights))

    out = tmp_path / "ft"
    fit(tiny(pack, out, epochs=1, variant="msdunet", norm="batch", init_weights=str(tiny_weights)))
    assert "started from" in capsys.readouterr().err
    assert read_card(out / "model.safetensors")["started_from"]["sha256"] == card["sha256"]
    after_one = load_weights(out / "model.safetensors")[0].state_dict()
    fit(TrainConfig.from_dict({**json.loads((out / "config.json").read_text()), "epochs": 2}), resume=True)
    assert "started from" not in capsys.readouterr().err
    resumed = load_weights(out / "model.safetensors")[0].state_dict()
    assert any(not torch.equal(resumed[k], after_one[k]) for k in after_one)
    assert read_card(out / "model.safetensors")["started_from"]["sha256"] == card["sha256"]
