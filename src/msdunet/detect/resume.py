"""``--skip-existing`` without decoding a finished photo again: its row as the earlier run's report holds it.

A photo whose map, overlay and row an earlier run left costs a stat and two small reads, not a full
decode and judgement (seconds per 24 MP photo on 2 cores).  The earlier row is taken only when it says
what a fresh run would say now: report.json is the fresher report (a run killed outright leaves only
report.csv, without its settings), it was written with the same threshold, map size, judging options
and focus thresholds (``settings``, recorded in report.json by ``run_batch``), the row worked, and the
photo has not changed since (not modified after the report, the size the row records).  Otherwise
``step.reuse`` judges the photo again from its pixels, as before.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

from msdunet import focus
from msdunet.detect.outputs import MAP_SIZE, Target, read_existing
from msdunet.detect.report import FIELDS, Row
from msdunet.focus import JudgeOptions
from msdunet.focus.judgement import STREAK_REDUCE
from msdunet.focus.limits import STREAK_BELOW, STREAK_BINNED_BELOW
from msdunet.io import Found

SETTINGS_KEY = "resume"  # report.json's entry holding ``settings``


def settings(*, threshold: float, judging: JudgeOptions, map_size: int | None) -> dict:
    """What a row depends on besides the photo and the model, as report.json records it (JSON types);
    the columns too, so that a report written before a column existed is made again, not reused."""
    found = {"threshold": threshold, "map_size": map_size, "judging": asdict(judging),
             "sharp_from": focus.SHARP_FROM, "subject_from": focus.SUBJECT_FROM,
             "streak_below": STREAK_BELOW, "streak_binned_below": STREAK_BINNED_BELOW,
             "streak_reduce": STREAK_REDUCE, "columns": list(FIELDS)}  # fmt: skip
    return json.loads(json.dumps(found))


def earlier_rows(out: Path, now: dict) -> tuple[dict[str, Row], float]:
    """The rows that worked of OUT's report.json, by path, when it was written with the settings
    ``now`` (``settings``) and is not older than report.csv; and the report's time (0 when none)."""
    js, cs = out / "report.json", out / "report.csv"
    try:
        written = js.stat().st_mtime
        if cs.is_file() and cs.stat().st_mtime > written:
            return {}, 0.0
        data = json.loads(js.read_text())
    except (OSError, ValueError):
        return {}, 0.0
    if not isinstance(data, dict) or data.get(SETTINGS_KEY) != now:
        return {}, 0.0
    rows = {}
    for values in data.get("rows", []):
        if isinstance(values, dict) and not values.get("error") and values.get("output"):
            rows[values["path"]] = Row(**{k: v for k, v in values.items() if k in FIELDS})
    return rows, written


def reuse_row(
    out: Path,
    target: Target,
    found: Found,
    earlier: tuple[dict[str, Row], float],
    *,
    with_overlay: bool,
    map_size: int | None = MAP_SIZE,
) -> Row | None:
    """The earlier run's row of ``found`` (marked reused), or None when it cannot stand for a fresh one."""
    start = time.perf_counter()
    rows, written = earlier
    row = rows.get(found.label)
    if row is None or row.output != target.map.as_posix():
        return None
    try:
        if found.path.stat().st_mtime >= written:
            return None  # the photo changed after the report was written (or within its clock tick)
    except OSError:
        return None
    existing = read_existing(out, target, found.path, with_overlay, map_size=map_size)
    if existing is None or existing.size != (row.width, row.height):
        return None
    return replace(row, reused=True, ms=round((time.perf_counter() - start) * 1e3, 1))
