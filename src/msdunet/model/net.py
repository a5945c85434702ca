"""MSDU-net (Yang & Xiao) and its ablations, built from a ``ModelConfig``.

Variants (the paper's Tables 2–3), all the same class:

* ``msdunet``    — four extractors (dilation 1,2,2,2; stride 1,2,4,8) feeding the four encoder levels.
* ``unet``       — no extractors: the classical U-net.
* ``noskip``     — MSDU-net without the decoder's skip connections.
* ``nodilation`` — extractors with plain 5×5 convs instead of dilated 3×3 (same receptive field).

Any input size works: the image is reflect-padded to a multiple of 16 (four 2× poolings) and the
output cropped back.  Weights are initialised with He (Kaiming) normal for ReLU, biases zero; the
paper does not say, and He init is what lets a deep plain ReLU net train with SGD at lr 0.01.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from msdunet.model.parts import Decoder, Encoder, SegmentationHead

VARIANTS = ("msdunet", "unet", "noskip", "nodilation")
NORMS = ("none", "batch")
DEPTH = 4  # pooling steps; the paper's U-net has four
MULTIPLE = 2**DEPTH


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the architecture (saved next to the weights)."""

    variant: str = "msdunet"
    width: int = 64  # channels of the first level; the paper's U-net uses 64
    norm: str = "none"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose one of {VARIANTS}")
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; choose one of {NORMS}")
        if self.width < 1:
            raise ValueError(f"width must be positive, got {self.width}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def pad_to_multiple(image: torch.Tensor, multiple: int = MULTIPLE) -> torch.Tensor:
    """Pad bottom/right to a multiple of ``multiple`` (reflect; replicate when the image is too
    small to reflect).  Callers crop the output back to the input's size."""
    h, w = image.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if not (pad_h or pad_w):
        return image
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)


class MSDUNet(nn.Module):
    """Encoder (with optional extractors) → decoder → 2-class head. ``forward`` returns logits."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        c = self.config
        widths = [c.width * 2**i for i in range(DEPTH + 1)]
        extractor_widths = [] if c.variant == "unet" else widths[:DEPTH]
        self.encoder = Encoder(widths, extractor_widths, c.norm, dilated=c.variant != "nodilation")
        self.decoder = Decoder(widths, c.norm, skip=c.variant != "noskip")
        self.head = SegmentationHead(widths[0])
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) normalised image → (N,2,H,W) logits for (sharp, blurred)."""
        h, w = image.shape[-2:]
        skips, x = self.encoder(pad_to_multiple(image))
        logits = self.head(self.decoder(skips, x))
        return logits[..., :h, :w]

    @torch.no_grad()
    def blur_probability(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) → (N,H,W) P(blurred), the softmax of the two classes."""
        return torch.softmax(self.forward(image).float(), dim=1)[:, 1]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def gflops(model: nn.Module, size: int = 256) -> float:
    """Forward GFLOPs (2·MACs, as torch's FlopCounterMode counts) for one size×size image."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    model.train(was_training)
    return counter.get_total_flops() / 1e9
