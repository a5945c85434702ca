"""The photos of OUT's report as a photographer reviews them: downscaled copies of each original photo,
decoded by ``msdunet.io`` (upright; RAW and HEIC too), made on first request and cached in
``OUT/.thumbs/<size>/`` beside nothing else of OUT's.

A thumbnail is asked for by its row's map (``row.output``), never by a file path: only a photo the
report names is ever read.  Both sizes are made from one decode; a cached file older than its photo
is made again.  When OUT cannot be written the thumbnail is still served, from memory.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from msdunet.detect.report import Row
from msdunet.io import ImageReadError, read_image
from msdunet.io.files import replacing
from msdunet.serve.store import StoreError, load_report

THUMBS_DIR = ".thumbs"
SIZES = {"small": 400, "large": 1600}  # long side in px: the gallery's, the viewer's (overlays are 1600 too)
CROP = "crop"  # the subject at 100 %: a CROP_SIDE square of the full-size photo around the row's subject
CROP_SIDE = 384
JPEG = {"format": "JPEG", "quality": 85}
_DECODES = threading.BoundedSemaphore(2)  # photos decoded at once (a 24 MP photo is ~70 MB as RGB)
_WRITE = threading.Lock()  # one writer at a time: temp names are per process, not per thread


class ThumbError(LookupError):
    """No thumbnail: the row is unknown, has no map, or its photo is gone or unreadable (HTTP 404)."""


class Thumbs:
    """Thumbnails of the photos of ``out``'s report."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = out / THUMBS_DIR
        self._lock = threading.Lock()
        self._key: tuple | None = None  # the report files' mtimes when ``_rows`` was read
        self._rows: dict[str, Row] = {}

    def photo_of(self, output: str) -> Path:
        """The photo of the report row whose map is ``output`` (a path relative to OUT)."""
        row = self._by_map().get(output)
        if row is None or row.error:
            raise ThumbError(f"no photo in the report has the map {output}")
        photo = Path(row.path)
        if not photo.is_file():
            raise ThumbError(f"{row.path}: the photo is no longer there")
        return photo

    def _by_map(self) -> dict[str, Row]:
        """OUT's rows by their map, read again when report.json or report.csv changes."""
        key = tuple(_mtime(self.out / name) for name in ("report.json", "report.csv"))
        with self._lock:
            if key != self._key:
                try:
                    rows = load_report(self.out).rows
                except StoreError as exc:
                    raise ThumbError(str(exc)) from exc
                self._rows = {Path(r.output).as_posix(): r for r in rows if r.output}
                self._key = key
            return self._rows

    def path(self, size: str, output: str) -> Path:
        """Where the ``size`` thumbnail of the row with map ``output`` is cached."""
        name = Path(output).name.removesuffix("_blur.png").removesuffix(".png") + ".jpg"
        return self.root / size / Path(output).parent / name

    def get(self, photo: Path, size: str, output: str) -> Path | bytes:
        """The cached thumbnail's path (made first when missing or older than the photo), or its JPEG
        bytes when OUT cannot be written.  Raises ``ThumbError``."""
        if size not in SIZES and size != CROP:
            raise ThumbError(f"size is one of {', '.join([*SIZES, CROP])}, not {size!r}")
        if self._fresh(photo, size, output):
            return self.path(size, output)
        with _DECODES:
            if self._fresh(photo, size, output):  # made by another request meanwhile
                return self.path(size, output)
            made = _encode_all(photo, _centre(self._by_map().get(output)))
        try:
            with _WRITE:
                for name, data in made.items():
                    target = self.path(name, output)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with replacing(target) as tmp:
                        tmp.write_bytes(data)
        except OSError:
            return made[size]
        return self.path(size, output)

    def _fresh(self, photo: Path, size: str, output: str) -> bool:
        try:
            return self.path(size, output).stat().st_mtime_ns >= photo.stat().st_mtime_ns
        except OSError:
            return False


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _centre(row: Row | None) -> tuple[float, float]:
    """The row's subject (fractions of width and height), the middle when it has none."""
    if row is None or row.subject_x is None or row.subject_y is None:
        return 0.5, 0.5
    return row.subject_x, row.subject_y


def crop_at(image: Image.Image, centre: tuple[float, float], side: int = CROP_SIDE) -> Image.Image:
    """A ``side`` square of ``image`` at 100 % around ``centre`` (fractions), kept inside the image."""
    w, h = min(side, image.width), min(side, image.height)
    x = min(max(0, round(centre[0] * image.width - w / 2)), image.width - w)
    y = min(max(0, round(centre[1] * image.height - h / 2)), image.height - h)
    return image.crop((x, y, x + w, y + h))


def _encode_all(photo: Path, centre: tuple[float, float]) -> dict[str, bytes]:
    """JPEG bytes of the subject's 100 % crop and of every size from one decode, largest first (each
    made from the one before)."""
    try:
        image = read_image(photo)
    except ImageReadError as exc:
        raise ThumbError(str(exc)) from exc
    buffer = io.BytesIO()
    crop_at(image, centre).save(buffer, format="JPEG", quality=92)
    made = {CROP: buffer.getvalue()}
    for name, side in sorted(SIZES.items(), key=lambda item: -item[1]):
        image = scaled(image, side)
        buffer = io.BytesIO()
        image.save(buffer, **JPEG)
        made[name] = buffer.getvalue()
    return made


def scaled(image: Image.Image, side: int) -> Image.Image:
    """``image`` with its long side at most ``side`` px, aspect kept."""
    scale = min(1.0, side / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image if size == image.size else image.resize(size, Image.LANCZOS, reducing_gap=3.0)


def urls(row: Row) -> dict[str, str | None]:
    """``thumb_url`` (gallery), ``photo_url`` (viewer) and ``crop_url`` (the subject at 100 %) of a
    report row whose photo is there."""
    if row.error or not row.output or not Path(row.path).is_file():
        return {"thumb_url": None, "photo_url": None, "crop_url": None}
    rel = quote(Path(row.output).as_posix())
    return {
        "thumb_url": f"/thumbs/small/{rel}", "photo_url": f"/thumbs/large/{rel}", "crop_url": f"/thumbs/{CROP}/{rel}",
    }  # fmt: skip
