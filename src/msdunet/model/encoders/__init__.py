"""The encoder registry (segmentation_models_pytorch's ``encoders/__init__.py``): name → builder.

A builder is written ``"module:Class"`` and imported only when a model with that encoder is built.
The class is an ``ImageEncoder`` (``encoders.base``): an ImageNet-standardised image in, the image
and five feature maps (strides 2 to 32) out, and a way to load its ImageNet weights.  A new encoder
is one file in this folder and one line below; ``ModelConfig``, ``PretrainedUNet``, training and the
weights cards take it from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from msdunet.model.encoders.base import ImageEncoder

ENCODERS: dict[str, str] = {
    "efficientnet-lite0": "msdunet.model.encoders.efficientnet_lite:EfficientNetLite0",
    "efficientnet-lite1": "msdunet.model.encoders.efficientnet_lite:EfficientNetLite1",
    "efficientnet-lite2": "msdunet.model.encoders.efficientnet_lite:EfficientNetLite2",
}


class UnknownEncoderError(ValueError):
    """An encoder name the registry does not hold; the message lists the names it does."""


def encoder_names() -> tuple[str, ...]:
    return tuple(ENCODERS)


def get_encoder(name: str) -> ImageEncoder:
    """A fresh (randomly initialised) encoder of the registry; an unknown name lists the valid ones."""
    from msdunet.model.encoders.base import ImageEncoder  # torch: only when an encoder is built

    if name not in ENCODERS:
        raise UnknownEncoderError(f"unknown encoder {name!r}; registered encoders: {', '.join(ENCODERS)}")
    module, _, attribute = ENCODERS[name].partition(":")
    encoder = getattr(importlib.import_module(module), attribute)()
    if not isinstance(encoder, ImageEncoder):
        raise TypeError(f"encoder {name!r}: {ENCODERS[name]} does not build an ImageEncoder")
    return encoder


__all__ = ["ENCODERS", "ImageEncoder", "UnknownEncoderError", "encoder_names", "get_encoder"]


def __getattr__(name: str):
    if name == "ImageEncoder":  # torch: imported only when asked for
        from msdunet.model.encoders.base import ImageEncoder

        return ImageEncoder
    raise AttributeError(f"module 'msdunet.model.encoders' has no attribute {name!r}")
