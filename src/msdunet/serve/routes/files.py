"""The page and the files: ``GET /`` (``static/index.html``), ``/files/...`` (OUT) and
``/uploads/...``, maps and overlays only, never a file outside those folders (404); and
``/thumbs/{small|large}/<map>``, the photo of the report row with that map, downscaled (``thumbs``)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from msdunet.serve.state import ServeState
from msdunet.serve.store import inside
from msdunet.serve.thumbs import ThumbError

STATIC = importlib.resources.files("msdunet.serve") / "static"


def router(state: ServeState) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/")
    def index() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-cache"})

    @routes.get("/files/{rel:path}")
    def out_file(rel: str) -> FileResponse:
        return _serve(state.out, rel)

    @routes.get("/uploads/{rel:path}")
    def upload_file(rel: str) -> FileResponse:
        return _serve(state.uploads, rel)

    @routes.get("/thumbs/{size}/{rel:path}")
    def thumb(size: str, rel: str) -> Response:
        if state.thumbs is None:
            raise HTTPException(404, "not found")
        try:
            made = state.thumbs.get(state.thumbs.photo_of(rel), size, rel)
        except ThumbError as exc:
            raise HTTPException(404, str(exc)) from exc
        return FileResponse(str(made)) if isinstance(made, Path) else Response(made, media_type="image/jpeg")

    return routes


def _serve(root: Path | None, rel: str) -> FileResponse:
    path = inside(root, rel) if root is not None else None
    if path is None:
        raise HTTPException(404, "not found")
    return FileResponse(str(path))
