"""Shared by the study scripts: train a named run (resumable), score it with ``msdunet evaluate``.

Weights stay in ``runs/NAME`` (ignored by git); a run's scores go to one small JSON file that the
scripts commit.  Scoring is the CLI's own ``msdunet evaluate`` (paper protocol), so a study's numbers
come from the same code path a user runs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab import ROOT

CONFIGS = ROOT / "src" / "msdunet" / "training" / "configs"
METRICS = ("maxF", "meanF", "MAE")


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


@dataclass(frozen=True)
class RunState:
    """Where a run folder stands: epochs logged of those planned, and what they took."""

    epochs_done: int
    epochs: int | None  # planned (None: no config.json yet)
    seconds: float  # training time of the epochs logged
    images: int  # images trained on in them
    has_weights: bool

    @property
    def finished(self) -> bool:
        """Weights written after the last planned epoch (``fit`` also writes them when ``max_minutes``
        stops it early, so the weights alone do not say the run is done)."""
        return self.has_weights and (self.epochs is None or self.epochs_done >= self.epochs)

    @property
    def images_per_s(self) -> float | None:
        return self.images / self.seconds if self.seconds else None


def read_log(out: Path) -> list[dict]:
    path = out / "log.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def run_state(out: Path) -> RunState:
    log = read_log(out)
    config = out / "config.json"
    epochs = json.loads(config.read_text())["epochs"] if config.exists() else None
    seconds, images = sum(x["seconds"] for x in log), sum(x["images"] for x in log)
    return RunState(len(log), epochs, seconds, images, (out / "model.safetensors").exists())


def train(
    name: str,
    config: str,
    overrides: dict,
    *,
    packs: list[str] | None = None,
    runs_dir: Path | None = None,
    until_finished: bool = True,
) -> Path:
    """Train ``RUNS_DIR/NAME`` (default ``runs/NAME``) from CONFIG with ``--set`` OVERRIDES (and
    ``--train`` PACKS when given); resume a stopped run; skip a finished one.  ``max_minutes`` caps one
    training process: with ``until_finished`` the run is resumed until its planned epochs are logged,
    without it one process runs (the accelerator queue's time-boxed calls)."""
    out = (runs_dir or ROOT / "runs") / name
    state = run_state(out)
    if state.finished:
        return out
    cmd = [sys.executable, "-m", "msdunet", "train", "--config", str(CONFIGS / config), "--out", str(out)]
    for pack in packs or []:
        cmd += ["--train", str(pack)]
    for key, value in overrides.items():
        cmd += ["--set", f"{key}={value}"]
    while True:
        before = state.epochs_done
        run(cmd + (["--resume"] if (out / "checkpoint.pt").exists() else []))
        state = run_state(out)
        if state.finished or not until_finished:
            return out
        if state.epochs_done == before:
            raise RuntimeError(f"{out}: no epoch finished in the last call ({before} of {state.epochs} logged)")


def evaluate(
    model: str,
    *,
    dataset: str,
    split: str,
    data: str,
    name: str,
    tmp: Path | None = None,
    curves: bool = False,
    keys: tuple[str, ...] = METRICS,
    report: Path | None = None,
) -> dict:
    """``msdunet evaluate`` of one model on one split: its KEYS scores and the floor's maxF and MAE,
    rounded to 4 digits; with ``curves`` also its precision / recall / F curves (256 thresholds) for
    the figures.  The evaluation's JSON goes to TMP and is removed, or, with ``report`` (a path
    without suffix), is kept there beside its markdown table and PR figure (``.json``, ``.md``, ``.png``)."""
    if (tmp is None) == (report is None):
        raise ValueError("evaluate: give exactly one of tmp (JSON removed after reading) or report (kept)")
    json_path = report.with_suffix(".json") if report is not None else tmp
    cmd = [sys.executable, "-m", "msdunet", "evaluate", "--dataset", dataset, "--split", split, "--data", data]
    cmd += ["--model", model, "--name", name, "--json", str(json_path)]
    if report is not None:
        cmd += ["--markdown", str(report.with_suffix(".md")), "--plot", str(report.with_suffix(".png"))]
    run(cmd)
    results = json.loads(json_path.read_text())["results"]
    if report is None:
        json_path.unlink()
    floor = next(v for k, v in results.items() if k.startswith("floor"))
    scores = {k: round(results[name][k], 4) for k in keys}
    scores["floor_maxF"], scores["floor_MAE"] = round(floor["maxF"], 4), round(floor["MAE"], 4)
    if curves:
        scores["curves"] = {k: [round(x, 4) for x in v] for k, v in results[name]["curves"].items()}
    return scores


def score(
    name: str,
    out: Path,
    *,
    data: str,
    test_sets: dict[str, tuple[str, str]],
    report_dir: Path,
    curves: bool = False,
    keys: tuple[str, ...] = METRICS,
) -> dict:
    """KEYS scores of a trained run on TEST_SETS ({key: (dataset, split)}) → ``REPORT_DIR/NAME.json``, cached."""
    path = report_dir / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    state = run_state(out)
    if not state.finished:
        raise RuntimeError(f"{out}: not finished ({state.epochs_done} of {state.epochs} epochs); not scoring it")
    card = json.loads((out / "model.json").read_text())
    result = {"run": name, "training": card["training"]}
    if "started_from" in card:  # a fine-tune: its source, checksum and epochs
        result["started_from"] = card["started_from"]
    log = read_log(out)
    result["epochs"] = len(log)
    result["training_minutes"] = round(sum(x["seconds"] for x in log) / 60, 1)
    for key, (dataset, split) in test_sets.items():
        model, tmp = str(out / "model.safetensors"), report_dir / f".{name}.json"
        result[key] = evaluate(
            model, dataset=dataset, split=split, data=data, name=name, tmp=tmp, curves=curves, keys=keys
        )
    path.write_text(json.dumps(result, indent=2) + "\n")
    return result


def overlap(test: tuple[str, str], trained_on: Iterable[tuple[str, str]], data: str) -> int:
    """How many images of a test split ``(dataset, split)`` are also in the training splits."""
    from msdunet.data.sources import dataset_samples

    seen = {(d, s.stem) for d, sp in trained_on for s in dataset_samples(d, sp, data)}
    return sum((test[0], s.stem) in seen for s in dataset_samples(*test, data))


def spread(values: list[float], digits: int = 3) -> str:
    """Mean ± half the range (one value: itself)."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {(max(values) - min(values)) / 2:.{digits}f}"
