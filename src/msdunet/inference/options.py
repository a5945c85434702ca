"""``ModelOptions``: which weights and how the network runs, as one frozen value (importable without
torch); ``load_detector`` builds the ``BlurDetector`` from it, threads chosen by ``threads``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE


@dataclass(frozen=True)
class ModelOptions:
    """``weights``: a shipped model's name or a weights file (None: the default model);
    ``working_size`` None: native size, tiled; ``square`` False: ``working_size`` is the long side,
    aspect kept; ``threads`` None: chosen by ``choose_threads``; ``bf16`` None: the torch engine's
    default (where the CPU has native bf16); ``backend``: ``engines.choose_backend``."""

    weights: str | None = None
    working_size: int | None = DEFAULT_WORKING_SIZE
    square: bool = DEFAULT_SQUARE
    threads: int | None = None
    bf16: bool | None = None
    backend: str = "auto"
    flip_tta: bool = False

    def detector_kwargs(self) -> dict:
        """``BlurDetector`` keyword arguments (all but ``weights``)."""
        values = asdict(self)
        del values["weights"]
        return values


def load_detector(options: ModelOptions = ModelOptions(), *, cpus: float | None = None):
    """The ``BlurDetector`` of ``options``, its threads chosen by ``choose_threads`` (``cpus``: a Ray
    actor's share).  Raises ``WeightsError`` for missing or damaged weights and ``ImportError`` when
    onnxruntime is asked for and not installed."""
    from msdunet.inference.detector import BlurDetector
    from msdunet.inference.threads import choose_threads

    chosen = replace(options, threads=choose_threads(options.threads, cpus=cpus))
    return BlurDetector(chosen.weights, **chosen.detector_kwargs())
