"""Photos sent to ``POST /api/detect``: each gets a folder of its own under the uploads folder with
the map and overlay ``msdunet detect`` would write (``detect.detect_photo``: the same row for the same
photo); the uploaded file itself is deleted once its map is made."""

from __future__ import annotations

import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import BinaryIO

from PIL import UnidentifiedImageError

from msdunet.detect import Row, Target, detect_photo, plan_outputs
from msdunet.detect.step import write
from msdunet.io import Found, ImageReadError, looks_like_photo

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class NotAnImage(ValueError):
    """The upload is not a photo this server can read (HTTP 415)."""


def safe_name(filename: str | None) -> str:
    """The upload's base name reduced to letters, digits, ``._-`` (at most 100 characters), so that
    it can name files; ``upload`` when nothing is left."""
    base = re.split(r"[\\/]", filename or "")[-1]
    name = _UNSAFE.sub("_", base).strip("._")[-100:]
    return name or "upload"


class Uploads:
    """Runs the detector on uploads, one at a time (the network already uses every core)."""

    def __init__(self, folder: Path, detector, *, threshold: float) -> None:
        self.folder = folder
        self.detector = detector
        self.threshold = threshold
        self.lock = threading.Lock()

    def detect(self, stream: BinaryIO, filename: str | None) -> tuple[Row, Target]:
        """The row of an uploaded photo (path = its sanitised name; output relative to the uploads
        folder) and its files' targets, relative to the uploads folder.  Raises ``NotAnImage`` or
        ``ImageReadError`` (a photo that is corrupt, truncated or too large), naming the upload."""
        name = safe_name(filename)
        key = uuid.uuid4().hex[:16]
        home = self.folder / key
        home.mkdir(parents=True)
        photo = home / name
        try:
            with open(photo, "wb") as f:
                shutil.copyfileobj(stream, f, 1 << 20)
            if photo.stat().st_size == 0:
                raise NotAnImage(f"{name}: the file is empty")
            if not looks_like_photo(photo):
                raise NotAnImage(f"{name}: not an image (send a JPEG, PNG, TIFF, WebP, ... photo)")
            (target,) = plan_outputs([Found(photo, Path(name))])
            try:
                with self.lock:
                    detected = detect_photo(self.detector, photo, label=name, threshold=self.threshold)
                row = write(home, target, detected)
            except ImageReadError as exc:
                if isinstance(exc.__cause__, UnidentifiedImageError):
                    raise NotAnImage(f"{name}: {exc.problem}") from exc
                raise ImageReadError(name, exc.problem) from exc
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise
        finally:
            photo.unlink(missing_ok=True)
        row.output = f"{key}/{row.output}"
        return row, Target(Path(key) / target.map, Path(key) / target.overlay)
