"""The subject: the sharpest region of meaningful size, per edge direction, on a grid of cells.

``k`` = ``SUBJECT_FROM`` (3 %) of the grid's cells: per direction the ``k``-th sharpest textured cell
with edges in that direction (``msdunet.focus.judgement`` reads its blur as the photo's)."""

from __future__ import annotations

import math

import numpy as np

from msdunet.focus.sharpness import AcrossDirections
from msdunet.focus.verdict import SUBJECT_FROM

DIRECTION_QUORUM = 0.1  # share of the textured cells that must have edges in a direction for it to vote


def subject_count(cells: int) -> int:
    return max(1, math.ceil(SUBJECT_FROM * cells - 1e-9))


def subject_cells(blur: AcrossDirections) -> np.ndarray:
    """Indices of the subject's cells (the k sharpest textured ones; empty without texture)."""
    textured = np.flatnonzero(blur.textured)
    order = textured[np.argsort(blur.major[textured], kind="stable")]
    return order[: subject_count(len(blur.textured))]


def subject_sigmas(blur: AcrossDirections) -> tuple[float, float] | None:
    """The subject's raw (major, minor) σ: per edge direction, the k-th sharpest cell with edges in
    that direction; the largest and smallest over the directions that enough cells vote in.

    Per direction, so that shake shows even where a cell has edges only along the streak: such
    a cell looks sharp, but every cell with edges across the streak is blurred.  None: no texture."""
    k = subject_count(len(blur.textured))
    votes = []
    for d in range(blur.by_direction.shape[1]):
        values = blur.by_direction[blur.textured, d]
        values = np.sort(values[np.isfinite(values)])
        if len(values) >= max(k, DIRECTION_QUORUM * int(blur.textured.sum())):
            votes.append(float(values[k - 1]))
    if not votes:
        subject = subject_cells(blur)
        return None if len(subject) == 0 else (float(blur.major[subject].max()), float(blur.minor[subject].min()))
    return max(votes), min(votes)
