"""The picks of a review: ``OUT/picks.csv``, written by the web app (``msdunet serve``), read by
``msdunet cull`` (picked photos go to ``picked/``, rejected ones to ``rejected/``).

Columns ``path,pick`` (others are ignored): ``path`` as in the report, ``pick`` is ``pick``, ``reject``
or blank (no pick; case and spaces do not matter).  Written whole through a temp file and a rename,
so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from msdunet.io.files import replacing

PICKS_NAME = "picks.csv"
PICK_VALUES = ("pick", "reject")


class PicksError(ValueError):
    """A picks file that cannot be used; the message names the file (and the line) and the problem."""


def read_picks(path: Path) -> dict[str, str]:
    """path → ``pick`` / ``reject`` from a picks file ({} when there is none); blank picks are left out."""
    if not path.is_file():
        return {}
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"path", "pick"} <= {n.strip() for n in reader.fieldnames}:
                raise PicksError(f"{path}: needs the columns path and pick, found {reader.fieldnames}")
            reader.fieldnames = [n.strip() for n in reader.fieldnames]
            picks = {}
            for line, row in enumerate(reader, start=2):
                value = (row["pick"] or "").strip().lower()
                if value not in ("", *PICK_VALUES):
                    raise PicksError(f"{path}, line {line}: pick is 'pick', 'reject' or empty, not {row['pick']!r}")
                if value:
                    picks[row["path"]] = value
            return picks
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PicksError(f"{path}: cannot read ({exc})") from exc


def write_picks(path: Path, picks: Mapping[str, str]) -> None:
    """Replace the picks file with ``picks`` (path → ``pick`` / ``reject``)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["path", "pick"])
    writer.writerows(picks.items())
    with replacing(path) as tmp:
        tmp.write_text(text.getvalue(), newline="")
