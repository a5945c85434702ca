"""The device side of the queue (``accelerator_queue.py run``): measure, train, score, within one call.

Each step is ``msdunet train --resume`` with a ``max_minutes`` that ends it at an epoch boundary before
the call's deadline (the check runs after each epoch, so one epoch and the process's start are kept in
hand), then ``msdunet evaluate`` on its test unit.  What a step needs and takes comes from
``accel_plan.plan``; rates measured here are kept in ``runs/accel/_throughput.json`` and go out with
the call's files.
"""

from __future__ import annotations

import os
import time

from accel_bundle import unit_path
from accel_plan import DRY_SIZE, STARTUP_S, Step, Work, plan
from study_runs import read_log, run_state, score, train

CALIBRATION_STEPS = 20  # timed batches per network (after as many for warm-up)


def say(text: str) -> None:
    print(f"[queue] {text}", flush=True)


def device_info() -> dict:
    """The machine that trained and scored, as every result names it."""
    import torch

    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU, {os.cpu_count()} logical cores"
    return {"device": name, "torch": torch.__version__}


def save_rates(work: Work, update: dict) -> None:
    import json

    path = work.runs / "_throughput.json"
    rates = {**work.read(path), **update}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rates, indent=1) + "\n")


def calibrate(work: Work, steps: list[Step], *, deadline: float) -> None:
    """Training images/s of each pending step's network that has no rate yet, on random data through
    the training code's own epoch function (a few seconds each), so the plan holds before a step starts."""
    known = work.rates()
    todo = [s for s in steps if plan(work, s).state == "pending" and s.name not in known]
    if not todo:
        return
    import torch

    from msdunet.data.batches import BatchSampler
    from msdunet.model import ModelConfig, build_model
    from msdunet.train import make_optimizer, pick_device, train_one_epoch
    from msdunet.train_config import TrainConfig

    size, batches = (DRY_SIZE, 2) if work.dry_run else (256, CALIBRATION_STEPS)
    measured, info = {}, device_info()
    for step in todo:
        if time.monotonic() > deadline - 60:
            break
        cfg = TrainConfig(**{**work.recipe(step), "lr": 1e-6, "encoder_lr": None})  # tiny lr: no divergence
        key = (cfg.variant, cfg.width, cfg.norm, cfg.encoder, cfg.upsample, cfg.batch_size, cfg.crop, cfg.amp)
        if key not in measured:
            device = pick_device(cfg.device)
            model = build_model(ModelConfig(cfg.variant, cfg.width, cfg.norm, cfg.encoder, cfg.upsample))
            model = model.to(device, memory_format=torch.channels_last)
            optimizer = make_optimizer(cfg, model)
            n = cfg.batch_size * batches
            images = torch.randint(0, 256, (n, size, size, 3), dtype=torch.uint8).to(device)
            masks = torch.randint(0, 2, (n, size, size), dtype=torch.uint8).to(device)
            sampler = BatchSampler(images, masks, cfg.batch_size, expand=False, crop=cfg.crop)
            train_one_epoch(model, sampler, optimizer, 0, cfg, device)  # warm-up: cuDNN's choices, allocations
            measured[key] = train_one_epoch(model, sampler, optimizer, 1, cfg, device)["images_per_s"]
            del model, optimizer, images, masks, sampler
            if device.type == "cuda":
                torch.cuda.empty_cache()
        say(f"calibrated {step.name}: {measured[key]:.0f} training images/s on {info['device']}")
        save_rates(work, {step.name: {"images_per_s": round(measured[key], 1), "source": "calibrated", **info}})


def train_step(work: Work, step: Step, max_minutes: float) -> None:
    overrides = {**work.overrides(), "max_minutes": f"{max_minutes:.6g}"}
    if step.ship:
        overrides["encoder_weights"] = str(unit_path(work.bundle, "imagenet_lite0_fp16"))
    packs = [str(unit_path(work.bundle, u)) for u in step.packs]
    train(step.name, step.config, overrides, packs=packs, runs_dir=work.runs, until_finished=False)


def finish_step(work: Work, step: Step) -> None:
    """The step's result record in ``runs/accel/_scores/STEP.json``: ``study_runs.score`` on its test
    unit (none for a step whose weights come back), with the device, the log and the test unit's make-up."""
    import json

    out, started = work.runs / step.name, time.monotonic()
    work.scores.mkdir(parents=True, exist_ok=True)
    tests = {step.test: ("folder", "all")} if step.test else {}
    data = str(unit_path(work.bundle, step.test)) if step.test else ""
    result = score(step.name, out, data=data, test_sets=tests, report_dir=work.scores, curves=True)
    result |= device_info() | {"log": read_log(out)}
    if step.test:
        result["test_unit"] = work.read(unit_path(work.bundle, step.test) / "manifest.json")
        per_image = (time.monotonic() - started) / max(result["test_unit"].get("images", 1), 1)
        save_rates(work, {"_scoring": {"s_per_image": round(per_image, 3)}})
    (work.scores / f"{step.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    say(f"{step.name}: finished" + (f", {step.test} maxF {result[step.test]['maxF']:.3f}" if step.test else ""))


def run_queue(
    work: Work, steps: list[Step], *, started: float, minutes: float, session: float | None, simulate_stop: bool
) -> None:
    """Steps in order until the call's time is spent: train (resumed), then score; a step that cannot
    finish in the session's device time left (``session`` minutes) is skipped, since nothing of a
    running step outlives the machine."""
    from accel_plan import COLLECT_S

    deadline = started + minutes * 60 - COLLECT_S
    startup = 0.0 if work.dry_run else STARTUP_S
    for step in steps:
        p = plan(work, step)
        if p.state in ("done", "finished"):
            continue
        missing = [u for u in step.units if not unit_path(work.bundle, u).exists()]
        if missing:
            say(f"{step.name}: its data are not on this machine ({', '.join(missing)}): carry them; stopping")
            break
        if session is not None and p.eta_s > session * 60 - (time.monotonic() - started):
            say(f"{step.name}: needs ~{p.eta_s / 60:.0f} device minutes, more than the session has left: skipped")
            continue
        if p.state != "trained":
            left = deadline - time.monotonic()
            if left < startup + p.epoch_s:
                say(f"no time for an epoch of {step.name} in this call (~{p.epoch_s:.0f} s): call again")
                break
            limit = 1e-9 if simulate_stop else max((left - startup - p.epoch_s) / 60, 1e-9)
            say(f"{step.name}: training from epoch {p.epochs_done + 1} of {p.epochs}, stopping after {limit:.2f} min")
            train_step(work, step, limit)
            run = run_state(work.runs / step.name)
            if run.images_per_s:
                save_rates(work, {step.name: {"images_per_s": round(run.images_per_s, 1), "source": "measured"}})
            if not run.finished:
                say(f"{step.name}: stopped after epoch {run.epochs_done} of {run.epochs}; the next call resumes it")
                break
        if deadline - time.monotonic() < p.score_s:
            say(f"{step.name}: trained; no time left to score it in this call")
            break
        finish_step(work, step)
