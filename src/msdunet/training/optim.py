"""The optimizer and its learning-rate schedule, from a ``TrainConfig``."""

from __future__ import annotations

import math

import torch

from msdunet.training.config import TrainConfig


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """Learning rate for a 0-based epoch."""
    if epoch < cfg.warmup_epochs:
        return cfg.lr * (epoch + 1) / cfg.warmup_epochs
    if cfg.schedule == "step":
        return cfg.lr * cfg.gamma ** (epoch // cfg.step_epochs)
    if cfg.schedule == "cosine":
        t = (epoch - cfg.warmup_epochs) / max(cfg.epochs - cfg.warmup_epochs, 1)
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * t))
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """One parameter group, or two when ``encoder_lr`` is set for a registry encoder; each group's
    ``lr_scale`` multiplies the schedule's lr (``lr_at``)."""
    groups = [{"params": list(model.parameters()), "lr_scale": 1.0}]
    if cfg.model.pretrained_encoder and cfg.encoder_lr is not None:
        encoder = {id(p) for p in model.encoder.parameters()}
        groups = [
            {"params": [p for p in model.parameters() if id(p) not in encoder], "lr_scale": 1.0},
            {"params": list(model.encoder.parameters()), "lr_scale": cfg.encoder_lr / cfg.lr},
        ]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")
