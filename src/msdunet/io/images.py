"""Reading photos and masks as they really are.

* Photos: EXIF orientation applied; greyscale, palette, RGBA (composited on white), 16-bit,
  CMYK and other modes converted to 8-bit RGB.  Pillow's decompression-bomb guard stays on and
  its warning (over ``MAX_IMAGE_PIXELS``) refuses a file just as its error (over twice that) does:
  ``ImageReadError`` naming the file and how to allow it.
* Camera RAW and HEIF/HEIC are decoded by ``msdunet.io.formats`` (the optional ``raw`` extra; a HEIF
  file's EXIF orientation applied when the file has no rotation of its own); without it such a file
  is an ``ImageReadError`` saying which extra to install.
* Masks: read as grey (RGB/RGBA → luminance), thresholded at 127 → bool (True = blurred).
* Every failure is an ``ImageReadError`` carrying the path and the reason in plain words.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from msdunet.io import formats as io_formats
from msdunet.io.formats import FormatError

MASK_THRESHOLD = 127
_GUARD = threading.Lock()  # warning filters are process-wide: one guarded Image.open at a time


class ImageReadError(ValueError):
    """An image could not be read; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def _check_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(path, "no such file" if not path.exists() else "not a file")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "file is empty (0 bytes)")
    return path


def _too_large(path: Path, exc: Exception) -> ImageReadError:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{int(found[1]):,} pixels" if found else "its size"
    return ImageReadError(
        path,
        f"image too large for Pillow's decompression-bomb guard ({size}, limit {Image.MAX_IMAGE_PIXELS:,}); "
        "if you trust it, raise the limit: msdunet detect --max-pixels N (Python: PIL.Image.MAX_IMAGE_PIXELS)",
    )


def _unreadable(path: Path, source: BinaryIO | None) -> str:
    if source is None and io_formats.is_heif(path):
        return io_formats.heif_problem(path)
    return "not an image Pillow can read"


def _guarded_open(path: Path, source: BinaryIO | None = None) -> Image.Image:
    """``Image.open`` of ``path`` (or of ``source``, bytes from inside it) with the decompression-bomb
    warning and error both turned into a refusal; HEIF/HEIC files through pillow-heif when installed."""
    if source is None and io_formats.is_heif(path):
        io_formats.enable_heif()
    try:
        with _GUARD, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path if source is None else source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(path, exc) from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError(path, _unreadable(path, source)) from exc


def _raw(path: Path, decode: Callable[..., Any]) -> Any:
    """``decode`` (``io_formats.read_raw`` or ``raw_size``) with its problems as ``ImageReadError``."""
    try:
        return decode(path, open_image=lambda source: _guarded_open(path, source))
    except FormatError as exc:
        raise ImageReadError(path, str(exc)) from exc
    except Image.DecompressionBombError as exc:
        raise _too_large(path, exc) from exc


def _open(path: str | os.PathLike) -> Image.Image:
    """Open and decode at full size (never a reduced JPEG draft: the map must not depend on it)."""
    path = _check_file(path)
    try:
        image = _guarded_open(path)
        image.load()
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(path, f"corrupt or truncated image ({exc})") from exc
    return image


WIDE_GREY_MODES = ("I;16", "I;16B", "I;16L", "I", "F")


def grey_levels(image: Image.Image) -> np.ndarray:
    """Any single-band or colour image → float64 grey levels in [0, 255].

    Wide modes are scaled by their apparent range rather than clipped: values above 255 are read
    as 16-bit (÷ 65535), float images with values ≤ 1 as [0, 1]; 8-bit and colour images go
    through Pillow's luminance conversion."""
    if image.mode not in WIDE_GREY_MODES:
        return np.asarray(image.convert("L"), dtype=np.float64)
    grey = np.asarray(image, dtype=np.float64)
    top = grey.max()
    scale = 255.0 / 65535.0 if top > 255 else 255.0 if image.mode == "F" and top <= 1 else 1.0
    return np.clip(grey * scale, 0, 255)


def to_rgb(image: Image.Image, *, in_place: bool = False) -> Image.Image:
    """Any Pillow image → 8-bit RGB, upright (EXIF orientation applied), never ``image`` itself
    unless ``in_place`` (an image just read, which nothing else holds: turned without a copy)."""
    if in_place:
        ImageOps.exif_transpose(image, in_place=True)
    else:
        image = ImageOps.exif_transpose(image)  # a copy when there is nothing to turn
    if image.mode in WIDE_GREY_MODES:
        image = Image.fromarray((grey_levels(image) + 0.5).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def read_image(path: str | os.PathLike) -> Image.Image:
    """Read a photo as upright 8-bit RGB at its full size (a camera RAW: at the size
    ``io_formats.read_raw`` decodes it), or raise ``ImageReadError``."""
    if io_formats.is_raw(Path(path)):
        return _raw(_check_file(path), io_formats.read_raw)
    image = _open(path)
    turn = io_formats.heif_orientation(image, Path(path))  # 1 but for a HEIF file pillow-heif left sideways
    try:
        return io_formats.orient(to_rgb(image, in_place=True), turn)
    except (OSError, ValueError) as exc:
        raise ImageReadError(path, f"cannot convert {image.mode} image to RGB ({exc})") from exc


def read_mask(path: str | os.PathLike, white_is_blurred: bool = True) -> np.ndarray:
    """Read a ground-truth mask as a bool array, True = blurred.

    Grey, RGB and RGBA masks are converted to grey first; ``white_is_blurred=False`` is for the
    original DUT release, whose BMP masks are white = sharp.
    """
    mask = grey_levels(_open(path)) > MASK_THRESHOLD
    return mask if white_is_blurred else ~mask


def read_map(path: str | os.PathLike) -> np.ndarray:
    """Read a predicted blur map (any 8/16-bit grey or colour image) as float64 in [0, 255]."""
    return grey_levels(_open(path))


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of the upright image as ``read_image`` gives it, read from the header only
    (a camera RAW: from its preview, or from the sensor size when it would be demosaiced)."""
    path = _check_file(path)
    if io_formats.is_raw(path):
        return _raw(path, io_formats.raw_size)
    try:
        with _guarded_open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
            if orientation == 1:
                orientation = io_formats.heif_orientation(image, path)
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(path, f"not an image Pillow can read ({exc})") from exc
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
