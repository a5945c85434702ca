"""MSDU-net's idea on an ImageNet-pretrained encoder: the architecture of the shipped default.

The paper's contracting path is replaced by an encoder of the registry (``encoders``; today
EfficientNet-Lite0), which brings ImageNet's knowledge of what objects and textures look like; the
paper itself names the size of its training data as its limit.  The rest follows the paper:

* ``variant="msdunet"``: the four multi-scale dilated extractors (``parts.Extractor``; dilation
  1,2,2,2, stride 1,2,4,8) read the image and their features join the skip features at strides
  1, 2, 4 and 8 — the paper's "each extractor feeds one level".  A pretrained encoder cannot take
  extra input channels without losing its pretraining, so they are concatenated to its taps.
* ``variant="unet"``: no extractors (the ablation).
* Decoder: a U-net expansive path from stride 32 to 1 (channels width·(6,4,3,2,1,1)), each level
  upsampling ×2, concatenating the skip, and two 3×3 conv + BN + ReLU.  ``upsample="bilinear"``
  (default) resizes then convolves, which cannot produce the checkerboard that a 2×2 transposed
  conv with stride 2 leaves; ``"transposed"`` is the paper's choice, kept to measure it.
* A small context block at stride 32 (two residual 3×3 convs, dilation 2 and 4) widens the
  receptive field past the whole 256² working image.
* Head: the paper's 2-class 1×1 conv; softmax → P(blurred).  ``output_stride=2`` drops the
  full-resolution decoder level (a third of the FLOPs, `lab/bench/speed_parts.py`) and resizes the
  stride-2 logits ×2 (bilinear): the shipped default is the full-resolution model so cut and
  fine-tuned, with the same scores (`reports/pretrained_study.md`).

Each part below takes the list of feature maps (the image first, then strides 2 to 32) and hands
on what the next needs; ``BlurNet`` applies them in turn.
"""

from __future__ import annotations

import torch
from torch import nn

from msdunet.model.base import BlurNet
from msdunet.model.config import ModelConfig
from msdunet.model.encoders import get_encoder
from msdunet.model.parts import (
    EXTRACTOR_DILATIONS,
    EXTRACTOR_STRIDES,
    Extractor,
    SegmentationHead,
    conv_relu,
    upsampler,
)

DECODER_FACTORS = (6, 4, 3, 2, 1, 1)  # × width, at strides 32, 16, 8, 4, 2, 1
EXTRACTOR_FACTORS = (1, 1, 2, 2)  # × width, extractors at strides 1, 2, 4, 8


class ExtractorSkips(nn.ModuleList):
    """The paper's extractors on the image (the first map); each one's output joins the map of its
    stride (1, 2, 4, 8).  Empty: the maps pass unchanged."""

    def __init__(self, widths: list[int]) -> None:
        super().__init__(
            Extractor(w, d, s, "batch") for w, d, s in zip(widths, EXTRACTOR_DILATIONS, EXTRACTOR_STRIDES, strict=False)
        )

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        found = [extractor(features[0]) for extractor in self]
        joined = [torch.cat([f, e], dim=1) for f, e in zip(features, found, strict=False)]
        return [*joined, *features[len(found) :]]


class ContextBlock(nn.Module):
    """On the deepest map: 1×1 to ``cout``, then two residual dilated 3×3 conv + BN + ReLU (dilation 2, 4)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.reduce = conv_relu(cin, cout, "batch", kernel=1)
        self.dilated = nn.ModuleList(conv_relu(cout, cout, "batch", dilation=d) for d in (2, 4))

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        x = self.reduce(features[-1])
        for conv in self.dilated:
            x = x + conv(x)
        return [*features[:-1], x]


class UpLevel(nn.Module):
    """×2 upsampling (bilinear resize + 3×3 conv, or 2×2 transposed conv) → concat skip → two 3×3 convs."""

    def __init__(self, cin: int, cskip: int, cout: int, upsample: str) -> None:
        super().__init__()
        self.up = upsampler(cin, cout, upsample)
        self.conv = nn.Sequential(conv_relu(cout + cskip, cout, "batch"), conv_relu(cout, cout, "batch"))

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = self.up(x)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv(x)


class UNetDecoder(nn.ModuleList):
    """``UpLevel``s from the deepest map up, each joining the map of its stride (16, 8, 4, 2, 1);
    four levels stop at stride 2."""

    def __init__(self, channels: list[int], skip_channels: list[int], *, levels: int, upsample: str) -> None:
        super().__init__(UpLevel(channels[i], skip_channels[i], channels[i + 1], upsample) for i in range(levels))

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x, skips = features[-1], features[-2::-1]
        for level, skip in zip(self, skips[: len(self)], strict=True):
            x = level(x, skip)
        return x


class PretrainedUNet(BlurNet):
    """Registry encoder → [extractors joining its skips] → context → decoder → 2-class head."""

    multiple = 32  # five stride-2 steps

    def __init__(self, config: ModelConfig) -> None:
        encoder = get_encoder(config.encoder)
        width = config.width
        ext_widths = [width * f for f in EXTRACTOR_FACTORS] if config.variant == "msdunet" else []
        joined = [c + (ext_widths[i] if i < len(ext_widths) else 0) for i, c in enumerate(encoder.out_channels)]
        skip_channels = joined[-2::-1]  # strides 16, 8, 4, 2, 1
        channels = [width * f for f in DECODER_FACTORS]
        levels = 5 if config.output_stride == 1 else 4  # the last level decodes stride 2 → 1
        super().__init__(
            config,
            encoder=encoder,
            extractors=ExtractorSkips(ext_widths),
            context=ContextBlock(encoder.out_channels[-1], channels[0]),
            decoder=UNetDecoder(channels, skip_channels, levels=levels, upsample=config.upsample),
            head=SegmentationHead(channels[levels], upsampling=config.output_stride),
        )
