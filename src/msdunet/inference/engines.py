"""What runs the network: one contract, two engines, chosen in one place.

An engine's ``probability(x)`` takes a normalised float32 batch (N,3,H,W), any H and W, and returns
P(blurred) (N,H,W) as float32; ``backend`` names it and ``bf16`` says whether it computes in bf16.

* ``OnnxEngine`` (here, torch-free): onnxruntime on an ONNX graph, fp32; the default model ships its
  graph beside its weights (``msdunet/shipped/NAME.onnx``, checked against its card's sha256), so
  ``msdunet detect`` and ``BlurDetector()`` run without importing torch: a second less to start on
  the 2-core machine (reports/startup.md);
* ``TorchEngine`` (``torch_engine``): the PyTorch model, bf16 autocast where the CPU has native
  bf16; for other weights, in-memory models, training and evaluation, and wherever onnxruntime is
  not installed.

``choose_backend``: ``"auto"`` (the default) is ``"onnx"`` when the weights have a graph beside them,
onnxruntime can be imported and neither bf16 nor an in-memory model was asked for; else ``"torch"``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from msdunet.inference.arrays import pad_to_multiple
from msdunet.model.weights import checked_graph

BACKENDS = ("auto", "onnx", "torch")


class Engine(Protocol):
    backend: str
    bf16: bool

    def probability(self, x: np.ndarray) -> np.ndarray: ...


def onnxruntime_installed() -> bool:
    """onnxruntime can be imported (found without importing it: the import is what a run waits for)."""
    return importlib.util.find_spec("onnxruntime") is not None


def choose_backend(backend: str, *, graph: Path | None, bf16: bool | None, in_memory: bool) -> str:
    """The engine to build: ``backend`` when it names one, else (``"auto"``) onnx when a checked
    ``graph`` is there, onnxruntime is installed, ``bf16`` is not asked for and the model is not an
    in-memory one; else torch."""
    if backend not in BACKENDS:
        raise ValueError(f"backend is one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend != "auto":
        return backend
    wanted = graph is not None and bf16 is not True and not in_memory
    return "onnx" if wanted and onnxruntime_installed() else "torch"


class OnnxEngine:
    """An onnxruntime session on a graph file: the graph takes (N,3,H,W) with H and W multiples of
    ``multiple`` (it is padded here, reflect, as ``BlurNet.forward`` pads) and returns P(blurred)."""

    backend = "onnx"
    bf16 = False  # fp32: onnxruntime on CPU has no bf16 kernels for these operators

    def __init__(self, path: str | os.PathLike, *, multiple: int, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path, self.multiple = Path(path), multiple
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def probability(self, x: np.ndarray) -> np.ndarray:
        """(N,3,H,W) float32, any H/W → (N,H,W) P(blurred)."""
        h, w = x.shape[-2:]
        padded = np.ascontiguousarray(pad_to_multiple(np.asarray(x, dtype=np.float32), self.multiple))
        return self.session.run(None, {"image": padded})[0][:, :h, :w]

    run = probability  # the name of the session wrapper before (``onnx_export.OnnxModel``)


def build_engine(
    weights: Path | None,
    card: dict,
    *,
    backend: str = "auto",
    threads: int | None = None,
    bf16: bool | None = None,
    model=None,
    fold: bool = True,
) -> Engine:
    """The engine for these weights (a checked file and its card) or this in-memory ``model``."""
    graph = checked_graph(weights, card) if weights is not None else None
    chosen = choose_backend(backend, graph=graph, bf16=bf16, in_memory=model is not None)
    if chosen == "onnx" and graph is not None:
        return OnnxEngine(graph, multiple=card["onnx"]["multiple"], threads=threads)
    from msdunet.inference import torch_engine  # torch: only here

    if model is None:
        model = torch_engine.load_model(weights)
    if chosen == "onnx":  # weights without a shipped graph: exported once into the user cache
        return torch_engine.exported(model, card, threads=threads, folded=fold)
    return torch_engine.TorchEngine(model, bf16=bf16, threads=threads, fold=fold)
