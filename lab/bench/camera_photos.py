"""Folders of camera-size photos for ``python -m lab camera_folder``, made once into ``cache/``.

* ``jpeg``: 20 JPEGs of 24 MP (6000 × 4000 or 4000 × 6000), quality 92, from the four real 12 MP phone
  HEICs of ``realworld/`` (``mde_heic``, ``photoprism_formats``; decoded upright), five each: the whole
  photo, the same mirrored, a 3:2 crop of its top and one of its bottom (landscape), and the whole photo
  blurred by a Gaussian of σ = 6 px (a missed focus, so the judgement's halved passes run too); each
  scaled to 24 MP (Lanczos).  The portrait ones are stored as cameras store them: landscape pixels and
  EXIF orientation 6, so that reading them turns 24 MP.
* ``heic``: the four real 12 MP HEICs as they are, five copies each (20 files).
* ``raw``: the realworld Canon EOS 6D DNG (a lossy LinearRaw DNG whose embedded preview is what is
  read), 20 copies.  The only decodable RAW at hand; its preview is 1024 × 683, so this folder
  measures per-file overhead, not pixels.
* For memory: ``long``, the 20 JPEGs three times each (60 symbolic links), and ``large``, the four
  whole photos at 48 MP (8000 × 6000, Lanczos), JPEG q92.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageFilter

from lab import ROOT
from msdunet.data.sources import data_root
from msdunet.io import image_size, read_image

HEICS = (
    "mde_heic/samsung_SM-G975F_issue487.heic",
    "mde_heic/iphone11pro_IMG_2929.HEIC",
    "photoprism_formats/iphone_15_pro.heic",
    "photoprism_formats/iphone_7.heic",
)
DNG = "photoprism_formats/canon_eos_6d.dng"
LONG, SHORT = 6000, 4000
QUALITY = 92
DEFOCUS_SIGMA = 6
COPIES = 5
FOLDERS = ("jpeg", "heic", "raw", "long", "large")
LARGE = (8000, 6000)
ORIENTATION = 0x0112


def folder(kind: str, *, data: Path | None = None) -> Path:
    """``cache/camera_folder/KIND``, made when missing (a finished folder has a ``KIND.done`` mark
    beside it)."""
    where = ROOT / "cache" / "camera_folder" / kind
    done = where.with_suffix(".done")
    if done.is_file():
        return where
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    realworld = data_root(data) / "realworld"
    if kind == "jpeg":
        _make_jpegs(realworld, where)
    elif kind == "long":
        for photo in sorted(folder("jpeg", data=data).iterdir()):
            for copy in range(3):
                (where / f"{photo.stem}_{copy}.jpg").symlink_to(photo)
    elif kind == "large":
        for i, name in enumerate(HEICS):
            _save(_scaled(read_image(realworld / name), LARGE), where / f"{i:02d}_whole.jpg")
    elif kind in ("heic", "raw"):
        sources = [realworld / name for name in HEICS] if kind == "heic" else [realworld / DNG]
        for i, source in enumerate(sources):
            for copy in range(COPIES * 4 // len(sources)):
                shutil.copyfile(source, where / f"{i:02d}_{copy:02d}{source.suffix.lower()}")
    else:
        raise ValueError(f"folder kinds: {', '.join(FOLDERS)}")
    done.write_text("")
    return where


def _make_jpegs(realworld: Path, where: Path) -> None:
    for i, name in enumerate(HEICS):
        photo = read_image(realworld / name)
        for label, image in _variants(photo):
            _save(image, where / f"{i:02d}_{label}.jpg")


def _variants(photo: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """The five 24 MP photos made from one 12 MP photo (see the module's docstring)."""
    whole = _scaled(photo)
    yield "whole", whole
    yield "mirrored", whole.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    width, height = photo.size
    band = min(height, width * SHORT // LONG) if height > width else height
    crop_w = width if height > width else band * LONG // SHORT
    yield "top", _scaled(photo.crop((0, 0, crop_w, band)))
    yield "bottom", _scaled(photo.crop((0, height - band, crop_w, height)))
    yield "defocus", whole.filter(ImageFilter.GaussianBlur(DEFOCUS_SIGMA))


def _scaled(image: Image.Image, size: tuple[int, int] = (LONG, SHORT)) -> Image.Image:
    """``image`` at ``size`` (long, short), turned to its own orientation."""
    long, short = size
    return image.resize((long, short) if image.width >= image.height else (short, long), Image.Resampling.LANCZOS)


def _save(image: Image.Image, path: Path) -> None:
    """As a camera saves it: a portrait photo as landscape pixels with EXIF orientation 6."""
    exif = Image.Exif()
    if image.height > image.width:
        image = image.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back (270°)
        exif[ORIENTATION] = 6
    image.save(path, quality=QUALITY, exif=exif.tobytes())


def describe(path: Path) -> dict:
    """Count, total MB and sizes of a folder's photos."""
    files = sorted(path.iterdir())
    sizes = sorted({image_size(p) for p in files})
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1), "sizes": sizes}
