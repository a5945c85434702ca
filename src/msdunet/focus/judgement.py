"""Would a photographer keep it?  The subject's blur in pixels of the photo, and the verdict at the
size the photo will be seen.

``measure_blur`` reads native-resolution patches on a grid (``msdunet.focus.tiles``) and estimates
each one's blur σ (``msdunet.focus.sharpness``).  Estimates above ``RELIABLE_UP_TO`` px come from
too few, too faint edges in a 128-px patch, so the photo is then measured again halved (box), and
again, and σ scaled back: any blur from 0 to ~30 px is read where it is 0.5–3 px wide.

``judge`` turns that into the verdict:

- the **subject** is the sharpest region of meaningful size: the ``k`` sharpest textured patches,
  ``k`` = ``SUBJECT_FROM`` (3 %) of the grid's cells; its blur ``subject_blur_px`` is the largest σ
  among them, in pixels of the full-size photo; texture-less patches (sky, walls) count neither way;
- at the judged size (``judge_at``: None = full size, or a long side in px), the subject is sharp
  when its σ is at most ``LIMIT_PX``; otherwise the photo is ``blurred``, and ``blur_kind`` says
  ``motion`` when the subject's blur is ``MOTION_FROM`` times larger across one edge direction than
  across another (a streak), ``defocus`` otherwise;
- a sharp subject is ``sharp`` when ``SHARP_FROM`` of the textured patches are sharp too, else
  ``subject in focus`` (the blur map's ``FocusSummary`` keeps answering *where*).

Constants are fitted on synthetic blur of sharp benchmark regions (lab/studies/pixel_blur.py,
reports/pixel_blur.json; tests/test_focus_judge.py checks they agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from msdunet.focus.limits import GRADIENT_FLOOR, LIMIT_PX, MOTION_FROM
from msdunet.focus.sharpness import calibrated, patch_blur
from msdunet.focus.tiles import CELLS, TILE, grid, patches
from msdunet.focus.verdict import SHARP_FROM, SUBJECT_FROM

RELIABLE_UP_TO = 3.0  # raw σ (px of the level measured) above which the photo is measured halved
SMALLEST_LEVEL = 2 * TILE  # long side under which no further halving is done
BLUR_KINDS = ("defocus", "motion")


@dataclass(frozen=True)
class PixelBlur:
    """Per grid cell: raw σ across the worst and the best edge direction (NaN: no texture), in px
    of the level measured; ``scale`` = full-size px per level px (1, 2, 4, ...)."""

    width: int
    height: int
    centres: np.ndarray  # (N, 2) x, y in full-size px
    major: np.ndarray  # (N,)
    minor: np.ndarray  # (N,)
    scale: int


@dataclass(frozen=True)
class FocusJudgement:
    verdict: str  # msdunet.focus.VERDICTS
    subject_blur_px: float | None  # σ of the subject's blur in full-size px (None: no texture)
    judged_blur_px: float | None  # the same at the judged size
    judged_at: int  # long side, px, at which the verdict holds
    blur_kind: str | None  # "defocus" / "motion" when blurred
    sharp_share: float | None  # share of textured cells within the limit
    textured_share: float  # share of cells with texture to judge
    subject_x: float | None  # subject's centre, fractions of width and height
    subject_y: float | None
    limit_px: float


def _measure_level(image: Image.Image, scale: int) -> PixelBlur:
    cells = grid(*image.size, cells=CELLS)
    measured = patch_blur(patches(image, cells, tile=TILE))
    width, height = image.size
    return PixelBlur(
        width=width * scale, height=height * scale, centres=cells.centres * scale,
        major=measured.major, minor=measured.minor, scale=scale,
    )  # fmt: skip


def subject_count(cells: int) -> int:
    return max(1, math.ceil(SUBJECT_FROM * cells - 1e-9))


def _subject(blur: PixelBlur) -> np.ndarray:
    """Indices of the subject's cells (the k sharpest textured ones; empty without texture)."""
    textured = np.flatnonzero(np.isfinite(blur.major))
    order = textured[np.argsort(blur.major[textured], kind="stable")]
    return order[: subject_count(len(blur.major))]


def measure_blur(image: Image.Image) -> PixelBlur:
    """Blur per grid cell of ``image`` (PIL, full size), halving it while the subject's blur is
    beyond what a patch reads reliably."""
    scale, level = 1, image
    while True:
        blur = _measure_level(level, scale)
        subject = _subject(blur)
        beyond = len(subject) == 0 or blur.major[subject].max() > RELIABLE_UP_TO
        if not beyond or max(level.size) // 2 < SMALLEST_LEVEL:
            return blur
        level, scale = level.reduce(2), scale * 2


def judge(
    blur: PixelBlur,
    *,
    judge_at: int | None = None,
    limit_px: float = LIMIT_PX,
    fallback: str = "blurred",
) -> FocusJudgement:
    """The verdict of a measurement (see the module's docstring); ``fallback`` is the verdict when
    nothing in the photo has texture (the blur map's, when there is one)."""
    long_side = max(blur.width, blur.height)
    judged_at = long_side if judge_at is None else min(judge_at, long_side)
    textured = np.isfinite(blur.major)
    subject = _subject(blur)
    if len(subject) == 0:
        return FocusJudgement(
            verdict=fallback, subject_blur_px=None, judged_blur_px=None, judged_at=judged_at, blur_kind=None,
            sharp_share=None, textured_share=0.0, subject_x=None, subject_y=None, limit_px=limit_px,
        )  # fmt: skip
    full = calibrated(blur.major, floor=GRADIENT_FLOOR) * blur.scale  # full-size px, NaN without texture
    at_size = judged_at / long_side
    subject_px = float(full[subject].max())
    judged_px = subject_px * at_size
    sharp_share = float(np.count_nonzero(full[textured] * at_size <= limit_px)) / int(textured.sum())
    cx, cy = blur.centres[subject].mean(axis=0)
    if judged_px > limit_px:
        verdict, kind = "blurred", blur_kind(blur.major[subject], blur.minor[subject])
    else:
        verdict, kind = ("sharp" if sharp_share >= SHARP_FROM else "subject in focus"), None
    return FocusJudgement(
        verdict=verdict, subject_blur_px=round(subject_px, 2), judged_blur_px=round(judged_px, 2),
        judged_at=judged_at, blur_kind=kind, sharp_share=round(sharp_share, 3),
        textured_share=round(float(textured.mean()), 3), subject_x=round(float(cx) / blur.width, 3),
        subject_y=round(float(cy) / blur.height, 3), limit_px=limit_px,
    )  # fmt: skip


def blur_kind(major: np.ndarray, minor: np.ndarray) -> str:
    """``motion`` when the subject's blur is a streak (median major / minor ≥ ``MOTION_FROM``)."""
    ratio = float(np.median(major / np.maximum(minor, 1e-3)))
    return "motion" if ratio >= MOTION_FROM else "defocus"


@dataclass(frozen=True)
class JudgeOptions:
    """How a verdict is judged: at ``judge_at`` px on the long side (None: full size), sharp up to
    ``limit_px`` (σ at that size)."""

    judge_at: int | None = None
    limit_px: float = LIMIT_PX


DEFAULT_JUDGING = JudgeOptions()


def judge_photo(
    image: Image.Image, *, options: JudgeOptions = DEFAULT_JUDGING, fallback: str = "blurred"
) -> FocusJudgement:
    """``measure_blur`` then ``judge``: the verdict of one decoded photo (PIL, full size)."""
    return judge(measure_blur(image), judge_at=options.judge_at, limit_px=options.limit_px, fallback=fallback)
