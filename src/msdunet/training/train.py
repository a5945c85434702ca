"""Training, readable in one sitting: ``fit()`` is ``setup()`` → ``train_loop()`` → ``finish()``;
``train_one_epoch()`` and ``evaluate_pack()`` return dicts; ``end_epoch()`` writes one JSON line and
one checkpoint per epoch.  The options and their checks are ``msdunet.training.config.TrainConfig``.

Defaults are the paper's recipe (§4.1): SGD momentum 0.9, weight decay 5e-4, lr 0.01 × 0.1 every
25 epochs, batch 16, 256×256, 100 epochs, 2-class cross-entropy, the 8 dihedral transforms.

* Device ``auto``: CUDA when present, else CPU.  bf16 autocast (``amp``) and channels_last on both.
  The pack is moved to the device once (it fits: 1 400 images at 256² are 275 MB).
* The learning rate is a pure function of the epoch, and each epoch's shuffling uses a generator
  seeded with (seed, epoch), so ``--resume`` continues exactly where the last checkpoint stopped.
* Checkpoints are written to a temp file and renamed: a kill -9 loses at most the running epoch.
* A fresh run never writes into a folder holding a run; ``--resume`` keeps the run's architecture
  (``msdunet.training.run_folder``).
* A non-finite loss stops training with a message naming the epoch and step.
* Multi-process data parallel: run under ``torchrun``; each rank takes a disjoint shard of every
  epoch; gloo on CPU, nccl on CUDA; only rank 0 writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm import tqdm

from msdunet.data.batches import BatchSampler
from msdunet.data.pack import Pack, concat_packs, load_pack
from msdunet.model import build_model, count_parameters
from msdunet.model.preprocess import normalize_images
from msdunet.model.weights import copy_fitting_tensors, save_weights
from msdunet.scoring.metrics import BlurMetrics, scores, to_uint8_map
from msdunet.training.config import TrainConfig
from msdunet.training.optim import lr_at, make_optimizer
from msdunet.training.run_folder import check_architecture, check_fresh


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch and step."""


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when present, else CPU.  On CUDA, cuDNN picks its fastest convolutions for the
    fixed training size (``cudnn.benchmark``)."""
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return device


def train_one_epoch(model, sampler: BatchSampler, *, optimizer, epoch: int, cfg: TrainConfig, device) -> dict:
    model.train()
    generator = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
    total, count, start = 0.0, 0, time.perf_counter()
    bar = tqdm(
        sampler.epoch(generator),
        total=len(sampler),
        desc=f"epoch {epoch + 1}",
        leave=False,
        disable=None,
        file=sys.stderr,
    )
    for step, (images, masks) in enumerate(bar):
        x = normalize_images(images.to(device, non_blocking=True))
        y = masks.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp):
            logits = model(x)
        loss = F.cross_entropy(logits.float(), y)
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}: training diverged "
                f"(lr {optimizer.param_groups[0]['lr']:g}); lower --lr or use --norm batch"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(images)
        count += len(images)
        bar.set_postfix(loss=f"{total / count:.4f}")
    seconds = time.perf_counter() - start
    return {
        "loss": total / max(count, 1),
        "images": count,
        "seconds": seconds,
        "images_per_s": count / max(seconds, 1e-9),
    }


@torch.no_grad()
def evaluate_pack(model, images: torch.Tensor, masks: torch.Tensor, device, *, amp: bool, batch_size: int = 16) -> dict:
    """Scores on a pack at its own resolution (a quick validation proxy; ``msdunet evaluate``
    scores at each mask's full resolution)."""
    model.eval()
    metrics = BlurMetrics()
    for start in range(0, len(images), batch_size):
        x = normalize_images(images[start : start + batch_size].to(device))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            prob = model.blur_probability(x)
        for p, m in zip(prob.cpu().numpy(), masks[start : start + batch_size].numpy(), strict=True):
            metrics.step(to_uint8_map(p), m.astype(bool))
    return scores(metrics.results())


def out_of_time(cfg: TrainConfig, started: float, distributed: bool, device) -> bool:
    """True once ``max_minutes`` have passed; under DDP rank 0 decides for all ranks."""
    if not cfg.max_minutes:
        return False
    flag = torch.tensor([float((time.perf_counter() - started) / 60 > cfg.max_minutes)], device=device)
    if distributed:
        dist.broadcast(flag, src=0)
    return bool(flag.item())


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


@dataclass
class Run:
    """What ``setup`` builds once and the loop uses: the process's place, the model, its data."""

    cfg: TrainConfig
    out: Path
    device: torch.device
    rank: int
    world: int
    model: torch.nn.Module  # the bare model (saved, validated)
    net: torch.nn.Module  # what trains: the model, or its DDP wrapper
    optimizer: torch.optim.Optimizer
    sampler: BatchSampler
    val: Pack | None  # rank 0 only
    first_epoch: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def checkpoint(self) -> Path:
        return self.out / "checkpoint.pt"


def fit(cfg: TrainConfig, *, resume: bool = False) -> dict:
    """Train per ``cfg``; returns the last epoch's log record.  A fresh run into a folder that holds
    a run, or a resume with another architecture than the checkpoint's, is refused."""
    run = setup(cfg, resume)
    log = train_loop(run)
    finish(run, log)
    return log


def setup(cfg: TrainConfig, resume: bool) -> Run:
    """Process group, run folder, model (from ImageNet or the checkpoint), optimizer and data."""
    out = Path(cfg.out)
    if not resume:
        check_fresh(out)
    device, rank, world = init_process(pick_device(cfg.device))
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")

    checkpoint = out / "checkpoint.pt"
    resuming = resume and checkpoint.exists()
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model)
    if cfg.init_weights and not resuming:
        start = copy_fitting_tensors(model, cfg.init_weights)
        if rank == 0:
            (out / "started_from.json").write_text(json.dumps(start.provenance(), indent=2) + "\n")
            print(
                f"started from {cfg.init_weights}; of its tensors not used: {start.unused or 'none'}; "
                f"initialised afresh: {start.fresh or 'none'}",
                file=sys.stderr,
            )
    elif cfg.model.pretrained_encoder and cfg.pretrained and not resuming:
        model.encoder.load_pretrained(cfg.encoder_weights)
    model = model.to(device, memory_format=torch.channels_last)
    optimizer = make_optimizer(cfg, model)
    first_epoch = 0
    if resuming:
        state = {"model": model, "optimizer": optimizer, "device": device}
        first_epoch = load_checkpoint(checkpoint, cfg, **state, verbose=rank == 0)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model

    train = concat_packs([load_pack(p) for p in cfg.train])
    images, masks = torch.from_numpy(train.images).to(device), torch.from_numpy(train.masks).to(device)
    sampler = BatchSampler(
        images, masks, batch_size=cfg.batch_size, expand=cfg.expand, crop=cfg.crop, rank=rank, world=world,
        motion_blur=cfg.motion_blur,
    )  # fmt: skip
    val = load_pack(cfg.val) if cfg.val and rank == 0 else None
    if rank == 0:
        print(
            f"{len(train.stems)} training images, {count_parameters(model):,} parameters, device {device}",
            file=sys.stderr,
        )
    return Run(
        cfg=cfg, out=out, device=device, rank=rank, world=world, model=model, net=net, optimizer=optimizer,
        sampler=sampler, val=val, first_epoch=first_epoch,
    )  # fmt: skip


def init_process(device: torch.device) -> tuple[torch.device, int, int]:
    """(device, rank, world size): under ``torchrun`` (WORLD_SIZE > 1) join the process group."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return device, 0, 1
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device, dist.get_rank(), dist.get_world_size()


def load_checkpoint(path: Path, cfg: TrainConfig, *, model, optimizer, device, verbose: bool) -> int:
    """Restore model and optimizer from ``path``; returns the epochs it had done."""
    state = torch.load(path, map_location=device, weights_only=True)
    if "config" in state:
        check_architecture(state["config"], asdict(cfg), path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if verbose:
        print(f"resuming from {path} after epoch {state['epoch']}", file=sys.stderr)
    return state["epoch"]


def train_loop(run: Run) -> dict:
    """Epochs from ``run.first_epoch``: train, then (rank 0) validate, checkpoint and log; stops early
    after ``max_minutes``.  Returns the last log record ({} when no epoch ran)."""
    cfg, log, started = run.cfg, {}, time.perf_counter()
    for epoch in range(run.first_epoch, cfg.epochs):
        for group in run.optimizer.param_groups:
            group["lr"] = lr_at(cfg, epoch) * group["lr_scale"]
        stats = train_one_epoch(run.net, run.sampler, optimizer=run.optimizer, epoch=epoch, cfg=cfg, device=run.device)
        stats["images"] *= run.world  # every rank trained on an equal shard
        stats["images_per_s"] *= run.world
        stop = out_of_time(cfg, started, run.distributed, run.device)
        if run.main:
            log = end_epoch(run, epoch, stats)
            if stop:
                print(
                    f"stopping after {cfg.max_minutes} minutes (epoch {epoch + 1}); --resume continues", file=sys.stderr
                )
        if stop:
            break
    return log


def end_epoch(run: Run, epoch: int, stats: dict) -> dict:
    """Rank 0 after each epoch: validation scores, the checkpoint, one JSON line on stdout and in log.jsonl."""
    log = {"epoch": epoch + 1, "lr": lr_at(run.cfg, epoch), **stats}
    if run.val is not None:
        images, masks = torch.from_numpy(run.val.images), torch.from_numpy(run.val.masks)
        val_scores = evaluate_pack(run.model, images, masks, run.device, amp=run.cfg.amp)
        log.update({f"val_{k}": v for k, v in val_scores.items() if k != "n"})
    state = {
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "epoch": epoch + 1,
        "config": asdict(run.cfg),
    }
    save_checkpoint(run.checkpoint, state)
    line = json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in log.items()})
    print(line, flush=True)
    with open(run.out / "log.jsonl", "a") as f:
        f.write(line + "\n")
    return log


def finish(run: Run, log: dict) -> None:
    """Rank 0 saves the weights with their card; every rank leaves the process group."""
    if run.main:
        training = {k: v for k, v in asdict(run.cfg).items() if k != "out"}
        card = {"training": training, "epochs_done": log.get("epoch", run.first_epoch), "last_epoch": log}
        started = run.out / "started_from.json"  # written when the run began from init_weights
        if started.exists():
            card["started_from"] = json.loads(started.read_text())
        save_weights(run.model, run.out / "model.safetensors", meta=card)
    if run.distributed:
        dist.barrier()  # no rank leaves while another still works: gloo aborts a process left mid-exchange
        dist.destroy_process_group()
