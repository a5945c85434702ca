"""Train the learned blur estimator (``msdunet.focus.learned``) on synthetic blur of known kernels.

    python -m lab pixel_blur_train [--patches cache/pixel_blur_train] [--out runs/blur_estimator]
                                   [--epochs 24] [--channels 16 24 32 48] [--max-minutes 28] [--resume]

Patches: ``cache/pixel_blur_train/part*.npz`` (``python -m lab pixel_blur_train_data``: 128-px grey
patches of the fitting photos, each with the kernel's σ across the four edge directions).  Their
``val`` photos pick the epoch (the lowest mean |error| in px over σ ≤ 4); the held-out photos of the
report are in none of them.  Each batch is turned by one of the square's eight symmetries, the
directions' truth permuted with it.  Loss: smooth L1 on log(σ + OFFSET).  AdamW, cosine schedule.

Every epoch writes ``OUT/checkpoint.pt`` (model, optimiser, epoch: ``--resume`` continues, also after
``--max-minutes`` stopped a run) and, when the validation error is the best so far,
``OUT/model.safetensors`` + ``OUT/model.json`` (channels, offset, sha256, epoch, error) as
``msdunet.focus.learned.load_net`` reads them.  ``OUT/log.jsonl``: one line per epoch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

from msdunet.focus.learned import CHANNELS, CONTRAST_EPS, OFFSET

FLIP = (0, 3, 2, 1)  # mirroring (either axis) swaps the two diagonal directions
TRANSPOSE = (2, 1, 0, 3)  # swapping rows and columns swaps the horizontal and vertical ones
VAL_UP_TO = 4.0  # px: the range of the held-out report, where the epoch is picked


class PatchBlurNet(nn.Module):
    """The network of ``msdunet.focus.learned`` in PyTorch, for training (the product runs it in NumPy):
    grey patches (N, 1, H, W) in [0, 1] → log(σ + OFFSET) across the four edge directions (N, 4)."""

    def __init__(self, channels: tuple[int, ...] = CHANNELS) -> None:
        super().__init__()
        self.channels = tuple(channels)
        layers: list[nn.Module] = []
        previous = 1
        for i, width in enumerate(channels):
            size = 5 if i == 0 else 3
            layers += [nn.Conv2d(previous, width, size, stride=2, padding=size // 2), nn.ReLU(inplace=True)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * previous, 64), nn.ReLU(inplace=True), nn.Linear(64, 4))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        mean = patches.mean(dim=(2, 3), keepdim=True)
        contrast = patches.std(dim=(2, 3), keepdim=True) + CONTRAST_EPS
        f = self.features((patches - mean) / contrast)
        return self.head(torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1))


def load_patches(folder: Path) -> dict[str, np.ndarray]:
    files = sorted(folder.glob("part*.npz"))
    if not files:
        raise SystemExit(f"no training patches in {folder}: run python -m lab pixel_blur_train_data first")
    parts = [np.load(f) for f in files]
    return {k: np.concatenate([p[k] for p in parts]) for k in ("patch", "directional", "val")}


def symmetry(x: torch.Tensor, y: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One of the square's eight symmetries, drawn from ``g``, on patches (N,1,H,W) and truth (N,4)."""
    transpose, flip_x, flip_y = (bool(b) for b in torch.randint(0, 2, (3,), generator=g))
    if transpose:
        x, y = x.transpose(-1, -2), y[:, TRANSPOSE]
    if flip_x:
        x, y = x.flip(-1), y[:, FLIP]
    if flip_y:
        x, y = x.flip(-2), y[:, FLIP]
    return x, y


def batches(count: int, size: int, g: torch.Generator | None):
    order = torch.arange(count) if g is None else torch.randperm(count, generator=g)
    for start in range(0, count, size):
        yield order[start : start + size]


def as_input(patches: torch.Tensor) -> torch.Tensor:
    return (patches.float() / 255.0)[:, None]


def validation_error(net: PatchBlurNet, patches: torch.Tensor, truth: torch.Tensor) -> float:
    """Mean |σ error| in px over the directions with true σ ≤ VAL_UP_TO."""
    net.eval()
    with torch.inference_mode():
        out = torch.cat([net(as_input(patches[i])) for i in batches(len(patches), 256, None)])
    sigma = (out.exp() - OFFSET).clamp(min=0)
    inside = truth <= VAL_UP_TO
    return float((sigma - truth).abs()[inside].mean())


def train_epoch(net: PatchBlurNet, data: tuple[torch.Tensor, torch.Tensor], *, optimizer, scheduler, g) -> float:
    net.train()
    patches, truth = data
    target = (truth + OFFSET).log()
    loss_fn = nn.SmoothL1Loss(beta=0.1)
    total, seen = 0.0, 0
    for index in batches(len(patches), 128, g):
        x, y = symmetry(as_input(patches[index]), target[index], g)
        loss = loss_fn(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total, seen = total + float(loss.detach()) * len(index), seen + len(index)
    return total / seen


def save_best(net: PatchBlurNet, out: Path, meta: dict) -> None:
    path = out / "model.safetensors"
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(path))
    card = {"channels": list(net.channels), "offset": OFFSET, **meta}
    card["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / "model.json").write_text(json.dumps(card, indent=2) + "\n")


def fit(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    data = load_patches(Path(args.patches))
    val = data["val"].astype(bool)
    patches, truth = torch.from_numpy(data["patch"]), torch.from_numpy(data["directional"].astype(np.float32))
    train, held = (patches[~val], truth[~val]), (patches[val], truth[val])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint, epoch, best = out / "checkpoint.pt", 0, math.inf
    state = torch.load(checkpoint, weights_only=True) if args.resume and checkpoint.exists() else None
    if state is None and checkpoint.exists():
        raise SystemExit(f"{out} holds a run: --resume continues it, or give another --out")
    epochs, lr = (args.epochs, args.lr) if state is None else (int(state["epochs"]), float(state["lr"]))
    channels = tuple(args.channels) if state is None else tuple(state["channels"])
    net = PatchBlurNet(channels)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(train[0]) / 128)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.05)
    if state is not None:  # the run's own epochs and rate: the schedule continues where it stopped
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        epoch, best = int(state["epoch"]), float(state["best"])
    started = time.monotonic()
    while epoch < epochs and (time.monotonic() - started) / 60 < args.max_minutes:
        g = torch.Generator().manual_seed(epoch)
        t0 = time.monotonic()
        loss = train_epoch(net, train, optimizer=optimizer, scheduler=scheduler, g=g)
        error = validation_error(net, *held)
        epoch += 1
        line = {
            "epoch": epoch,
            "loss": round(loss, 4),
            "val_mae_px": round(error, 4),
            "seconds": round(time.monotonic() - t0, 1),
        }
        print(json.dumps(line), flush=True)
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(line) + "\n")
        if error < best:
            best = error
            meta = {
                "epoch": epoch,
                "val_mae_px": round(error, 4),
                "train_patches": len(train[0]),
                "val_patches": len(held[0]),
            }
            save_best(net, out, meta)
        state = {"model": net.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "epoch": epoch, "best": best, "epochs": epochs, "lr": lr, "channels": list(channels)}  # fmt: skip
        torch.save(state, checkpoint.with_suffix(".tmp"))
        checkpoint.with_suffix(".tmp").replace(checkpoint)
    return {"epochs_done": epoch, "best_val_mae_px": best}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab pixel_blur_train", description=__doc__.split("\n")[0])
    parser.add_argument("--patches", default="cache/pixel_blur_train")
    parser.add_argument("--out", default="runs/blur_estimator")
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--channels", type=int, nargs=4, default=list(CHANNELS), help="of the four convolutions")
    parser.add_argument("--max-minutes", type=float, default=28.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(fit(args)))


if __name__ == "__main__":
    main()
