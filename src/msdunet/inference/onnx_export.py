"""Export to ONNX and run it with onnxruntime (the optional ``onnx`` extra).

The graph takes a normalised float32 image (N,3,H,W) with H and W multiples of the model's
``multiple`` (16 for the paper's encoder, 32 for EfficientNet-Lite; dynamic) and returns P(blurred)
(N,H,W).  Padding happens outside the graph (``OnnxModel`` does it), so the graph holds no
shape-dependent Python logic.

Exporter: torch's supported one (``dynamo=True``, through ``torch.export``; it needs the
``onnxscript`` package, part of the ``onnx`` extra).  Batch, height and width are dynamic; height
and width are declared as multiples of ``model.multiple``, which is what ``OnnxModel`` feeds.  The
TorchScript exporter (``dynamo=False``) that this module used before is deprecated in torch 2.13;
on the plain and the EfficientNet-Lite models both give the same outputs to ~1e-6.

Verification: the exported graph is compared with PyTorch on two input sizes; the largest
absolute difference in P(blurred) must stay below ``TOLERANCE`` (1e-4).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from msdunet.model.parts import pad_to_multiple
from msdunet.model.weights import load_weights, resolve_weights

TOLERANCE = 1e-4
VERIFY_SIZES = ((256, 256), (320, 480))
OPSET = 18  # the dynamo exporter's own; an older one would need a version conversion


class _Probability(nn.Module):
    """P(blurred) of an already padded image: the model's ``forward_padded`` and a softmax."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model.forward_padded(image), dim=1)[:, 1]


def export_onnx(weights: str | os.PathLike | None, out: str | os.PathLike, *, opset: int = OPSET) -> dict:
    """Export shipped or given weights; see ``export_module``."""
    model, _ = load_weights(resolve_weights(weights))
    return export_module(model, out, opset=opset)


def export_module(model: nn.Module, out: str | os.PathLike, *, opset: int = OPSET) -> dict:
    """Export, verify against PyTorch, and return {'max_abs_diff', 'sizes'}; raises if off."""
    wrapper = _Probability(model).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    m = model.multiple
    batch, rows, cols = torch.export.Dim("batch"), torch.export.Dim("rows"), torch.export.Dim("cols")
    with _quiet_exporter():
        torch.onnx.export(
            wrapper,
            (torch.zeros(2, 3, 8 * m, 8 * m),),  # batch 2: a batch of 1 would be specialised to 1
            str(tmp),
            dynamo=True,
            opset_version=opset,
            input_names=["image"],
            output_names=["blur"],
            dynamic_shapes={"image": {0: batch, 2: m * rows, 3: m * cols}},
            verbose=False,
        )
    session = OnnxModel(tmp, multiple=model.multiple)
    worst = 0.0
    for h, w in VERIFY_SIZES:
        x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(h))
        with torch.no_grad():
            expected = wrapper(x).numpy()
        worst = max(worst, float(np.abs(session.run(x.numpy()) - expected).max()))
    if worst > TOLERANCE:
        tmp.unlink()
        raise RuntimeError(f"{out}: ONNX output differs from PyTorch by {worst:.2e} (> {TOLERANCE})")
    os.replace(tmp, out)
    return {"max_abs_diff": worst, "sizes": [list(s) for s in VERIFY_SIZES]}


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Silence, for one export, the exporter's notes that concern nothing here: torchvision ops it
    cannot register, and a FutureWarning from torch's own pytree code."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        logger.setLevel(level)


class OnnxModel:
    """onnxruntime session with the same contract as ``MSDUNet.blur_probability`` for numpy input."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None, *, multiple: int) -> None:
        import onnxruntime as ort

        self.multiple = multiple
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, image: np.ndarray) -> np.ndarray:
        """(N,3,H,W) float32, any H/W → (N,H,W) P(blurred)."""
        h, w = image.shape[-2:]
        padded = pad_to_multiple(torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)), self.multiple).numpy()
        out = self.session.run(None, {"image": np.ascontiguousarray(padded)})[0]
        return out[:, :h, :w]
