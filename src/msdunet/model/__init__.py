"""The MSDU-net architecture: parts (``parts``) wired by ``MSDUNet`` (``net``)."""

from msdunet.model.net import VARIANTS, ModelConfig, MSDUNet, count_parameters, gflops

__all__ = ["VARIANTS", "MSDUNet", "ModelConfig", "count_parameters", "gflops"]
