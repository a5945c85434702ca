"""``POST /api/detect`` (multipart field ``file``): one photo → its report row and URLs; over the
upload limit → 413 (counted while the body streams in), not an image → 415, unreadable (corrupt,
truncated, too many pixels) → 422."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile

from msdunet.io import ImageReadError
from msdunet.serve.schemas import ReportRow, with_urls
from msdunet.serve.state import ServeState
from msdunet.serve.uploads import NotAnImage


def router(state: ServeState) -> APIRouter:
    routes = APIRouter(prefix="/api")

    @routes.post(
        "/detect",
        response_model=ReportRow,
        max_body_size=state.max_upload,
        responses={413: {"description": "upload too large"}, 415: {"description": "not an image"}},
    )
    def detect(file: Annotated[UploadFile, File(description="a photo")]) -> dict:
        """Blur map, overlay and report row for one photo (the row ``msdunet detect`` would write)."""
        try:
            row, target = state.runner.detect(file.file, file.filename)
        except NotAnImage as exc:
            raise HTTPException(415, str(exc)) from exc
        except ImageReadError as exc:
            raise HTTPException(422, str(exc)) from exc
        return with_urls(row, state.uploads, "/uploads", target.overlay)

    return routes
