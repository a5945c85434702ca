"""Writing a file so that it is always whole: a temp file beside it, renamed over it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_beside(path: Path) -> Path:
    """A temp name in ``path``'s folder, hidden (scans pass over it) and this process's own."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temp file beside ``path`` to write; renamed over ``path`` when the block ends (atomic on one
    file system), removed when it fails, so ``path`` is always whole: the old file or the new one."""
    tmp = temp_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
