"""Export to ONNX and run it with onnxruntime (the optional ``onnx`` extra).

The graph takes a normalised float32 image (N,3,H,W) with H and W multiples of the model's
``multiple`` (16 for the paper's encoder, 32 for EfficientNet-Lite; dynamic) and returns P(blurred)
(N,H,W).  Padding happens outside the graph (``engines.OnnxEngine`` does it), so the graph holds no
shape-dependent Python logic.

Exporter: torch's supported one (``dynamo=True``, through ``torch.export``; it needs the
``onnxscript`` package, part of the ``onnx`` extra).  Batch, height and width are dynamic; height
and width are declared as multiples of ``model.multiple``, which is what ``OnnxEngine`` feeds.  The
TorchScript exporter (``dynamo=False``) that this module used before is deprecated in torch 2.13;
on the plain and the EfficientNet-Lite models both give the same outputs to ~1e-6.

Verification: the exported graph is compared with PyTorch on two input sizes; the largest
absolute difference in P(blurred) must stay below ``TOLERANCE`` (1e-4).  The graph runs on
``engines.OnnxEngine``, which pads the input (the graph holds no padding).  The default model's graph
ships beside its weights, made with ``half=True`` (``python -m lab ship_onnx``).
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

from msdunet.model.weights import load_weights, resolve_weights

TOLERANCE = 1e-4
VERIFY_SIZES = ((256, 256), (320, 480))
OPSET = 18  # the dynamo exporter's own; an older one would need a version conversion
HALF_SUFFIX = ".fp16"  # a halved tensor's name in the graph: its state-dict name ("model." + key) + this


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


def export_module(model: nn.Module, out: str | os.PathLike, *, opset: int = OPSET, half: bool = False) -> dict:
    """Export, verify against PyTorch, and return {'max_abs_diff', 'sizes'}; raises if off.

    ``half``: the graph with its constants folded but BatchNorm kept (onnxruntime folds it into the
    convolutions when the session starts), each float tensor that fp16 holds exactly stored as fp16
    and cast to float32 in the graph (``halve_initializers``): half the file, the same outputs (the
    default model's: bit for bit the exporter's optimised graph) at the same speed.  One file, the
    tensors inside it."""
    import onnx

    wrapper = _Probability(model).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    m = model.multiple
    batch, rows, cols = torch.export.Dim("batch"), torch.export.Dim("rows"), torch.export.Dim("cols")
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper,
            (torch.zeros(2, 3, 8 * m, 8 * m),),  # batch 2: a batch of 1 would be specialised to 1
            dynamo=True,
            opset_version=opset,
            input_names=["image"],
            output_names=["blur"],
            dynamic_shapes={"image": {0: batch, 2: m * rows, 3: m * cols}},
            optimize=not half,
            verbose=False,
        )
    proto = _fold_constants(program.model_proto) if half else program.model_proto
    if half:
        halve_initializers(proto)
    onnx.save_model(proto, str(tmp))
    worst = _verify(wrapper, tmp, multiple=m)
    if worst > TOLERANCE:
        tmp.unlink()
        raise RuntimeError(f"{out}: ONNX output differs from PyTorch by {worst:.2e} (> {TOLERANCE})")
    os.replace(tmp, out)
    return {"max_abs_diff": worst, "sizes": [list(s) for s in VERIFY_SIZES]}


def _fold_constants(proto):
    """``proto`` with its constant sub-expressions folded and unused nodes dropped (onnxscript's
    passes, without its rewrite rules, one of which folds BatchNorm into the convolutions)."""
    from onnxscript import ir, optimizer

    model = ir.serde.deserialize_model(proto)
    optimizer.fold_constants(model)
    optimizer.remove_unused_nodes(model)
    return ir.serde.serialize_model(model)


def _verify(wrapper: nn.Module, path: Path, *, multiple: int) -> float:
    """The largest |P(blurred)| difference between the graph at ``path`` and PyTorch (fp32), over
    ``VERIFY_SIZES``."""
    from msdunet.inference.engines import OnnxEngine

    engine = OnnxEngine(path, multiple=multiple)
    worst = 0.0
    for h, w in VERIFY_SIZES:
        x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(h))
        with torch.no_grad():
            expected = wrapper(x).numpy()
        worst = max(worst, float(np.abs(engine.probability(x.numpy()) - expected).max()))
    return worst


def halve_initializers(proto) -> int:
    """Store each float32 tensor of ``proto`` (an ONNX ModelProto) that fp16 represents exactly as fp16
    under the name ``NAME.fp16``, with a ``Cast`` to float32 named ``NAME`` ahead of the nodes: the
    shipped weights are fp16, so this holds every one of them.  Returns how many were halved."""
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    kept, casts = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        exact = values.dtype == np.float32 and np.array_equal(values.astype(np.float16).astype(np.float32), values)
        if not exact:
            kept.append(tensor)
            continue
        kept.append(numpy_helper.from_array(values.astype(np.float16), tensor.name + HALF_SUFFIX))
        casts.append(helper.make_node("Cast", [tensor.name + HALF_SUFFIX], [tensor.name], to=TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.initializer[:], graph.node[:]
    graph.initializer.extend(kept)
    graph.node.extend(casts + nodes)
    return len(casts)


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
