"""``GET /api/bursts``: OUT's bursts (``bursts.csv``, written by ``msdunet cull OUT --bursts``), so that
the review shows a photo's burst side by side, each shot's subject at 100 %."""

from __future__ import annotations

import csv

from fastapi import APIRouter
from pydantic import BaseModel

from msdunet.cull.bursts import BURSTS_NAME
from msdunet.serve.state import ServeState


class BurstShot(BaseModel):
    group: int
    rank: int  # 1 = the sharpest of its burst


class BurstsOut(BaseModel):
    source: str  # OUT/bursts.csv, "" when there is none (run msdunet cull OUT --bursts)
    photos: dict[str, BurstShot]  # by the report's path


def router(state: ServeState) -> APIRouter:
    routes = APIRouter(prefix="/api")

    @routes.get("/bursts", response_model=BurstsOut)
    def bursts() -> BurstsOut:
        """Each photo's burst and its rank in it; nothing when OUT has no bursts.csv (or it is unreadable)."""
        path = state.out / BURSTS_NAME if state.out is not None else None
        if path is None or not path.is_file():
            return BurstsOut(source="", photos={})
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            photos = {r["path"]: BurstShot(group=int(r["group"]), rank=int(r["rank"])) for r in rows}
        except (OSError, KeyError, ValueError):
            return BurstsOut(source="", photos={})
        return BurstsOut(source=str(path), photos=photos)

    return routes
