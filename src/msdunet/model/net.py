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
from torch import nn

from msdunet.model.parts import Decoder, Encoder, SegmentationHead, pad_to_multiple

VARIANTS = ("msdunet", "unet", "noskip", "nodilation")
NORMS = ("none", "batch")
ENCODERS = ("plain", "efficientnet-lite0")  # the paper's contracting path, or ImageNet-pretrained (lite_unet)
UPSAMPLINGS = ("transposed", "bilinear")
DEPTH = 4  # pooling steps; the paper's U-net has four
MULTIPLE = 2**DEPTH


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the architecture (saved next to the weights)."""

    variant: str = "msdunet"
    width: int = 64  # channels of the first level; the paper's U-net uses 64
    norm: str = "none"
    encoder: str = "plain"
    upsample: str = "transposed"  # the paper's 2×2 transposed conv, or bilinear resize + 3×3 conv
    output_stride: int = 1  # 2: a pretrained-encoder U-net stops decoding at stride 2, logits resized ×2

    def __post_init__(self) -> None:
        for name, allowed in (("variant", VARIANTS), ("norm", NORMS), ("encoder", ENCODERS), ("upsample", UPSAMPLINGS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {allowed}")
        if self.width < 1:
            raise ValueError(f"width must be positive, got {self.width}")
        if self.encoder != "plain" and self.variant not in ("msdunet", "unet"):
            raise ValueError(f"encoder {self.encoder!r} has variants 'msdunet' (extractors) and 'unet' only")
        if self.encoder != "plain" and self.norm != "batch":
            raise ValueError(f"encoder {self.encoder!r} uses BatchNorm throughout: set norm='batch'")
        if self.output_stride not in (1, 2):
            raise ValueError(f"output_stride is 1 or 2, not {self.output_stride!r}")
        if self.output_stride == 2 and (self.encoder == "plain" or self.variant != "unet"):
            raise ValueError("output_stride 2 is for a pretrained encoder without extractors (variant 'unet')")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: which architecture, which variant, how wide."""
        if self.encoder == "plain":
            return f"MSDU-net ({self.variant}), width {self.width}, norm {self.norm}"
        extractors = "with" if self.variant == "msdunet" else "without"
        stride = ", output at stride 2" if self.output_stride == 2 else ""
        return (
            f"U-net on pretrained {self.encoder} ({extractors} the paper's extractors), decoder width {self.width}"
            + stride
        )

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class MSDUNet(nn.Module):
    """Encoder (with optional extractors) → decoder → 2-class head. ``forward`` returns logits."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        c = self.config
        widths = [c.width * 2**i for i in range(DEPTH + 1)]
        extractor_widths = [] if c.variant == "unet" else widths[:DEPTH]
        self.encoder = Encoder(widths, extractor_widths, c.norm, dilated=c.variant != "nodilation")
        self.decoder = Decoder(widths, c.norm, skip=c.variant != "noskip", upsample=c.upsample)
        self.head = SegmentationHead(widths[0])
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    multiple = MULTIPLE  # input sides must be multiples of this (``forward`` pads)

    def forward_padded(self, image: torch.Tensor) -> torch.Tensor:
        """Logits for an image whose sides are multiples of ``multiple`` (the ONNX graph)."""
        skips, x = self.encoder(image)
        return self.head(self.decoder(skips, x))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) normalised image → (N,2,H,W) logits for (sharp, blurred)."""
        h, w = image.shape[-2:]
        return self.forward_padded(pad_to_multiple(image, self.multiple))[..., :h, :w]

    @torch.no_grad()
    def blur_probability(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) → (N,H,W) P(blurred), the softmax of the two classes."""
        return torch.softmax(self.forward(image).float(), dim=1)[:, 1]


def build_model(config: ModelConfig) -> nn.Module:
    """The network a config describes: ``MSDUNet`` (paper's encoder) or ``LiteUNet`` (pretrained encoder)."""
    if config.encoder == "plain":
        return MSDUNet(config)
    from msdunet.model.lite_unet import LiteUNet

    return LiteUNet(config)


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
