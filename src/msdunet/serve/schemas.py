"""The JSON the API speaks: report rows with their files' URLs, the config, picks."""

from __future__ import annotations

from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import get_type_hints
from urllib.parse import quote

from pydantic import BaseModel, create_model

from msdunet.detect import Row, overlay_of
from msdunet.serve.store import inside

_hints = get_type_hints(Row)
ReportRow = create_model(
    "ReportRow",
    __doc__="A row of report.csv (see the README) and the URLs of its map, overlay and photo (null when missing).",
    **{f.name: (_hints[f.name], ... if f.default is MISSING else f.default) for f in fields(Row)},
    map_url=(str | None, None),
    overlay_url=(str | None, None),
    thumb_url=(str | None, None),  # OUT's rows: the photo, small (gallery) and large (viewer); null when gone
    photo_url=(str | None, None),
    crop_url=(str | None, None),  # the subject at 100 % (msdunet.serve.thumbs.CROP_SIDE px square)
)


class Config(BaseModel):
    sharp_from: float  # msdunet.focus.SHARP_FROM
    subject_from: float  # msdunet.focus.SUBJECT_FROM
    limit_px: float  # msdunet.focus.LIMIT_PX: the page's default blur limit
    verdicts: list[str]
    threshold: float  # P(blurred) from which a pixel counts as blurred (OUT's report, else 0.5)
    max_upload: int  # bytes
    out: str | None  # the folder under review, or null
    model: str
    version: str


class ReportOut(BaseModel):
    source: str  # the report file the rows come from ("" when OUT has none yet)
    threshold: float
    rows: list[ReportRow]  # type: ignore[valid-type]


class PickIn(BaseModel):
    path: str  # as in the report
    pick: str | None  # "pick", "reject", or null to clear


def with_urls(row: Row, root: Path, prefix: str, overlay_rel: Path | None = None) -> dict:
    """The row as JSON with ``map_url``/``overlay_url`` when those files exist under ``root``."""
    urls = {"map_url": None, "overlay_url": None}
    if row.output:
        mapped = Path(row.output)
        for key, rel in (("map_url", mapped), ("overlay_url", overlay_rel or overlay_of(mapped))):
            if inside(root, rel.as_posix()):
                urls[key] = f"{prefix}/{quote(rel.as_posix())}"
    return {**asdict(row), **urls}
