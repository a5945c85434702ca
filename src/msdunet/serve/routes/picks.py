"""``GET/POST /api/picks``: the review's picks, kept in ``OUT/picks.csv``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from msdunet.cull.picks import PICK_VALUES
from msdunet.serve.schemas import PickIn
from msdunet.serve.state import ServeState


def router(state: ServeState) -> APIRouter:
    routes = APIRouter(prefix="/api")

    @routes.get("/picks", response_model=dict[str, str])
    def get_picks() -> dict[str, str]:
        """``path → pick`` (``pick`` or ``reject``) as in OUT/picks.csv."""
        state.report()
        return dict(state.picks.picks)

    @routes.post("/picks", response_model=dict[str, str])
    def set_pick(body: PickIn) -> dict[str, str]:
        """Pick, reject (or clear, ``pick: null``) a photo of the report; rewrites OUT/picks.csv."""
        if body.path not in {r.path for r in state.report().rows}:
            raise HTTPException(404, f"{body.path!r} is not a row of the report in {state.out}")
        if body.pick is not None and body.pick not in PICK_VALUES:
            raise HTTPException(422, f"pick is one of {', '.join(PICK_VALUES)} or null, not {body.pick!r}")
        try:
            return state.picks.set(body.path, body.pick)
        except OSError as exc:
            raise HTTPException(500, f"cannot write {state.picks.path}: {exc}") from exc

    return routes
