"""The networks: one base (``base.BlurNet``) owning ``forward``, two architectures wiring parts
(``net.MSDUNet``, the paper's; ``pretrained_unet.PretrainedUNet``, on an encoder of the registry
``encoders``), built from a ``config.ModelConfig`` by ``build_model``.

Names load when first used, so ``config`` and ``weights`` (cards, checksums, shipped files) import
without torch: ``msdunet detect`` on the ONNX engine never loads it."""

from __future__ import annotations

import importlib

_WHERE = {
    "BlurNet": "base",
    "build_model": "build",
    "count_parameters": "build",
    "gflops": "build",
    "VARIANTS": "config",
    "ModelConfig": "config",
    "ENCODERS": "encoders",
    "UnknownEncoderError": "encoders",
    "get_encoder": "encoders",
    "fold_batchnorm": "fold",
    "MSDUNet": "net",
    "PretrainedUNet": "pretrained_unet",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"msdunet.model.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'msdunet.model' has no attribute {name!r}")
