"""What makes two photos shots of one burst: when each was taken, and how alike they look.

* ``capture_time``: EXIF ``DateTimeOriginal`` with ``SubSecTimeOriginal`` (bursts shoot several frames
  a second), in seconds; None when the file has none (then cull goes by file order).
* ``Look``: a 32 × 32 colour thumbnail, blurred (σ = 1 thumbnail px), as luma and two colour
  differences (weighted ``CHROMA_WEIGHT`` times: where the colours are tells scenes apart better than
  where the light is), each centred, and the photo's aspect ratio.  ``similarity`` is the best
  normalised cross-correlation of the two thumbnails over shifts of up to 6 px (19 % of the frame)
  either way: shots of one scene re-framed by a hand-held camera, or one of them smeared by shake or
  missed focus, or with another white balance, still correlate; different scenes seldom do.  Photos of
  different aspect ratios are never alike (a burst is one camera at one setting).  Measured against
  grey thumbnails, no shifts and imagehash's 64-bit perceptual hashes (``python -m lab bursts_study``,
  reports/bursts.md): on the real three-shot scenes its AUC is 1.000, the hashes' 0.73–0.96 (they
  do not survive re-framing); random pairs of different photos score ≥ 0.7 in 0.5 % of cases (grey
  thumbnails: 8.9 %).

Thumbnails are cheap: a camera JPEG's own EXIF thumbnail (~160 × 120, letterbox bars cut off) when it
has one, ~1 ms; else the JPEG decoded at 1/8 of its size (Pillow's draft mode), ~45 ms for 24 MP.
A HEIF/HEIC photo's own thumbnail likewise (~2–12 ms, against 0.2–0.4 s to decode 12 MP); camera RAW
photos, and HEIF ones without a thumbnail, go through ``msdunet.io.read_image`` (the RAW's preview, or
a full decode).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import ExifTags, Image
from scipy import ndimage

from msdunet.io import formats as io_formats
from msdunet.io import read_image

SIDE = 32  # thumbnail side, px
SHIFT = 6  # largest shift tried, thumbnail px either way
SOFTEN = 1.0  # Gaussian σ on the thumbnail, px: shake and defocus of a few % of the frame matter little
CHROMA_WEIGHT = 3.0  # of the colour differences (B − Y, R − Y) against luma Y
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
ASPECT_TOLERANCE = 0.02  # aspect ratios further apart than this (log ratio) are different framings
_EXIF_IFD, _TAKEN, _SUBSEC, _ORIENTATION = 0x8769, 0x9003, 0x9291, 0x0112
_THUMB_OFFSET, _THUMB_LENGTH = 0x0201, 0x0202  # IFD1: the EXIF thumbnail's JPEG bytes
SMALLEST_THUMBNAIL = 64  # px, long side: a smaller EXIF thumbnail is not used


@dataclass(frozen=True)
class Look:
    """A photo's thumbnail (standardised, SIDE × SIDE) and aspect ratio (width / height, upright)."""

    thumb: np.ndarray
    aspect: float


def capture_time(path: Path) -> float | None:
    """Seconds of EXIF DateTimeOriginal (+ SubSecTimeOriginal), or None (no EXIF time, or unreadable)."""
    if io_formats.is_raw(path):
        return None
    try:
        if io_formats.is_heif(path):
            io_formats.enable_heif()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                exif = image.getexif().get_ifd(_EXIF_IFD)
    except Exception:  # noqa: BLE001 (anything unreadable simply has no time)
        return None
    return parse_exif_time(exif.get(_TAKEN), exif.get(_SUBSEC))


def parse_exif_time(text: object, subsec: object = None) -> float | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (+ fractional digits) → seconds; None when blank or invalid."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    seconds = moment.replace(tzinfo=timezone.utc).timestamp()
    digits = subsec.strip("\x00 ") if isinstance(subsec, str) else ""
    return seconds + (float("0." + digits) if digits.isdigit() else 0.0)


def look_of(path: Path) -> Look:
    """The ``Look`` of the photo at ``path``; raises OSError / ValueError (msdunet.io.ImageReadError)
    when it cannot be read."""
    if io_formats.is_heif(path):
        found = heif_thumbnail(path)
        return look_of_image(read_image(path)) if found is None else found
    if io_formats.is_raw(path):
        return look_of_image(read_image(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            exif = image.getexif()
            orientation = exif.get(_ORIENTATION, 1)
            small = exif_thumbnail(image, exif)
            aspect = image.width / max(image.height, 1)
            if small is None:
                image.draft("RGB", (4 * SIDE, 4 * SIDE))  # JPEG: decoded at 1/2 … 1/8 of its size
                small = image.convert("RGB")
    upright = 1 / aspect if orientation in (5, 6, 7, 8) else aspect
    return look_of_image(io_formats.orient(small, orientation), aspect=upright)


def heif_thumbnail(path: Path) -> Look | None:
    """The ``Look`` of a HEIF/HEIC photo's own thumbnail (phones store one of 320–512 px), turned as
    ``msdunet.io`` turns the photo; None when it has none (or pillow-heif is missing)."""
    if not io_formats.enable_heif():
        return None
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
        boxes = heif.info.get("thumbnails") or []
        if not boxes or max(boxes) < SMALLEST_THUMBNAIL:
            return None
        thumb = heif[heif.primary_index].get_thumbnail(boxes.index(max(boxes))).to_pillow().convert("RGB")
        with Image.open(path) as image:
            turn = io_formats.heif_orientation(image, path)  # 1 unless libheif leaves the photo sideways
            aspect = image.width / max(image.height, 1)
    except Exception:  # noqa: BLE001 (a thumbnail that cannot be read: decode the photo instead)
        return None
    upright = 1 / aspect if turn in (5, 6, 7, 8) else aspect
    return look_of_image(io_formats.orient(thumb, turn), aspect=upright)


def exif_thumbnail(image: Image.Image, exif: Image.Exif) -> Image.Image | None:
    """The EXIF thumbnail of an opened JPEG (RGB, cropped to the photo's aspect ratio: some cameras pad
    it with black bars), or None when there is none large enough or it cannot be decoded."""
    ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    offset, length = ifd1.get(_THUMB_OFFSET), ifd1.get(_THUMB_LENGTH)
    raw = image.info.get("exif")
    if not isinstance(offset, int) or not isinstance(length, int) or not isinstance(raw, bytes):
        return None
    start = 6 if raw.startswith(b"Exif\x00\x00") else 0  # offsets count from the TIFF header
    try:
        thumb = Image.open(io.BytesIO(raw[start + offset : start + offset + length]))
        thumb = thumb.convert("RGB")
    except Exception:  # noqa: BLE001 (a broken thumbnail: decode the photo instead)
        return None
    if max(thumb.size) < SMALLEST_THUMBNAIL:
        return None
    width, height = thumb.size
    want = image.width / image.height
    if width / height > want * (1 + ASPECT_TOLERANCE):  # bars left and right
        cut = round((width - height * want) / 2)
        return thumb.crop((cut, 0, width - cut, height))
    if width / height < want / (1 + ASPECT_TOLERANCE):  # bars above and below
        cut = round((height - width / want) / 2)
        return thumb.crop((0, cut, width, height - cut))
    return thumb


def look_of_image(image: Image.Image, *, aspect: float | None = None) -> Look:
    """The ``Look`` of a decoded, upright image (any mode); ``aspect``: the photo's, when ``image`` is
    a thumbnail of it."""
    width, height = image.size
    small = image.convert("RGB").resize((SIDE, SIDE), Image.BOX)
    rgb = ndimage.gaussian_filter(np.asarray(small, dtype=np.float32), (SOFTEN, SOFTEN, 0), mode="nearest")
    luma = rgb @ _LUMA
    chroma = [CHROMA_WEIGHT * (rgb[..., 2] - luma), CHROMA_WEIGHT * (rgb[..., 0] - luma)]
    thumb = np.stack([luma, *chroma], axis=-1)
    thumb -= thumb.mean(axis=(0, 1))
    spread = float(np.sqrt((thumb * thumb).mean()))
    thumb = thumb / spread if spread > 1e-3 else np.zeros_like(thumb)
    return Look(thumb=thumb.astype(np.float32), aspect=aspect or width / max(height, 1))


def similarity(a: Look, b: Look) -> float:
    """How alike two photos look, −1 … 1 (see the module's docstring); 0 for different aspect ratios
    or a featureless thumbnail."""
    if abs(math.log(a.aspect / b.aspect)) > ASPECT_TOLERANCE:
        return 0.0
    return max(_match(a.thumb, b.thumb), _match(b.thumb, a.thumb))


def _match(a: np.ndarray, b: np.ndarray) -> float:
    """Best correlation of ``a``'s centre (SIDE − 2·SHIFT square, every channel) with every window of ``b``."""
    inner = a[SHIFT:-SHIFT, SHIFT:-SHIFT]
    inner = inner - inner.mean(axis=(0, 1))
    norm = float(np.sqrt((inner * inner).sum()))
    if norm < 1e-6:
        return 0.0
    windows = sliding_window_view(b, inner.shape[:2], axis=(0, 1))  # (2·SHIFT+1, 2·SHIFT+1, channel, h, w)
    centred = windows - windows.mean(axis=(3, 4), keepdims=True)
    spread = np.sqrt((centred * centred).sum(axis=(2, 3, 4)))
    products = np.einsum("ijckl,klc->ij", windows, inner)  # inner has zero mean: the window's mean drops out
    scores = products / np.maximum(spread * norm, 1e-6)
    return float(scores.max())
