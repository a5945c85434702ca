"""Report rows, verdicts, and report.csv / report.json: written by ``ReportWriter``, read back (by
``msdunet cull`` and the web app) by ``read_report``."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import get_type_hints

import numpy as np

from msdunet.focus import DEFAULT_JUDGING, JudgeOptions, PixelBlur, judge, summarize_focus
from msdunet.io.files import replacing


@dataclass
class Row:
    """One photo's line of the report (the columns of report.csv, in this order: ``FIELDS``)."""

    path: str
    width: int | None = None
    height: int | None = None
    verdict: str = ""  # msdunet.focus.VERDICTS, from the judgement (msdunet.focus.judgement)
    reason: str = ""  # why, in one line (msdunet.focus.reason): the evidence that decided, with its numbers
    subject_blur_px: float | None = None  # σ of the subject's blur, px of the full-size photo
    judged_blur_px: float | None = None  # the same at the judged size
    judged_at: int | None = None  # long side (px) the verdict holds at
    blur_kind: str = ""  # defocus / motion, when blurred
    sharp_share: float | None = None  # share of textured cells within the limit
    textured_share: float | None = None  # share of cells with texture to judge
    subject_x: float | None = None  # the subject's centre (the judgement's; the map's without texture)
    subject_y: float | None = None
    mean_blur: float | None = None  # the map's summary (msdunet.focus.summarize_focus) from here on
    blurred_fraction: float | None = None
    sharp_fraction: float | None = None
    subject_share: float | None = None  # the largest sharp region of the map
    map_verdict: str = ""  # the map's own verdict (msdunet.focus.classify), relative to the frame
    faces: int | None = None  # faces found (detect --faces; empty when not looked for)
    face_blur_px: float | None = None  # the largest face's σ, full-size px: the subject's when measured
    streak: float | None = None  # the streak score (msdunet.focus.streaks): edges left across a direction
    shaken: bool = False  # rejected as a long shake by the streak score, whatever the blur limit
    ms: float | None = None
    error: str = ""
    output: str = ""  # the map, relative to OUT (empty when there is none)
    reused: bool = False  # True: the map of an earlier run (--skip-existing), not computed again


FIELDS = tuple(f.name for f in fields(Row))


def summarize(
    path: str, map8: np.ndarray, *, threshold: float, ms: float, pixels: Judging, size: tuple[int, int] | None = None
) -> Row:
    """Report row for an 8-bit map as saved (P = level / 255), so that a map computed now and one
    read back from disk give the same row, and the judgement of the photo's pixels; ``size`` is the
    photo's (width, height) when the map is smaller (default: the map's)."""
    width, height = size or (map8.shape[1], map8.shape[0])
    level = math.ceil(threshold * 255 - 1e-6)  # P >= threshold  <=>  level >= this
    fraction = float(np.count_nonzero(map8 >= level)) / map8.size
    mean = float(map8.mean()) / 255.0
    focus = summarize_focus(map8, threshold=threshold)
    found = pixels.measured
    j = judge(found, judge_at=pixels.options.judge_at, limit_px=pixels.options.limit_px, map_verdict=focus.verdict)
    x, y = (focus.subject_x, focus.subject_y) if j.subject_x is None else (j.subject_x, j.subject_y)
    return Row(
        path=path, width=width, height=height, mean_blur=round(mean, 4),
        blurred_fraction=round(fraction, 4), sharp_fraction=focus.sharp_fraction, subject_share=focus.subject_share,
        subject_x=x, subject_y=y, verdict=j.verdict, ms=round(ms, 1), subject_blur_px=j.subject_blur_px,
        judged_blur_px=j.judged_blur_px, judged_at=j.judged_at, blur_kind=j.blur_kind or "",
        sharp_share=j.sharp_share, textured_share=j.textured_share, map_verdict=focus.verdict, faces=j.faces,
        face_blur_px=j.face_blur_px, streak=j.streak, shaken=j.shaken, reason=j.reason,
    )  # fmt: skip


@dataclass(frozen=True)
class Judging:
    """A photo's pixel measurement and how to judge it (``msdunet.focus``)."""

    measured: PixelBlur
    options: JudgeOptions = DEFAULT_JUDGING


class ReportWriter:
    """report.csv appended row by row (flushed), report.json written at the end."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[Row] = []
        self.file = open(out / "report.csv", "w", newline="")  # noqa: SIM115 (closed in close())
        self.writer = csv.DictWriter(self.file, fieldnames=FIELDS)
        self.writer.writeheader()

    def add(self, row: Row) -> None:
        self.rows.append(row)
        self.writer.writerow(asdict(row))
        self.file.flush()

    def close(self, meta: dict) -> None:
        """Close report.csv and write report.json (temp file + rename) with ``meta`` and the rows."""
        self.file.close()
        failed = sum(1 for r in self.rows if r.error)
        summary = {**meta, "images": len(self.rows), "failed": failed, "rows": [asdict(r) for r in self.rows]}
        with replacing(self.out / "report.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=1) + "\n")


class InOrder:
    """Rows to the report in input order: one that completes early waits for those before it."""

    def __init__(self, report: ReportWriter, on_row: Callable[[Row], None] | None, total: int) -> None:
        self.report, self.on_row, self.total = report, on_row, total
        self.waiting: dict[int, Row] = {}
        self.next = 0

    def put(self, index: int, row: Row) -> None:
        self.waiting[index] = row
        while self.next in self.waiting:
            self._emit(self.waiting.pop(self.next))
            self.next += 1

    def finish(self, fill: Callable[[int], Row] | None) -> None:
        """The rest in order; a gap gets ``fill(index)``, or is left out when ``fill`` is None."""
        for index in range(self.next, self.total):
            row = self.waiting.pop(index, None) or (fill(index) if fill else None)
            if row is not None:
                self._emit(row)
        self.next = self.total

    def _emit(self, row: Row) -> None:
        self.report.add(row)
        if self.on_row:
            self.on_row(row)


class ReportError(ValueError):
    """A report file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    threshold: float  # P(blurred) at which detect counted a pixel blurred (report.json; 0.5 if unknown)
    source: str  # the file the rows came from (report.json or report.csv), "" when there is none
    limit_px: float | None = None  # the blur limit the verdicts were judged with (report.json; None if unknown)


def read_report(out: Path) -> Report:
    """The rows of OUT: report.json when it is at least as new as report.csv (detect writes the JSON
    at the end, the CSV row by row, so during a run the CSV is the fresher one); no rows and
    ``source`` "" when OUT has neither."""
    js, cs = out / "report.json", out / "report.csv"
    use_json = js.is_file() and (not cs.is_file() or js.stat().st_mtime >= cs.stat().st_mtime)
    try:
        if use_json:
            data = json.loads(js.read_text())
            limit = data.get("limit_px")
            return Report(
                [_row(r) for r in data["rows"]], float(data.get("threshold", 0.5)), str(js),
                limit_px=None if limit is None else float(limit),
            )  # fmt: skip
        if cs.is_file():
            with open(cs, newline="") as f:
                reader = csv.DictReader(f)
                if "path" not in (reader.fieldnames or []):
                    raise ValueError(f"no path column in {reader.fieldnames}")
                rows = [_row({k: _typed(k, v) for k, v in r.items() if k in FIELDS}) for r in reader]
            return Report(rows, 0.5, str(cs))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{js if use_json else cs}: not a report msdunet detect wrote ({exc})") from exc
    return Report([], 0.5, "")


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
