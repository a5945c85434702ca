"""The FastAPI app: one static page, a JSON API, and the maps and overlays of OUT and of uploads.

- ``GET /`` the page (``static/``: HTML, CSS, JS shipped in the package, nothing from a CDN);
- ``GET /api/config`` the verdict thresholds of ``msdunet.focus`` (the page re-derives verdicts
  with the same rule as ``focus.classify``), the upload limit, OUT;
- ``GET /api/report`` OUT's report rows, each with the URLs of its map and overlay;
- ``POST /api/detect`` (multipart field ``file``) one photo → its report row and URLs;
  over ``max_upload`` bytes → 413 (counted while the body streams in), not an image → 415,
  unreadable (corrupt, truncated, too many pixels) → 422;
- ``GET/POST /api/picks`` the review's picks, kept in ``OUT/picks.csv``;
- ``GET /files/...`` (OUT) and ``/uploads/...`` maps and overlays only, never a file outside
  those folders (404);
- ``/docs`` OpenAPI docs, served from the ``fastapi-offline`` package's bundled Swagger UI.
"""

from __future__ import annotations

import importlib.resources
import tempfile
from contextlib import asynccontextmanager
from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import Annotated, get_type_hints
from urllib.parse import quote

from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, create_model

from msdunet import __version__, focus
from msdunet.cull.picks import PICK_VALUES
from msdunet.detect import Row, overlay_of
from msdunet.io import ImageReadError
from msdunet.serve.store import Picks, StoreError, inside, load_report
from msdunet.serve.uploads import NotAnImage, Uploads

DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024  # bytes of request body (the photo plus multipart overhead)
STATIC = importlib.resources.files("msdunet.serve") / "static"

_hints = get_type_hints(Row)
ReportRow = create_model(
    "ReportRow",
    __doc__="A row of report.csv (see the README) and the URLs of its map and overlay (null when missing).",
    **{f.name: (_hints[f.name], ... if f.default is MISSING else f.default) for f in fields(Row)},
    map_url=(str | None, None),
    overlay_url=(str | None, None),
)


class Config(BaseModel):
    sharp_from: float  # msdunet.focus.SHARP_FROM
    subject_from: float  # msdunet.focus.SUBJECT_FROM
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


def _with_urls(row: Row, root: Path, prefix: str, overlay_rel: Path | None = None) -> dict:
    """The row as JSON with ``map_url``/``overlay_url`` when those files exist under ``root``."""
    urls = {"map_url": None, "overlay_url": None}
    if row.output:
        mapped = Path(row.output)
        for key, rel in (("map_url", mapped), ("overlay_url", overlay_rel or overlay_of(mapped))):
            if inside(root, rel.as_posix()):
                urls[key] = f"{prefix}/{quote(rel.as_posix())}"
    return {**asdict(row), **urls}


def create_app(
    out: Path | None,
    *,
    detector,
    max_upload: int = DEFAULT_MAX_UPLOAD,
    uploads: Path | None = None,
    model_name: str = "",
) -> FastAPI:
    """The app for output folder ``out`` (None: upload only), with ``detector`` built once by the
    caller.  Uploads' results go to ``uploads``, by default a temporary folder removed when the
    process ends (never into OUT, whose report and picks stay what detect and the review wrote)."""
    report = load_report(out) if out is not None else None
    picks = Picks(out) if out is not None else None
    keep = None
    if uploads is None:
        keep = tempfile.TemporaryDirectory(prefix="msdunet-serve-")
        uploads = Path(keep.name)
    threshold = report.threshold if report and report.source else 0.5
    runner = Uploads(uploads, detector, threshold=threshold)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        if keep is not None:  # at shutdown: uvicorn re-raises SIGTERM afterwards, so atexit would not run
            keep.cleanup()

    app = FastAPIOffline(
        title="msdunet",
        version=__version__,
        description="Blur maps for photos, and review of a `msdunet detect` output folder.",
        swagger_ui_parameters={"validatorUrl": None},  # no request to an online validator
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.uploads_dir, app.state.keep = uploads, keep  # keep: the temp folder lives as long as the app
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/api/config", response_model=Config)
    def config() -> Config:
        """The verdict rule's thresholds and this server's settings."""
        return Config(
            sharp_from=focus.SHARP_FROM,
            subject_from=focus.SUBJECT_FROM,
            verdicts=list(focus.VERDICTS),
            threshold=threshold,
            max_upload=max_upload,
            out=str(out) if out is not None else None,
            model=model_name,
            version=__version__,
        )

    def _report():
        if out is None:
            raise HTTPException(404, "no output folder: start the server as `msdunet serve OUT`")
        try:
            return load_report(out)
        except StoreError as exc:
            raise HTTPException(500, str(exc)) from exc

    @app.get("/api/report", response_model=ReportOut)
    def get_report() -> dict:
        """OUT's report rows (report.json, or report.csv while detect is still writing it)."""
        current = _report()
        rows = [_with_urls(r, out, "/files") for r in current.rows]
        return {"source": current.source, "threshold": current.threshold, "rows": rows}

    @app.post(
        "/api/detect",
        response_model=ReportRow,
        max_body_size=max_upload,
        responses={413: {"description": "upload too large"}, 415: {"description": "not an image"}},
    )
    def detect(file: Annotated[UploadFile, File(description="a photo")]) -> dict:
        """Blur map, overlay and report row for one photo (the row ``msdunet detect`` would write)."""
        try:
            row, target = runner.detect(file.file, file.filename)
        except NotAnImage as exc:
            raise HTTPException(415, str(exc)) from exc
        except ImageReadError as exc:
            raise HTTPException(422, str(exc)) from exc
        return _with_urls(row, uploads, "/uploads", target.overlay)

    @app.get("/api/picks", response_model=dict[str, str])
    def get_picks() -> dict[str, str]:
        """``path → pick`` (``pick`` or ``reject``) as in OUT/picks.csv."""
        _report()
        return dict(picks.picks)

    @app.post("/api/picks", response_model=dict[str, str])
    def set_pick(body: PickIn) -> dict[str, str]:
        """Pick, reject (or clear, ``pick: null``) a photo of the report; rewrites OUT/picks.csv."""
        if body.path not in {r.path for r in _report().rows}:
            raise HTTPException(404, f"{body.path!r} is not a row of the report in {out}")
        if body.pick is not None and body.pick not in PICK_VALUES:
            raise HTTPException(422, f"pick is one of {', '.join(PICK_VALUES)} or null, not {body.pick!r}")
        try:
            return picks.set(body.path, body.pick)
        except OSError as exc:
            raise HTTPException(500, f"cannot write {picks.path}: {exc}") from exc

    def _serve(root: Path | None, rel: str) -> FileResponse:
        path = inside(root, rel) if root is not None else None
        if path is None:
            raise HTTPException(404, "not found")
        return FileResponse(str(path))

    @app.get("/files/{rel:path}", include_in_schema=False)
    def out_file(rel: str) -> FileResponse:
        return _serve(out, rel)

    @app.get("/uploads/{rel:path}", include_in_schema=False)
    def upload_file(rel: str) -> FileResponse:
        return _serve(uploads, rel)

    return app
