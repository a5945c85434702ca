"""The PyTorch engine (``engines`` says when it runs): the model with BatchNorm folded, channels-last,
bf16 autocast by default on CPUs with native bf16 (AVX512-BF16 / AMX), fp32 elsewhere; on the
project's CPU bf16 is faster than fp32 and scores the same maxF on DUT and CUHK test
(reports/accuracy_bf16.md).  Also the ONNX export of weights that ship no graph, once, into the user
cache (``exported``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from msdunet.inference.threads import use_threads
from msdunet.model import fold_batchnorm
from msdunet.model.weights import load_weights


def bf16_is_native() -> bool:
    """bf16 autocast pays off only where the CPU computes bf16 natively (AVX512-BF16 or AMX); there
    it runs faster than fp32 at no measured maxF cost (reports/accuracy_bf16.md)."""
    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def load_model(weights: Path) -> nn.Module:
    """The checked weights' model (``load_weights`` verifies the sha256 against the card)."""
    return load_weights(weights)[0]


class TorchEngine:
    """``model`` (eval, BatchNorm folded unless ``fold`` is False) under ``torch.inference_mode``."""

    backend = "torch"

    def __init__(self, model: nn.Module, *, bf16: bool | None = None, threads: int | None = None, fold: bool = True):
        use_threads(threads)
        if fold:  # the same maps (to float rounding), less time: msdunet.model.fold
            model = fold_batchnorm(model)
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.bf16 = bf16_is_native() if bf16 is None else bf16

    @torch.inference_mode()
    def probability(self, x: np.ndarray) -> np.ndarray:
        """(N,3,H,W) float32 → (N,H,W) P(blurred); pads and crops inside (``BlurNet.forward``)."""
        batch = torch.from_numpy(np.ascontiguousarray(x)).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self.model.blur_probability(batch).numpy()


def exported(model: nn.Module, card: dict, *, threads: int | None, folded: bool):
    """An ``OnnxEngine`` for weights that ship no graph: exported once into the user cache and reused
    (keyed by the weights' sha256 and whether BatchNorm is folded; a temporary folder for an
    in-memory model)."""
    from msdunet.inference.engines import OnnxEngine
    from msdunet.inference.onnx_export import export_module

    digest = card.get("sha256")
    cache = Path(os.environ.get("MSDUNET_CACHE", Path.home() / ".cache" / "msdunet"))
    name = f"{digest}-folded.onnx" if folded else f"{digest}.onnx"
    path = cache / name if digest else Path(tempfile.mkdtemp()) / "model.onnx"
    if not path.exists():
        export_module(fold_batchnorm(model) if folded else model, path)
    return OnnxEngine(path, multiple=model.multiple, threads=threads)
