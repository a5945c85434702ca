"""Camera RAW (through rawpy / LibRaw) and HEIF/HEIC (through pillow-heif): the photo formats Pillow
does not read by itself, both in the optional ``raw`` extra.

* HEIF/HEIC: pillow-heif's opener is registered with Pillow the first time such a file is read, so
  it goes through ``Image.open`` like any photo (bomb guard included).  libheif applies the file's
  rotation and mirroring (``irot``, ``imir``) itself, and pillow-heif sets the EXIF orientation to 1
  so that nothing turns the image twice; a file with an EXIF orientation but neither box would then
  come out sideways, so ``heif_orientation`` gives its EXIF orientation back to apply.  AVIF is left
  to Pillow's own plugin (Pillow 11.3+; pillow-heif 1.x dropped it).
* RAW: the embedded preview when it is large enough (``preview_is_enough``: long side at least
  ``PREVIEW_MIN_SIDE`` px, or at least half the sensor's long side), else a half-size demosaic with
  the camera's white balance, 8-bit.  Either way the result is upright as photographers see it.
  The decoded image, whichever it is, is *the* photo: its map, overlay and report size are its own.
* GoPro ``.GPR``: a DNG with VC-5 compression and no preview; stock LibRaw opens it but cannot
  decode it, so reading one is a ``FormatError`` saying to convert it with GoPro's ``gpr_tools``.
* A missing extra or an unreadable file raises ``FormatError`` with the problem in plain words;
  ``msdunet.io`` adds the file's name.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

from msdunet.io.heif_boxes import heif_turns_itself

HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".avif"})
# .gpr: GoPro's raw, a DNG with VC-5 compression, which stock LibRaw lists but cannot decode (``read_raw`` says so).
RAW_EXTENSIONS = frozenset({".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".gpr"})
# ISO-BMFF brands (bytes 8–12, after "ftyp") of HEIF, HEIC and AVIF still images and sequences.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})
INSTALL = 'pip install torch==2.13.0 -e ".[raw]"'
# The network sees 256 px and overlays are 1600 px: a preview with a long side of 1024 px or more
# carries all the detail the map uses at the default working size.  Smaller previews still win when
# they are at least as large as the half-size demosaic would be (small sensors, test files).
PREVIEW_MIN_SIDE = 1024
ORIENTATION = 0x0112
# LibRaw's ``flip`` → the transpose that makes the sensor image upright (3: 180°, 5: 90° CCW, 6: 90° CW).
_FLIP = {3: Image.Transpose.ROTATE_180, 5: Image.Transpose.ROTATE_90, 6: Image.Transpose.ROTATE_270}
# EXIF orientation → the transpose that makes the image upright (as ``ImageOps.exif_transpose``).
_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip
_HEIF_LOCK = threading.Lock()
_heif: bool | None = None  # pillow-heif registered (True), missing (False), not tried yet (None)

Opener = Callable[[BinaryIO], Image.Image]


class FormatError(ValueError):
    """A RAW or HEIF file could not be read; the message says why, without the file's name."""


def is_raw(path: Path) -> bool:
    """A camera RAW file, by its extension (RAW formats share TIFF's or ISO-BMFF's first bytes)."""
    return path.suffix.lower() in RAW_EXTENSIONS


def heif_head(head: bytes) -> bool:
    """True when a file's first 12 bytes are an ISO-BMFF ``ftyp`` box of a HEIF/HEIC/AVIF brand."""
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def is_heif(path: Path) -> bool:
    """A HEIF/HEIC/AVIF file, by its extension or its first bytes."""
    if path.suffix.lower() in HEIF_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as f:
            return heif_head(f.read(12))
    except OSError:
        return False


def enable_heif() -> bool:
    """Register pillow-heif's opener with Pillow (once); False when pillow-heif is not installed."""
    global _heif
    with _HEIF_LOCK:
        if _heif is None:
            try:
                import pillow_heif
            except ImportError:
                _heif = False
            else:
                pillow_heif.register_heif_opener()
                _heif = True
        return _heif


def heif_problem(path: Path) -> str:
    """Why Pillow could not identify a HEIF-family file, and what to do about it."""
    kind = path.suffix[1:].upper() if path.suffix.lower() in HEIF_EXTENSIONS else "HEIF"
    if kind == "AVIF":
        return "an AVIF file this Pillow cannot read (Pillow 11.3 or newer reads AVIF)"
    if not enable_heif():
        return f"a {kind} file: reading it needs pillow-heif, in the raw extra: {INSTALL}"
    return f"a {kind} file pillow-heif cannot read (corrupt or truncated)"


def heif_orientation(image: Image.Image, path: Path) -> int:
    """The EXIF orientation still to apply to an image pillow-heif opened from ``path`` (1: none).

    pillow-heif resets the EXIF tag to 1 and keeps the file's in ``info["original_orientation"]``,
    trusting libheif to have turned the image by the file's ``irot``/``imir``.  When the file has an
    EXIF orientation but neither box (an iPhone 7 HEIC, for one), that orientation is returned."""
    own = image.info.get("original_orientation")
    if own not in _EXIF_TRANSPOSE or heif_turns_itself(path):
        return 1
    return own


def orient(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` turned upright by EXIF ``orientation`` (1 or unknown: unchanged)."""
    return image.transpose(_EXIF_TRANSPOSE[orientation]) if orientation in _EXIF_TRANSPOSE else image


def preview_is_enough(preview: tuple[int, int], sensor: tuple[int, int]) -> bool:
    """Use an embedded preview of size ``preview`` for a sensor of size ``sensor`` (both width,
    height)?  Yes when its long side is at least ``PREVIEW_MIN_SIDE`` px or at least half the
    sensor's long side (as large as the half-size demosaic it replaces)."""
    half = (max(sensor) + 1) // 2
    return max(preview) >= min(PREVIEW_MIN_SIDE, half)


def read_raw(path: Path, *, open_image: Opener) -> Image.Image:
    """A camera RAW file as upright 8-bit RGB: its embedded preview when ``preview_is_enough``,
    else a half-size demosaic.  ``open_image`` opens the preview's JPEG bytes (with the caller's
    decompression-bomb guard)."""
    with _open_raw(path) as raw:
        preview = embedded_preview(raw, open_image=open_image)
        if preview is not None:
            return preview
        _check_pixels(_half_size(raw))
        try:
            rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        except _rawpy().LibRawError as exc:
            raise FormatError(_undecodable(path, exc)) from exc
    return Image.fromarray(rgb)


def _undecodable(path: Path, exc: Exception) -> str:
    """Why LibRaw could not decode a RAW file's data, and what to do about a GoPro GPR (which has no
    embedded preview to fall back on)."""
    if path.suffix.lower() == ".gpr":
        return (
            f"a GoPro GPR raw (DNG with VC-5 compression), which LibRaw cannot decode ({_say(exc)}); "
            f"convert it to DNG with GoPro's gpr tool: gpr_tools -i {path.name} -o {path.stem}.DNG"
        )
    return f"camera RAW data LibRaw cannot decode ({_say(exc)})"


def raw_size(path: Path, *, open_image: Opener) -> tuple[int, int]:
    """(width, height) of what ``read_raw`` gives, without demosaicing: the preview, when chosen, is
    decoded (much faster than a demosaic), else LibRaw's half size is computed from the sensor's
    (cameras with non-square pixels may differ: ``--skip-existing`` then only computes again)."""
    with _open_raw(path) as raw:
        preview = embedded_preview(raw, open_image=open_image)
        return preview.size if preview is not None else _half_size(raw)


def _rawpy():
    try:
        import rawpy
    except ImportError as exc:
        raise FormatError(f"a camera RAW file: reading it needs rawpy, in the raw extra: {INSTALL}") from exc
    return rawpy


def _open_raw(path: Path):
    rawpy = _rawpy()
    try:
        return rawpy.imread(str(path))
    except rawpy.LibRawError as exc:
        raise FormatError(f"not a camera RAW file LibRaw can read ({_say(exc)})") from exc


def _say(exc: Exception) -> str:
    """LibRaw's message (rawpy passes bytes) as plain text."""
    arg = exc.args[0] if exc.args else type(exc).__name__
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


def _upright_sensor(raw) -> tuple[int, int]:
    """(width, height) of the whole sensor image once turned upright by the raw's ``flip``."""
    width, height = raw.sizes.width, raw.sizes.height
    return (height, width) if raw.sizes.flip in (5, 6) else (width, height)


def _half_size(raw) -> tuple[int, int]:
    """(width, height) of LibRaw's half-size demosaic, upright."""
    width, height = _upright_sensor(raw)
    return (width + 1) // 2, (height + 1) // 2


def _check_pixels(size: tuple[int, int]) -> None:
    """Pillow's decompression-bomb guard for an image LibRaw is about to make."""
    pixels = size[0] * size[1]
    if Image.MAX_IMAGE_PIXELS is not None and pixels > Image.MAX_IMAGE_PIXELS:
        raise Image.DecompressionBombError(f"Image size ({pixels} pixels) exceeds limit of {Image.MAX_IMAGE_PIXELS}")


def embedded_preview(raw, *, open_image: Opener) -> Image.Image | None:
    """The embedded preview, upright and as RGB, when there is one, it is large enough and it is
    the same way round (portrait / landscape) as the upright sensor image; else None (a broken
    preview too: the raw data may still be fine)."""
    rawpy = _rawpy()
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:  # none, or a kind LibRaw cannot hand out
        return None
    sensor = _upright_sensor(raw)
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            image = open_image(io.BytesIO(thumb.data))  # header only so far
        else:
            image = Image.fromarray(np.asarray(thumb.data))
        if not preview_is_enough(image.size, sensor):
            return None
        image = upright_preview(image, raw.sizes.flip).convert("RGB")
    except (OSError, SyntaxError, ValueError, TypeError):  # TypeError: a bitmap Pillow has no mode for
        return None
    turned = image.width != image.height and sensor[0] != sensor[1]
    return None if turned and (image.width > image.height) != (sensor[0] > sensor[1]) else image


def upright_preview(image: Image.Image, flip: int) -> Image.Image:
    """A preview turned as photographers see it: by its own EXIF orientation when it has one other
    than 1 (a preview with a full EXIF block), else by the raw's LibRaw ``flip`` (previews stored
    as the sensor saw them)."""
    own = image.getexif().get(ORIENTATION)
    if own is not None and own != 1:
        return ImageOps.exif_transpose(image)
    return image.transpose(_FLIP[flip]) if flip in _FLIP else image
