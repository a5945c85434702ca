"""The MSDU-net architecture: parts (``parts``) wired by ``MSDUNet`` (``net``)."""

from msdunet.model.fold import fold_batchnorm
from msdunet.model.net import VARIANTS, ModelConfig, MSDUNet, build_model, count_parameters, gflops

__all__ = ["VARIANTS", "MSDUNet", "ModelConfig", "build_model", "count_parameters", "fold_batchnorm", "gflops"]
