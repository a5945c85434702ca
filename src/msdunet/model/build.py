"""``build_model``: the network a ``ModelConfig`` describes; its size in parameters and FLOPs."""

from __future__ import annotations

import torch
from torch import nn

from msdunet.model.base import BlurNet
from msdunet.model.config import ModelConfig
from msdunet.model.net import MSDUNet
from msdunet.model.pretrained_unet import PretrainedUNet


def build_model(config: ModelConfig) -> BlurNet:
    """The paper's ``MSDUNet`` (encoder ``"plain"``), or a ``PretrainedUNet`` on a registry encoder."""
    return PretrainedUNet(config) if config.pretrained_encoder else MSDUNet(config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def gflops(model: nn.Module, *, size: int = 256) -> float:
    """Forward GFLOPs (2·MACs, as torch's FlopCounterMode counts) for one size×size image."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    model.train(was_training)
    return counter.get_total_flops() / 1e9
