"""The queue's steps and their state (``scripts/accelerator_queue.py``): what each step trains, where
its files are, and how much device time it still needs, from the files alone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import tomllib
from accel_bundle import ENCODER_UNIT
from study_runs import CONFIGS, ROOT, run_state  # noqa: F401 (ROOT: re-exported)

# Planning assumptions until the device measured them (calibration or training replaces them):
# an effective 100 TFLOP/s for training the plain width-64 networks in bf16 (about 1/8 of the 790 TFLOP/s
# that a bf16 matmul reached on these H100/H200s, see the device's KINDS.md), a training image costing
# 3× the forward GFLOPs of reports/model_size.md; the Lite0 U-net, launch-bound at batch 16: 1000 images/s;
# scoring on the device's CPU: 0.25 s per test image; a training process's start: 45 s.
ASSUMED_TFLOPS = 100.0
ASSUMED_LITE0_RATE = 1000.0
ASSUMED_SCORE_S = 0.25
STARTUP_S = 45.0
COLLECT_S = 30.0  # kept at the end of a call for collecting
NOMINAL_IMAGES = {"dut_train": 599, "kim_train": 800, "defocus_train": 604}  # until `pack` counted them
NOMINAL_TEST = {"dut_test": 500, "kim_test": 200, "defocus_test": 100}
DRY = {"width": 4, "epochs": 2, "batch_size": 4}  # --dry-run: tiny networks, two epochs, the CPU
DRY_SIZE = 32


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    config: str  # in src/msdunet/configs
    packs: tuple[str, ...]  # training units
    test: str | None = None  # test unit scored on the device (None: weights come back, scored here)
    gflops: float | None = None  # forward GFLOPs per 256² image (reports/model_size.md); None: Lite0

    @property
    def ship(self) -> bool:
        return self.test is None

    @property
    def units(self) -> list[str]:
        return [*self.packs, *([self.test] if self.test else []), *([] if self.test else [ENCODER_UNIT])]


W64 = 157.72  # MSDU-net, width 64
STEPS = (
    Step("lite0_gpu", "default: Lite0 U-net, stride 2, GPU", "lite0_unet_gpu.toml", ("dut_train", "kim_train")),
    Step("paper_dut", "Table 1: DUT (600 → 500)", "paper_dut.toml", ("dut_train",), "dut_test", W64),
    Step("paper_cuhk", "Table 1: CUHK (Kim 800 → 200)", "paper_cuhk.toml", ("kim_train",), "kim_test", W64),
    Step(
        "paper_cuhk_star", "Table 1: CUHK* (604 → 100)", "paper_cuhk_star.toml", ("defocus_train",), "defocus_test", W64
    ),
    Step("ablation_noskip", "Table 2: no skip connections", "ablation_noskip.toml", ("kim_train",), "kim_test", 138.40),
    Step("ablation_unet", "Table 3: plain U-net", "ablation_unet.toml", ("kim_train",), "kim_test", 96.34),
    Step(
        "ablation_nodilation",
        "Table 3: 5×5, no dilation",
        "ablation_nodilation.toml",
        ("kim_train",),
        "kim_test",
        163.36,
    ),
)
BY_NAME = {s.name: s for s in STEPS}


@dataclass(frozen=True)
class Work:
    """Where the queue keeps things: the repo's root, or a dry run's folder laid out the same way."""

    root: Path
    dry_run: bool = False

    @property
    def bundle(self) -> Path:
        return self.root / "accel"

    @property
    def runs(self) -> Path:
        return self.root / "runs" / "accel"

    @property
    def scores(self) -> Path:  # device side: results of finished steps
        return self.runs / "_scores"

    @property
    def reports(self) -> Path:  # here: ingested results (committed)
        return self.root / "reports" / "accelerator"

    def read(self, path: Path) -> dict:
        return json.loads(path.read_text()) if path.exists() else {}

    def recipe(self, step: Step) -> dict:
        """The step's training options as they will run (defaults, the config, the queue's overrides)."""
        from msdunet.train_config import TrainConfig

        options = {**tomllib.loads((CONFIGS / step.config).read_text()), **self.overrides()}
        return asdict(TrainConfig.from_dict(options))

    def overrides(self) -> dict:
        return {"val": None, "device": "cpu" if self.dry_run else "cuda", **(DRY if self.dry_run else {})}

    def train_images(self, unit: str) -> int:
        return self.read(self.bundle / "manifest.json").get(unit, {}).get("images", NOMINAL_IMAGES.get(unit, 8))

    def test_images(self, unit: str) -> int:
        return self.read(self.bundle / "manifest.json").get(unit, {}).get("images", NOMINAL_TEST.get(unit, 4))

    def rates(self) -> dict:
        """Measured rates, by step: those ingested here, then those on this (device) machine."""
        return {**self.read(self.reports / "throughput.json"), **self.read(self.runs / "_throughput.json")}


@dataclass(frozen=True)
class Plan:
    """One step's state and the time it still needs, from the files and the rates known."""

    step: Step
    state: str  # done | finished | trained | running | pending
    epochs_done: int
    epochs: int
    images_per_epoch: int
    rate: float  # training images/s
    rate_source: str  # measured | calibrated | assumed
    score_s: float

    @property
    def epoch_s(self) -> float:
        return self.images_per_epoch / self.rate

    @property
    def eta_s(self) -> float:
        """Seconds of device time still needed (a training start, the epochs left, the scoring)."""
        if self.state in ("done", "finished"):
            return 0.0
        train = 0.0 if self.state == "trained" else STARTUP_S + (self.epochs - self.epochs_done) * self.epoch_s
        return train + self.score_s


def plan(work: Work, step: Step) -> Plan:
    recipe = work.recipe(step)
    n = sum(work.train_images(u) for u in step.packs)
    per_epoch = n * (8 if recipe["expand"] else 1)
    run = run_state(work.runs / step.name)
    known = work.rates().get(step.name, {})
    if run.images_per_s:
        rate, source = run.images_per_s, "measured"
    elif "images_per_s" in known:
        rate, source = known["images_per_s"], known.get("source", "measured")
    else:
        rate = ASSUMED_TFLOPS * 1e3 / (3 * step.gflops) if step.gflops else ASSUMED_LITE0_RATE
        source = "assumed"
    test_n = work.test_images(step.test) if step.test else 0
    score_s = test_n * known.get("score_s_per_image", ASSUMED_SCORE_S)
    done = run.epochs_done
    if (work.reports / f"{step.name}.json").exists():
        state, done = "done", work.read(work.reports / f"{step.name}.json").get("epochs", done)
    elif (work.scores / f"{step.name}.json").exists():
        state = "finished"
    elif run.finished:
        state = "trained"
    else:
        state = "running" if run.epochs_done else "pending"
    return Plan(step, state, done, recipe["epochs"], per_epoch, rate, source, score_s)
