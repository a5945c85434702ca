"""Export to ONNX and run it with onnxruntime (the optional ``onnx`` extra).

The graph takes a normalised float32 image (N,3,H,W) with H and W multiples of the model's
``multiple`` (16 for the paper's encoder, 32 for EfficientNet-Lite; dynamic) and returns P(blurred)
(N,H,W).  Padding happens outside the graph (``OnnxModel`` does it), so the graph holds no
shape-dependent Python logic.  The TorchScript exporter (``dynamo=False``) is used: it needs no
extra package and handles dynamic H/W.

Verification: the exported graph is compared with PyTorch on two input sizes; the largest
absolute difference in P(blurred) must stay below ``TOLERANCE`` (1e-4).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from msdunet.model.parts import pad_to_multiple
from msdunet.weights import load_weights, resolve_weights

TOLERANCE = 1e-4
VERIFY_SIZES = ((256, 256), (320, 480))


class _Probability(nn.Module):
    """P(blurred) of an already padded image: the model's ``forward_padded`` and a softmax."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model.forward_padded(image), dim=1)[:, 1]


def export_onnx(weights: str | os.PathLike | None, out: str | os.PathLike, opset: int = 17) -> dict:
    """Export shipped or given weights; see ``export_module``."""
    model, _ = load_weights(resolve_weights(weights))
    return export_module(model, out, opset)


def export_module(model: nn.Module, out: str | os.PathLike, opset: int = 17) -> dict:
    """Export, verify against PyTorch, and return {'max_abs_diff', 'sizes'}; raises if off."""
    wrapper = _Probability(model).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    torch.onnx.export(
        wrapper,
        (torch.zeros(1, 3, 256, 256),),
        str(tmp),
        dynamo=False,
        opset_version=opset,
        input_names=["image"],
        output_names=["blur"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "blur": {0: "batch", 1: "height", 2: "width"}},
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
