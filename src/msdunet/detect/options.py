"""``DetectOptions``: everything ``msdunet detect`` is told, as one frozen value (importable without
torch or Ray); the CLI's option group builds it, the engines read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from msdunet.detect.outputs import MAP_SIZE
from msdunet.focus.judgement import JudgeOptions
from msdunet.inference.options import ModelOptions


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide: ``address`` None starts Ray here (or joins $RAY_ADDRESS); ``actors`` None
    is one per ``cpus`` of the cluster; ``batch_size`` images per task."""

    address: str | None = None
    actors: int | None = None
    cpus: float = 1.0
    batch_size: int = 8


@dataclass(frozen=True)
class DetectOptions:
    """``model``: the network and how it runs; ``threshold``: P(blurred) at which a pixel counts as
    blurred in the report; ``judging``: at what size and limit the verdict is judged; ``workers``: decode
    threads of the local engine; ``map_size``: the maps' long side at most (px; None: the photo's
    size); ``max_pixels``: Pillow's
    decompression-bomb limit (None: Pillow's default, 0: none); ``engine`` "local" or "ray"."""

    model: ModelOptions = field(default_factory=ModelOptions)
    threshold: float = 0.5
    with_overlay: bool = True
    map_size: int | None = MAP_SIZE
    skip_existing: bool = False
    recursive: bool = False
    workers: int = 2
    max_pixels: int | None = None
    engine: str = "local"
    ray: RayOptions = field(default_factory=RayOptions)
    judging: JudgeOptions = field(default_factory=JudgeOptions)  # the verdict's size and limit (msdunet.focus)


def apply_max_pixels(max_pixels: int | None) -> None:
    """Pillow's decompression-bomb limit in this process (None: leave it; 0: no limit)."""
    if max_pixels is not None:
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = max_pixels or None
