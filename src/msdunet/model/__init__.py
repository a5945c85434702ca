"""The networks: one base (``base.BlurNet``) owning ``forward``, two architectures wiring parts
(``net.MSDUNet``, the paper's; ``pretrained_unet.PretrainedUNet``, on an encoder of the registry
``encoders``), built from a ``config.ModelConfig`` by ``build_model``."""

from msdunet.model.base import BlurNet
from msdunet.model.build import build_model, count_parameters, gflops
from msdunet.model.config import VARIANTS, ModelConfig
from msdunet.model.encoders import ENCODERS, UnknownEncoderError, get_encoder
from msdunet.model.fold import fold_batchnorm
from msdunet.model.net import MSDUNet
from msdunet.model.pretrained_unet import PretrainedUNet

__all__ = [
    "ENCODERS",
    "VARIANTS",
    "BlurNet",
    "MSDUNet",
    "ModelConfig",
    "PretrainedUNet",
    "UnknownEncoderError",
    "build_model",
    "count_parameters",
    "fold_batchnorm",
    "get_encoder",
    "gflops",
]
