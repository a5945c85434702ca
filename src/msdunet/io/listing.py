"""Finding photos in folders: a file is a photo by its extension (RAW and HEIC included, so that
one that cannot be read is reported, not skipped) or by its first bytes; other files are only counted."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from msdunet.io.formats import HEIF_EXTENSIONS, RAW_EXTENSIONS, heif_head

# First bytes of the formats Pillow reads that people keep photos in.
_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",  # BMP
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"RIFF",  # WebP (checked further below)
    b"P5",
    b"P6",  # PGM/PPM
)
# A file with one of these extensions is a photo even when Pillow cannot read it (it gets a row).
_PLAIN = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
PHOTO_EXTENSIONS = frozenset(_PLAIN) | HEIF_EXTENSIONS | RAW_EXTENSIONS


def looks_like_image(path: str | os.PathLike) -> bool:
    """True when the file's first bytes match an image format (extension ignored)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    if head.startswith(b"RIFF"):
        return head[8:12] == b"WEBP"
    return head.startswith(_SIGNATURES) or heif_head(head)


def looks_like_photo(path: str | os.PathLike) -> bool:
    """True for a photo's extension (readable or not) or an image's first bytes."""
    return Path(path).suffix.lower() in PHOTO_EXTENSIONS or looks_like_image(path)


@dataclass(frozen=True)
class Found:
    """An input and its place in the output tree: ``rel`` is its path relative to the folder
    argument it was found in, or its name when it was named directly.  A remote input (the Ray
    engine's ``s3://...``) has its ``uri``, and ``path`` is the URI's path part."""

    path: Path
    rel: Path
    uri: str | None = None

    @property
    def label(self) -> str:
        """The input as the report names it: its URI, else its path."""
        return self.uri or str(self.path)


@dataclass
class Scan:
    """What the arguments hold: photos in order, how many other files were passed over, and the
    arguments that do not exist."""

    inputs: list[Found] = field(default_factory=list)
    skipped: int = 0
    missing: list[Path | str] = field(default_factory=list)  # str: a URI


def _folder(folder: Path, recursive: bool, exclude: Path | None) -> Iterator[tuple[Path, bool]]:
    """(file, is a photo) in sorted order, leaving out a subfolder ``exclude`` (resolved)."""
    top = folder.resolve()
    inside = exclude is not None and exclude != top and exclude.is_relative_to(top)
    skip = exclude.relative_to(top).parts if inside else None
    for child in sorted(folder.glob("**/*" if recursive else "*")):
        if child.is_file() and child.relative_to(folder).parts[: len(skip or ())] != skip:
            yield child, looks_like_photo(child)


def scan_inputs(
    inputs: Iterable[str | os.PathLike], *, recursive: bool = False, exclude: str | os.PathLike | None = None
) -> Scan:
    """Photos in the arguments: files named directly as they are (a bad one gets its row later),
    folders searched (``recursive``: subfolders too) with ``exclude`` (the output folder) left out."""
    scan = Scan()
    skip = Path(exclude).resolve() if exclude is not None else None
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            for child, photo in _folder(path, recursive, skip):
                if photo:
                    scan.inputs.append(Found(child, child.relative_to(path)))
                else:
                    scan.skipped += 1
        elif path.exists():
            scan.inputs.append(Found(path, Path(path.name)))
        else:
            scan.missing.append(path)
    return scan


def find_images(inputs: Iterable[str | os.PathLike], recursive: bool = False) -> Iterator[Path]:
    """Files given directly are yielded as they are (a bad or missing one is reported later, by
    name); folders are searched for photos (``looks_like_photo``), in sorted order."""
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            yield from (child for child, photo in _folder(path, recursive, None) if photo)
        else:
            yield path
