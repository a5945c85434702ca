"""``GET /api/config`` (the verdict rule's thresholds, the server's settings) and ``GET /api/report``
(OUT's rows with the URLs of their files and of their photos' thumbnails)."""

from __future__ import annotations

from fastapi import APIRouter

from msdunet import __version__, focus
from msdunet.serve.schemas import Config, ReportOut, with_urls
from msdunet.serve.state import ServeState
from msdunet.serve.store import StoreError, load_report
from msdunet.serve.thumbs import urls


def router(state: ServeState) -> APIRouter:
    routes = APIRouter(prefix="/api")

    @routes.get("/config", response_model=Config)
    def config() -> Config:
        """The verdict rule's thresholds and this server's settings; the px limit: OUT's report's, else the default."""
        judged = _judged_limit(state)
        return Config(
            sharp_from=focus.SHARP_FROM,
            subject_from=focus.SUBJECT_FROM,
            limit_px=focus.LIMIT_PX if judged is None else judged,
            verdicts=list(focus.VERDICTS),
            threshold=state.threshold,
            max_upload=state.max_upload,
            out=str(state.out) if state.out is not None else None,
            model=state.model_name,
            version=__version__,
        )

    @routes.get("/report", response_model=ReportOut)
    def get_report() -> dict:
        """OUT's report rows (report.json, or report.csv while detect is still writing it)."""
        current = state.report()
        rows = [{**with_urls(r, state.out, "/files"), **urls(r)} for r in current.rows]
        return {"source": current.source, "threshold": current.threshold, "rows": rows}

    return routes


def _judged_limit(state: ServeState) -> float | None:
    """The px limit in OUT's report.json; None without OUT, without the key, or when it is unreadable
    (the config still answers: the report's own route says what is wrong with it)."""
    if state.out is None:
        return None
    try:
        return load_report(state.out).limit_px
    except StoreError:
        return None
