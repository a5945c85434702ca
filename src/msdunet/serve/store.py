"""What the web app reads and writes in a detect output folder: its report rows, the files it may
serve, and the picks of a review (``picks.csv``, the file ``msdunet cull`` reads: ``msdunet.batch.picks``).

Nothing outside the folder is ever served: a requested path is resolved (symlinks followed, ``..``
collapsed) and must still lie inside the folder, be a regular file, and be a map or an overlay.
"""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import get_type_hints

from msdunet.batch import FIELDS, Row
from msdunet.batch.picks import PICK_VALUES, PICKS_NAME, PicksError, read_picks, write_picks

SERVED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})  # maps and overlays; never the report or picks


class StoreError(ValueError):
    """A report or picks file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    threshold: float  # P(blurred) at which detect counted a pixel blurred (report.json; 0.5 if unknown)
    source: str  # the file the rows came from (report.json or report.csv), "" when there is none


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


_TYPES = get_type_hints(Row)


def _typed(name: str, text: str):
    """A report.csv cell back to the type report.json has."""
    kind = _TYPES[name]
    if kind is bool:
        return text == "True"
    if kind is str:
        return text
    if text == "":
        return None
    return int(text) if "int" in str(kind) else float(text)


def _row(values: dict) -> Row:
    return Row(**{f.name: values[f.name] for f in fields(Row) if f.name in values})


def load_report(out: Path) -> Report:
    """The rows of ``out``: report.json when it is at least as new as report.csv (detect writes the
    JSON at the end, the CSV row by row, so during a run the CSV is the fresher one)."""
    js, cs = out / "report.json", out / "report.csv"
    use_json = js.is_file() and (not cs.is_file() or js.stat().st_mtime >= cs.stat().st_mtime)
    try:
        if use_json:
            data = json.loads(js.read_text())
            rows = [_row(r) for r in data["rows"]]
            return Report(rows, float(data.get("threshold", 0.5)), str(js))
        if cs.is_file():
            with open(cs, newline="") as f:
                rows = [_row({k: _typed(k, v) for k, v in r.items() if k in FIELDS}) for r in csv.DictReader(f)]
            return Report(rows, 0.5, str(cs))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{js if use_json else cs}: not a report msdunet detect wrote ({exc})") from exc
    return Report([], 0.5, "")


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
