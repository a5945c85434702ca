"""A blur map from a photo: ``BlurDetector`` (``detector``), built from ``ModelOptions`` by
``load_detector`` (``options``) or on a thread while photos decode (``loading``), the one decode of
every entry point (``decoding``), the network run by an engine (``engines``: onnxruntime on the shipped
graph, or PyTorch, ``torch_engine``), the numpy steps around it (``arrays``), its CPU threads chosen in
one place (``threads``), the working sizes (``protocol``) and ONNX export (``onnx_export``).  torch is
imported only by the torch engine and the export: ``BlurDetector()`` on the default model never loads it."""

from __future__ import annotations

from msdunet.inference.options import ModelOptions, load_detector
from msdunet.inference.threads import choose_threads, idle_cores, use_threads

__all__ = ["BlurDetector", "ModelOptions", "choose_threads", "describe", "idle_cores", "load_detector", "use_threads"]
_LAZY = ("BlurDetector", "describe")  # from ``detector`` (numpy, PIL, the focus judgement)


def __getattr__(name: str):
    if name in _LAZY:
        from msdunet.inference import detector

        return getattr(detector, name)
    raise AttributeError(f"module 'msdunet.inference' has no attribute {name!r}")
