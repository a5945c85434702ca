"""What the web app reads and writes in a detect output folder: its report rows, the files it may
serve, and the picks of a review (``picks.csv``, the file ``msdunet cull`` reads: ``msdunet.cull.picks``).

Nothing outside the folder is ever served: a requested path is resolved (symlinks followed, ``..``
collapsed) and must still lie inside the folder, be a regular file, and be a map or an overlay.
"""

from __future__ import annotations

import threading
from pathlib import Path

from msdunet.cull.picks import PICK_VALUES, PICKS_NAME, PicksError, read_picks, write_picks
from msdunet.detect.report import Report, ReportError, read_report

SERVED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})  # maps and overlays; never the report or picks


class StoreError(ValueError):
    """A report or picks file that cannot be read; the message names the file and the problem."""


def inside(root: Path, rel: str) -> Path | None:
    """``root/rel`` when it is a regular map/overlay file inside ``root`` after resolving symlinks
    and ``..``; None otherwise (the caller answers 404 either way, so nothing is revealed)."""
    if not rel or "\x00" in rel or "\\" in rel:
        return None
    base = root.resolve()
    try:
        path = (base / rel).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    if not path.is_relative_to(base) or path == base or path.suffix.lower() not in SERVED_SUFFIXES:
        return None
    return path if path.is_file() else None


def load_report(out: Path) -> Report:
    """``batch.read_report``, its error as a ``StoreError``."""
    try:
        return read_report(out)
    except ReportError as exc:
        raise StoreError(str(exc)) from exc


class Picks:
    """``OUT/picks.csv``, rewritten whole on each change (temp file + rename, so a reader never sees
    half a file); one writer at a time."""

    def __init__(self, out: Path) -> None:
        self.path = out / PICKS_NAME
        self.lock = threading.Lock()
        try:
            self.picks = read_picks(self.path)
        except PicksError as exc:
            raise StoreError(str(exc)) from exc

    def set(self, path: str, pick: str | None) -> dict[str, str]:
        """Record ``pick`` (``pick``/``reject``) for ``path``, or forget it (None); returns all picks."""
        if pick is not None and pick not in PICK_VALUES:
            raise ValueError(f"pick is one of {', '.join(PICK_VALUES)} (or null to clear), not {pick!r}")
        with self.lock:
            if pick is None:
                self.picks.pop(path, None)
            else:
                self.picks[path] = pick
            write_picks(self.path, self.picks)
            return dict(self.picks)
