"""Building blocks of MSDU-net: conv blocks, the multi-scale extractors, encoder, decoder, head.

Each part is small and knows nothing of the others; ``MSDUNet`` (``msdunet.model.net``) only
wires them, in the order ``BlurNet`` (``msdunet.model.base``) applies them: the encoder returns its
feature maps finest first, the decoder takes that list, the head the decoder's output.  Choices the
paper leaves open are written down here, in the README, and tested.

* "Regular convolution with stride s" (extractor, second layer): a 3×3 kernel, padding 1, so a
  side divisible by s becomes side/s exactly — the same kernel size as every other conv of the net.
* The extractor's output width equals the width of the contracting-path level it feeds
  (width·2^level), so the image features and the level input carry equal weight in the concat.
* ``nodilation`` (Table 3): each dilated 3×3 conv (dilation 2) becomes a plain 5×5 conv — the same
  receptive field; the dilation-1 extractor is a plain 3×3 already and is unchanged.
* ``norm="batch"`` adds BatchNorm after every conv that is followed by a ReLU.  The paper uses no
  normalization (its default here is ``"none"``); the option exists because it makes CPU training
  converge in far fewer epochs (see the model card of the shipped weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EXTRACTOR_DILATIONS = (1, 2, 2, 2)
EXTRACTOR_STRIDES = (1, 2, 4, 8)


def pad_to_multiple(image: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right to a multiple of ``multiple`` (reflect; replicate when the image is too
    small to reflect).  Callers crop the output back to the input's size."""
    h, w = image.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if not (pad_h or pad_w):
        return image
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)


def conv_relu(cin: int, cout: int, norm: str, kernel: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """kernel×kernel conv ('same' padding for stride 1) → [BatchNorm] → ReLU."""
    padding = dilation * (kernel - 1) // 2
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=norm == "none")
    ]
    if norm == "batch":
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DoubleConv(nn.Sequential):
    """Two 3×3 conv + ReLU, as in every U-net level."""

    def __init__(self, cin: int, cout: int, norm: str) -> None:
        super().__init__(conv_relu(cin, cout, norm), conv_relu(cout, cout, norm))


class Extractor(nn.Sequential):
    """One multi-scale texture extractor (paper §3.2): dilated conv → strided conv + ReLU → smoothing conv.

    Maps the RGB image (N,3,H,W) to (N,cout,H/stride,W/stride).
    """

    def __init__(self, cout: int, dilation: int, stride: int, norm: str, dilated: bool = True) -> None:
        if dilated or dilation == 1:
            first = nn.Conv2d(3, cout, 3, padding=dilation, dilation=dilation)
        else:  # 'nodilation' ablation: plain conv with the same receptive field
            size = 2 * dilation + 1
            first = nn.Conv2d(3, cout, size, padding=dilation)
        super().__init__(
            first,
            conv_relu(cout, cout, norm, kernel=3, stride=stride),
            nn.Conv2d(cout, cout, 3, padding=1),
        )


class Encoder(nn.Module):
    """Contracting path. Level i sees [pooled output of level i-1, extractor_i(image)] concatenated.

    ``extractor_widths`` empty → a plain U-net encoder (the ``unet`` ablation).
    Returns the skip features of levels 0..depth-1, then the bottleneck output.
    """

    def __init__(self, widths: list[int], extractor_widths: list[int], norm: str, dilated: bool) -> None:
        super().__init__()
        self.extractors = nn.ModuleList(
            Extractor(w, dilation=d, stride=s, norm=norm, dilated=dilated)
            for w, d, s in zip(extractor_widths, EXTRACTOR_DILATIONS, EXTRACTOR_STRIDES, strict=False)
        )
        cin = 3
        levels = []
        for i, w in enumerate(widths[:-1]):
            extra = extractor_widths[i] if i < len(extractor_widths) else 0
            levels.append(DoubleConv(cin + extra, w, norm))
            cin = w
        self.levels = nn.ModuleList(levels)
        self.bottleneck = DoubleConv(cin, widths[-1], norm)
        self.pool = nn.MaxPool2d(2)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        skips = []
        x = image
        for i, level in enumerate(self.levels):
            if i < len(self.extractors):
                x = torch.cat([x, self.extractors[i](image)], dim=1)
            x = level(x)
            skips.append(x)
            x = self.pool(x)
        return [*skips, self.bottleneck(x)]


def upsampler(cin: int, cout: int, mode: str) -> nn.Module:
    """×2 upsampling to ``cout`` channels: the paper's 2×2 transposed conv (stride 2), or a bilinear
    resize then a 3×3 conv, which cannot leave the transposed conv's checkerboard."""
    if mode == "transposed":
        return nn.ConvTranspose2d(cin, cout, 2, stride=2)
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(cin, cout, 3, padding=1)
    )


class DecoderLevel(nn.Module):
    """×2 upsampling halving the channels, [concat skip], two 3×3 conv + ReLU."""

    def __init__(self, cin: int, cout: int, norm: str, skip: bool, upsample: str = "transposed") -> None:
        super().__init__()
        self.up = upsampler(cin, cout, upsample)
        self.skip = skip
        self.conv = DoubleConv(cout * 2 if skip else cout, cout, norm)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        if self.skip:
            x = torch.cat([skip, x], dim=1)
        return self.conv(x)


class Decoder(nn.Module):
    """Expansive path: one ``DecoderLevel`` per encoder level, deepest first, from the encoder's list."""

    def __init__(self, widths: list[int], norm: str, skip: bool, upsample: str = "transposed") -> None:
        super().__init__()
        self.levels = nn.ModuleList(
            DecoderLevel(widths[i + 1], widths[i], norm=norm, skip=skip, upsample=upsample)
            for i in reversed(range(len(widths) - 1))
        )

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = features[-1]
        for level, skip in zip(self.levels, reversed(features[:-1]), strict=True):
            x = level(x, skip)
        return x


class SegmentationHead(nn.Conv2d):
    """1×1 conv to 2 class logits (sharp, blurred), resized ×``upsampling`` (bilinear) when the decoder
    stops short of full resolution; softmax is applied by the caller."""

    def __init__(self, cin: int, *, upsampling: int = 1) -> None:
        super().__init__(cin, 2, 1)
        self.upsampling = upsampling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = super().forward(x)
        if self.upsampling > 1:
            logits = F.interpolate(logits, scale_factor=self.upsampling, mode="bilinear", align_corners=False)
        return logits
