"""MSDU-net (Yang & Xiao) and its ablations, built from a ``ModelConfig`` with ``encoder="plain"``.

Variants (the paper's Tables 2–3), all the same class: ``msdunet`` (four extractors feeding the
four encoder levels), ``unet`` (no extractors), ``noskip`` (no decoder skips), ``nodilation``
(5×5 extractor convs instead of dilated 3×3).

Any input size works: the image is reflect-padded to a multiple of 16 (four 2× poolings) and the
output cropped back (``BlurNet.forward``).  Weights are initialised with He (Kaiming) normal for
ReLU, biases zero; the paper does not say, and He init is what lets a deep plain ReLU net train
with SGD at lr 0.01.
"""

from __future__ import annotations

from torch import nn

from msdunet.model.base import BlurNet
from msdunet.model.config import ModelConfig
from msdunet.model.parts import Decoder, Encoder, SegmentationHead

DEPTH = 4  # pooling steps; the paper's U-net has four


class MSDUNet(BlurNet):
    """Encoder (with optional extractors) → decoder → 2-class head."""

    multiple = 2**DEPTH

    def __init__(self, config: ModelConfig | None = None) -> None:
        c = config or ModelConfig()
        widths = [c.width * 2**i for i in range(DEPTH + 1)]
        extractor_widths = [] if c.variant == "unet" else widths[:DEPTH]
        super().__init__(
            c,
            encoder=Encoder(widths, extractor_widths, c.norm, dilated=c.variant != "nodilation"),
            decoder=Decoder(widths, c.norm, skip=c.variant != "noskip", upsample=c.upsample),
            head=SegmentationHead(widths[0]),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
