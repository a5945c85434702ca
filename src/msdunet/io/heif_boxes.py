"""The few ISO-BMFF boxes of a HEIF file that ``msdunet.io.formats`` needs to know about: whether the
file turns its image itself (an ``irot`` or ``imir`` property, which libheif applies)."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path

_MAX_META = 1 << 24  # bytes of a ``meta`` box read (real ones: a few KB)


def heif_turns_itself(path: Path) -> bool:
    """True when a HEIF file has an ``irot`` or ``imir`` property (which libheif applies), or when its
    boxes cannot be read (then libheif's image is taken as it is)."""
    try:
        meta = _meta_box(path)
    except (OSError, struct.error):
        return True
    ipco = _child(meta, 4, len(meta), (b"iprp", b"ipco"))  # meta is a full box: 4 bytes version, flags
    if ipco is None:
        return True
    return any(kind in (b"irot", b"imir") for kind, _, _ in _boxes(meta, *ipco))


def _meta_box(path: Path) -> bytes:
    """The body of a HEIF file's top-level ``meta`` box (b"" when there is none)."""
    with open(path, "rb") as f:
        while len(head := f.read(8)) == 8:
            size, kind = struct.unpack(">I4s", head)
            body = struct.unpack(">Q", f.read(8))[0] - 16 if size == 1 else size - 8
            if kind == b"meta":
                return f.read(min(body, _MAX_META) if size else _MAX_META)
            if size == 0 or body < 0:
                break
            f.seek(body, io.SEEK_CUR)
    return b""


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of the ISO-BMFF boxes in ``data[start:end]``."""
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        head = 8
        if size == 1 and start + 16 <= end:
            size, head = struct.unpack_from(">Q", data, start + 8)[0], 16
        elif size == 0:
            size = end - start
        if size < head:
            return
        yield kind, start + head, min(start + size, end)
        start += size


def _child(data: bytes, start: int, end: int, path: tuple[bytes, ...]) -> tuple[int, int] | None:
    """(body start, body end) of the box reached by the box types of ``path``, or None."""
    for kind, body, stop in _boxes(data, start, end):
        if kind == path[0]:
            return (body, stop) if len(path) == 1 else _child(data, body, stop, path[1:])
    return None
