"""Bursts: near-duplicate shots grouped, each group ranked sharpest first (``msdunet cull --bursts``).

Photos are put in sequence: those with an EXIF capture time (``likeness.capture_time``) by time,
those without by file order (folder, then name), the two never mixed.  Walking a sequence, a photo
joins the group before it when

* it was taken at most ``gap`` seconds after the previous photo (photos without a time: it is the
  next file), and
* it looks like one of that group's last ``COMPARED`` photos (``likeness.similarity`` at least
  ``similar_from``): a burst may drift as the camera pans, each shot still like the one before;

otherwise it starts a new group.  Each group is ranked by the subject's blur (``subject_blur_px`` of
the detect report, ``msdunet.focus``): rank 1 is the sharpest, photos without a blur value (no
texture) come last.  Sharp subjects often tie at 0 px (the measurement's floor): a tie goes to the
larger ``sharp_share`` (more of the frame sharp), then to the sequence's order.  A photo that cannot
be read is a group of its own.  The threshold is chosen on synthetic bursts of benchmark photos, the
real three-shot scenes of ``realworld/mxagar_blur300`` and random pairs of different DUT photos
(``python -m lab bursts_study``, reports/bursts.md).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from msdunet.cull import likeness
from msdunet.cull.likeness import Look
from msdunet.io.files import replacing

BURSTS_NAME = "bursts.csv"
COLUMNS = ("path", "group", "rank", "subject_blur_px", "sharp_share")
GAP_S = 2.0  # default largest time between two shots of one burst, s
# likeness.similarity from which two photos look alike: the lowest real alike pair scores 0.78, random
# pairs of different photos reach 0.7 in 0.5 % of cases (reports/bursts.md)
SIMILAR_FROM = 0.7
COMPARED = 4  # a photo is compared with this many of its group's latest members


@dataclass(frozen=True)
class Shot:
    """One photo as the grouping sees it."""

    path: str  # as the report names it
    subject_blur_px: float | None
    sharp_share: float | None = None  # breaks ties of subject_blur_px
    taken: float | None = None  # seconds (EXIF), None: go by file order
    look: Look | None = None  # None: unreadable, a group of its own
    shaken: bool = False  # the streak score rejected it (its subject_blur_px reads the streak short)


@dataclass(frozen=True)
class Ranked:
    """One row of bursts.csv: a photo, its group (1, 2, ... in sequence order) and its rank in it."""

    path: str
    group: int
    rank: int
    subject_blur_px: float | None
    sharp_share: float | None


@dataclass(frozen=True)
class Bursts:
    rows: list[Ranked]  # every photo, by group then rank
    unread: list[tuple[str, str]]  # (path, why) of photos that could not be read: each alone

    @property
    def similar(self) -> set[str]:
        """Paths of the photos that are not the sharpest of their group."""
        return {row.path for row in self.rows if row.rank > 1}

    @property
    def groups(self) -> int:
        """Groups of two shots or more."""
        sizes: dict[int, int] = {}
        for row in self.rows:
            sizes[row.group] = sizes.get(row.group, 0) + 1
        return sum(1 for n in sizes.values() if n > 1)


def read_shots(
    photos: Sequence[Shot],
    *,
    workers: int | None = None,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[Shot], list[tuple[str, str]]]:
    """``photos`` with their capture time and look, read in a few threads (JPEG decoding runs
    outside the GIL); also (path, why) of those that could not be read."""

    def one(shot: Shot) -> tuple[Shot, str]:
        problem, look = "", None
        try:
            look = likeness.look_of(Path(shot.path))
        except Exception as exc:  # noqa: BLE001 (any unreadable photo is left alone, and said)
            problem = str(exc) or type(exc).__name__
        if on_done:
            on_done()
        taken = likeness.capture_time(Path(shot.path)) if look else None
        return replace(shot, taken=taken, look=look), problem

    with ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1)) as pool:
        done = list(pool.map(one, photos))
    return [shot for shot, _ in done], [(shot.path, why) for shot, why in done if why]


def sequences(shots: Sequence[Shot]) -> list[list[int]]:
    """Indices of ``shots`` in the orders they are walked: by time, then by file order."""
    timed = [i for i, s in enumerate(shots) if s.taken is not None]
    untimed = [i for i, s in enumerate(shots) if s.taken is None]
    timed.sort(key=lambda i: (shots[i].taken, _file_order(shots[i].path)))
    untimed.sort(key=lambda i: _file_order(shots[i].path))
    return [timed, untimed]


def _file_order(path: str) -> tuple[str, str]:
    p = Path(path)
    return (str(p.parent), p.name)


def group_shots(shots: Sequence[Shot], *, gap: float = GAP_S, similar_from: float = SIMILAR_FROM) -> list[list[int]]:
    """Groups of indices into ``shots``, each in sequence order (see the module's docstring)."""
    groups: list[list[int]] = []
    for order in sequences(shots):
        current: list[int] = []
        for i in order:
            if current and _joins(shots, current, i, gap=gap, similar_from=similar_from):
                current.append(i)
                continue
            if current:
                groups.append(current)
            current = [i]
        if current:
            groups.append(current)
    return groups


def _joins(shots: Sequence[Shot], group: list[int], i: int, *, gap: float, similar_from: float) -> bool:
    shot, last = shots[i], shots[group[-1]]
    if shot.look is None or last.look is None:
        return False
    if shot.taken is not None and last.taken is not None and shot.taken - last.taken > gap:
        return False
    members = [shots[j].look for j in group[-COMPARED:] if shots[j].look is not None]
    return any(likeness.similarity(shot.look, look) >= similar_from for look in members)


def rank_groups(shots: Sequence[Shot], groups: list[list[int]]) -> list[Ranked]:
    """bursts.csv's rows: groups numbered in order, each ranked sharpest first."""
    rows = []
    for number, group in enumerate(groups, start=1):
        by_blur = sorted(group, key=lambda i: sharpness_key(shots[i]))  # stable: sequence order
        for rank, i in enumerate(by_blur, start=1):
            shot = shots[i]
            rows.append(
                Ranked(
                    path=shot.path,
                    group=number,
                    rank=rank,
                    subject_blur_px=shot.subject_blur_px,
                    sharp_share=shot.sharp_share,
                )  # fmt: skip
            )
    return rows


def sharpness_key(shot: Shot) -> tuple[bool, float, float]:
    """Sorts sharpest first: shaken photos last, then the subject's blur (none: last), then the
    larger sharp share."""
    blur, share = shot.subject_blur_px, shot.sharp_share
    known = blur is not None and not math.isnan(blur)
    return (shot.shaken, blur if known else math.inf, -(share or 0.0))


def find_bursts(
    photos: Sequence[Shot],
    *,
    gap: float = GAP_S,
    similar_from: float = SIMILAR_FROM,
    workers: int | None = None,
) -> Bursts:
    """Group and rank ``photos`` (path and blur as in the detect report; time and look are read here)."""
    shots, unread = read_shots(photos, workers=workers)
    groups = group_shots(shots, gap=gap, similar_from=similar_from)
    return Bursts(rank_groups(shots, groups), unread)


def write_bursts(path: Path, bursts: Bursts) -> None:
    """bursts.csv (``COLUMNS``), written whole through a temp file and a rename."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for row in bursts.rows:
        blank = ["" if v is None else v for v in (row.subject_blur_px, row.sharp_share)]
        writer.writerow([row.path, row.group, row.rank, *blank])
    with replacing(path) as tmp:
        tmp.write_text(text.getvalue(), newline="")


def shots_of(photos: Sequence) -> list[Shot]:
    """``Shot`` of each ``msdunet.cull.sort.Photo``."""
    return [Shot(str(p.source), p.subject_blur_px, p.sharp_share, shaken=p.shaken) for p in photos]


def mark_similar(photos: Sequence, bursts: Bursts) -> list:
    """``photos`` (``msdunet.cull.sort.Photo``) with ``similar`` set on all but the sharpest of each group."""
    others = bursts.similar
    return [replace(p, similar=True) if str(p.source) in others else p for p in photos]
