"""A ``BlurDetector`` built on a background thread while photos decode (torch-free until then).

Importing torch and reading, checking and folding the weights take a 2-core machine about two
seconds; ``msdunet detect`` spends them decoding and judging the first photos on the other core.
``LoadingDetector`` answers the decode side (``load``, ``working_image``) at once and hands the
network over with ``ready()``, which waits for it and raises what building it raised.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any

from PIL import Image

from msdunet.inference.decoding import Decoding, ImageInput


class LoadingDetector:
    """``build()`` running on its own thread; ``decoding`` is what the network will be shown."""

    def __init__(self, build: Callable[[], Any], decoding: Decoding) -> None:
        self.decoding = decoding
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="msdunet-model")
        self._future = pool.submit(build)
        pool.shutdown(wait=False)

    def load(self, image: ImageInput) -> tuple[Image.Image, tuple[int, int]]:
        return self.decoding.load(image)

    def working_image(self, rgb: Image.Image) -> Image.Image:
        return self.decoding.working_image(rgb)

    def ready(self) -> Any:
        """The built detector (waits for it); re-raises what building it raised, ``SystemExit`` too."""
        return self._future.result()


def decoding_of(options: object) -> Decoding:
    """The ``Decoding`` of a ``ModelOptions`` (or a ``BlurDetector``): its fields of the same names."""
    return Decoding(**{f.name: getattr(options, f.name) for f in fields(Decoding) if hasattr(options, f.name)})
