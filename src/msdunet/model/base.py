"""``BlurNet``: the one base of every architecture (segmentation_models_pytorch's ``SegmentationModel``).

An architecture only wires parts: it hands ``BlurNet.__init__`` its named parts in order (``encoder``
… ``head``), each taking what the part before it returns, and the base owns the rest — padding to
``multiple`` and cropping back (``forward``), the network on padded input (``forward_padded``, the
ONNX graph) and the softmax (``blur_probability``).  The parts' names are the state-dict prefixes of
the weights files, so they are kept as the weights were saved.
"""

from __future__ import annotations

import torch
from torch import nn

from msdunet.model.config import ModelConfig
from msdunet.model.parts import pad_to_multiple


class BlurNet(nn.Sequential):
    """Named parts applied in turn: image → … → (N,2,H,W) logits for (sharp, blurred)."""

    multiple: int = 32  # input sides must be multiples of this (``forward`` pads); set by an architecture

    def __init__(self, config: ModelConfig, **parts: nn.Module) -> None:
        super().__init__()
        for name, part in parts.items():
            self.add_module(name, part)
        self.config = config

    def forward_padded(self, image: torch.Tensor) -> torch.Tensor:
        """Logits for an image whose sides are multiples of ``multiple`` (the ONNX graph)."""
        return super().forward(image)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) ImageNet-standardised image → (N,2,H,W) logits for (sharp, blurred)."""
        h, w = image.shape[-2:]
        return self.forward_padded(pad_to_multiple(image, self.multiple))[..., :h, :w]

    @torch.no_grad()
    def blur_probability(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,H,W) → (N,H,W) P(blurred), the softmax of the two classes."""
        return torch.softmax(self.forward(image).float(), dim=1)[:, 1]
