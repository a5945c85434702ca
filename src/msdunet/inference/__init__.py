"""A blur map from a photo: ``BlurDetector`` (``detector``), the working sizes (``protocol``, importable
without torch) and ONNX export (``onnx_export``).  torch is imported only when a name from
``detector`` is used, so the CLI's help stays instant."""

from __future__ import annotations

__all__ = ["BlurDetector", "describe", "idle_cores"]


def __getattr__(name: str):
    if name in __all__:
        from msdunet.inference import detector

        return getattr(detector, name)
    raise AttributeError(f"module 'msdunet.inference' has no attribute {name!r}")
