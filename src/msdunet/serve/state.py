"""What the app's routes share: OUT, its picks and photos, the uploads folder and runner, the settings."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException

from msdunet.detect.report import Report
from msdunet.serve.store import Picks, StoreError, load_report
from msdunet.serve.thumbs import Thumbs
from msdunet.serve.uploads import Uploads


@dataclass(frozen=True)
class ServeState:
    out: Path | None  # the detect output folder under review (None: uploads only)
    picks: Picks | None
    uploads: Path  # where uploads' maps go (never OUT)
    keep: tempfile.TemporaryDirectory | None  # the uploads' temp folder, when the app made it
    runner: Uploads
    threshold: float  # P(blurred) from which a pixel counts as blurred (OUT's report, else 0.5)
    max_upload: int  # bytes of request body
    model_name: str
    thumbs: Thumbs | None = None  # the photos of OUT's report, downscaled (cached in OUT/.thumbs)

    def report(self) -> Report:
        """OUT's report as it is now; 404 without OUT, 500 when it cannot be read."""
        if self.out is None:
            raise HTTPException(404, "no output folder: start the server as `msdunet serve OUT`")
        try:
            return load_report(self.out)
        except StoreError as exc:
            raise HTTPException(500, str(exc)) from exc


def make_state(out: Path | None, *, detector, max_upload: int, uploads: Path | None, model_name: str) -> ServeState:
    """The state of an app for ``out``; reads OUT's report once (``StoreError`` when it is broken)."""
    report = load_report(out) if out is not None else None
    keep = None
    if uploads is None:
        keep = tempfile.TemporaryDirectory(prefix="msdunet-serve-")
        uploads = Path(keep.name)
    threshold = report.threshold if report and report.source else 0.5
    return ServeState(
        out=out,
        picks=Picks(out) if out is not None else None,
        uploads=uploads,
        keep=keep,
        runner=Uploads(uploads, detector, threshold=threshold),
        threshold=threshold,
        max_upload=max_upload,
        model_name=model_name,
        thumbs=Thumbs(out) if out is not None else None,
    )
