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
- ``GET /thumbs/{small|large}/<map>`` the photo of OUT's row with that map, downscaled from the
  original photo on first request and cached in ``OUT/.thumbs/`` (``thumbs``);
- ``/docs`` OpenAPI docs, served from the ``fastapi-offline`` package's bundled Swagger UI.

Each group of routes is an ``APIRouter`` in ``routes/``, over the ``ServeState`` (``state``) the
app is built with.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from msdunet import __version__
from msdunet.serve.routes import bursts, detect, files, picks, report
from msdunet.serve.state import make_state

DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024  # bytes of request body (the photo plus multipart overhead)
ROUTERS = (files, report, detect, picks, bursts)


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
    state = make_state(out, detector=detector, max_upload=max_upload, uploads=uploads, model_name=model_name)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        if state.keep is not None:  # at shutdown: uvicorn re-raises SIGTERM afterwards, so atexit would not run
            state.keep.cleanup()

    app = FastAPIOffline(
        title="msdunet",
        version=__version__,
        description="Blur maps for photos, and review of a `msdunet detect` output folder.",
        swagger_ui_parameters={"validatorUrl": None},  # no request to an online validator
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.uploads_dir, app.state.keep = state.uploads, state.keep  # keep: the temp folder lives with the app
    app.mount("/static", StaticFiles(directory=str(files.STATIC)), name="static")
    for module in ROUTERS:
        app.include_router(module.router(state))
    return app
