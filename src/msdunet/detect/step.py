"""One photo through ``msdunet detect``: decode, network, 8-bit map, report row and encoded files.

``detect_photo`` is the step, whole: the Ray engine's actors and the web app's uploads run it.  The
local engine runs its three phases on its own threads (``decode`` ahead in readers, ``infer`` on the
calling thread, ``encode`` and ``write`` behind in a writer), so every path gives the same map, the
same row and the same bytes for the same photo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.detect.outputs import (
    MAP_SIZE,
    Encoded,
    Target,
    bounded,
    encode_outputs,
    preview,
    read_existing,
    save_encoded,
)
from msdunet.detect.report import Judging, Row, summarize
from msdunet.focus import DEFAULT_JUDGING, JudgeOptions, PixelBlur
from msdunet.inference.arrays import resized_map
from msdunet.io import ImageReadError, read_image
from msdunet.scoring.metrics import to_uint8_map

READ_ERRORS = (ImageReadError, OSError, ValueError)  # a photo that cannot be read: its row's error


@dataclass(frozen=True)
class Decoded:
    work: Image.Image  # what the network sees
    size: tuple[int, int]  # the photo's (width, height)
    photo: Image.Image | None  # the photo at overlay size, when overlays are wanted
    measured: PixelBlur  # blur in px from the full-size pixels (msdunet.focus)


@dataclass(frozen=True)
class Inferred:
    label: str  # the row's path
    prob: np.ndarray  # P(blurred) at the network's working size (``encode`` resizes it to the map's)
    map_size: tuple[int, int]  # the map's (width, height): the photo's bounded by ``map_size``
    size: tuple[int, int]  # the photo's (width, height)
    ms: float  # network time
    photo: Image.Image | None
    measured: PixelBlur


@dataclass(frozen=True)
class Detected:
    row: Row
    files: Encoded


def decode(
    detector,
    source,
    *,
    with_overlay: bool = True,
    load: Callable | None = None,
    judging: JudgeOptions = DEFAULT_JUDGING,
) -> Decoded:
    """The photo resized for the network (and, box-reduced first, for the overlay) and its blur
    measured in pixels as ``judging`` asks; the full-size decode is dropped here.  ``load`` reads
    ``source`` (default ``detector.load``)."""
    rgb, size = (load or detector.load)(source)
    scaled = detector.decoding.scaled(rgb)
    photo = preview(scaled.reduced, full=size) if with_overlay else None
    return Decoded(work=scaled.work, size=size, photo=photo, measured=judging.measure(rgb))


def infer(detector, decoded: Decoded, label: str, *, map_size: int | None = MAP_SIZE) -> Inferred:
    """The network's map at its working size, to be resized by ``encode`` so that its long side is at
    most ``map_size`` px (None: the photo's size): the local engine's network thread, which sets
    the pace on small photos, runs the network only (``BlurDetector.map_for`` is the two steps)."""
    start = time.perf_counter()
    prob = detector.working_probability(decoded.work, decoded.size)
    ms = (time.perf_counter() - start) * 1e3
    return Inferred(
        label=label, prob=prob, map_size=bounded(decoded.size, map_size), size=decoded.size, ms=ms,
        photo=decoded.photo, measured=decoded.measured,
    )  # fmt: skip


def encode(inferred: Inferred, *, threshold: float, judging: JudgeOptions = DEFAULT_JUDGING) -> Detected:
    """The map at its size, 8-bit, its row (from the map as saved, and the judgement) and the files' bytes."""
    map8 = _levels(resized_map(inferred.prob, inferred.map_size))
    pixels = Judging(inferred.measured, judging)
    row = summarize(inferred.label, map8, threshold=threshold, ms=inferred.ms, pixels=pixels, size=inferred.size)
    return Detected(row, encode_outputs(map8, inferred.photo))


def _levels(blur: np.ndarray, rows: int = 256) -> np.ndarray:
    """``to_uint8_map`` a band of rows at a time: the same levels, without float64 copies of a
    full-size map (``--map-size full``: 24 MP would take 0.4 GB more)."""
    if blur.shape[0] <= rows:
        return to_uint8_map(blur)
    return np.concatenate([to_uint8_map(blur[y : y + rows]) for y in range(0, blur.shape[0], rows)])


def detect_photo(
    detector,
    source,
    *,
    label: str,
    threshold: float = 0.5,
    with_overlay: bool = True,
    load: Callable | None = None,
    judging: JudgeOptions = DEFAULT_JUDGING,
    map_size: int | None = MAP_SIZE,
) -> Detected:
    """The step: ``source`` (a path, or what ``load`` reads) to its row (path ``label``) and files,
    on the calling thread.  A photo that cannot be read raises (``READ_ERRORS``)."""
    decoded = decode(detector, source, with_overlay=with_overlay, load=load, judging=judging)
    return encode(infer(detector, decoded, label, map_size=map_size), threshold=threshold, judging=judging)


def write(out: Path, target: Target, detected: Detected) -> Row:
    """The files under ``out`` (the map last), then the row says where: a row is ok only once its
    files are on disk."""
    save_encoded(out, target, detected.files)
    detected.row.output = target.map.as_posix()
    return detected.row


def failed(label: str, exc: BaseException) -> Row:
    """The row of an input that could not be read (or ran out of memory), naming it."""
    if isinstance(exc, MemoryError):
        return Row(label, error=f"{label}: out of memory")
    return Row(label, error=str(exc) if label in str(exc) else f"{label}: {exc}")


def not_written(label: str, exc: BaseException) -> Row:
    return Row(label, error=f"{label}: outputs not written ({exc})")


def reuse(
    out: Path,
    target: Target,
    photo: Path,
    *,
    threshold: float,
    with_overlay: bool,
    judging: JudgeOptions = DEFAULT_JUDGING,
    map_size: int | None = MAP_SIZE,
) -> Row | None:
    """The row of an earlier run's map (``skip_existing``: at the size ``map_size`` makes), or None
    when it has to be made again; the photo is decoded again for its judgement (the network is
    what is skipped)."""
    start = time.perf_counter()
    existing = read_existing(out, target, photo, with_overlay, map_size=map_size)
    if existing is None:
        return None
    pixels = Judging(judging.measure(read_image(photo)), judging)
    ms = (time.perf_counter() - start) * 1e3
    row = summarize(str(photo), existing.map8, threshold=threshold, ms=ms, pixels=pixels, size=existing.size)
    row.output, row.reused = target.map.as_posix(), True
    return row
