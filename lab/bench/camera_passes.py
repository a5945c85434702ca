"""The simple passes ``python -m lab camera_folder`` times detect against, each one process over a folder:

    python -m lab.bench.camera_passes laplacian DIR   # what simple culling tools compute
    python -m lab.bench.camera_passes decode DIR      # a bare full-size decode, nothing else

``laplacian``: per photo, the grey decode and the variance of ``cv2.Laplacian`` (CV_64F), printed; a
JPEG through ``cv2.imread(IMREAD_GRAYSCALE)`` (EXIF orientation applied), a HEIC through Pillow +
pillow-heif (OpenCV reads no HEIC), a RAW's embedded preview through rawpy + ``cv2.imdecode``.
``decode``: Pillow's full-size decode to RGB (pillow-heif for HEIC, the preview for RAW), dropped.
Photos in file-name order, one after another, as a plain script does it.
"""

from __future__ import annotations

import sys
from pathlib import Path

RAW = {".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2"}
HEIF = {".heic", ".heif"}


def _grey(path: Path):
    import cv2
    import numpy as np

    suffix = path.suffix.lower()
    if suffix in RAW:
        import rawpy

        with rawpy.imread(str(path)) as raw:
            data = raw.extract_thumb().data
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if suffix in HEIF:
        return np.asarray(_pillow(path).convert("L"))
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


def _pillow(path: Path):
    from PIL import Image

    suffix = path.suffix.lower()
    if suffix in HEIF:
        import pillow_heif

        pillow_heif.register_heif_opener()
    if suffix in RAW:
        import io

        import rawpy

        with rawpy.imread(str(path)) as raw:
            return Image.open(io.BytesIO(raw.extract_thumb().data))
    return Image.open(path)


def laplacian(paths: list[Path]) -> None:
    import cv2

    for path in paths:
        print(f"{path.name}\t{cv2.Laplacian(_grey(path), cv2.CV_64F).var():.2f}")


def decode(paths: list[Path]) -> None:
    for path in paths:
        image = _pillow(path).convert("RGB")
        print(f"{path.name}\t{image.width}x{image.height}")


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in RAW | HEIF | {".jpg", ".jpeg"})


def main() -> None:
    verb, folder = sys.argv[1], Path(sys.argv[2])
    {"laplacian": laplacian, "decode": decode}[verb](photos(folder))


if __name__ == "__main__":
    main()
