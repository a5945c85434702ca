"""msdunet: per-pixel blur detection (defocus and motion) with MSDU-net.

``from msdunet import BlurDetector`` is the Python API; torch is imported only when it is used,
so ``msdunet --version`` stays instant.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["BlurDetector", "__version__"]


def __getattr__(name: str):
    if name == "BlurDetector":
        from msdunet.inference.detector import BlurDetector

        return BlurDetector
    raise AttributeError(f"module 'msdunet' has no attribute {name!r}")
