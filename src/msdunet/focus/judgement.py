"""Would a photographer keep it?  The subject's blur in pixels of the photo, and the verdict at the
size the photo will be seen.

``measure_blur`` reads native-resolution patches on a grid (``msdunet.focus.tiles``) and estimates
each one's blur σ (``msdunet.focus.sharpness``).  Estimates above ``RELIABLE_UP_TO`` px come from
too few, too faint edges in a 128-px patch, so the photo is then measured again halved (box), and
again, and σ scaled back: any blur from 0 to ~30 px is read where it is 0.5–3 px wide.

``judge`` turns that into the verdict:

- the **subject** (``msdunet.focus.subject``) is the sharpest region of meaningful size: per edge
  direction, the ``k``-th sharpest textured patch, ``k`` = ``SUBJECT_FROM`` (3 %) of the grid's cells; its blur
  ``subject_blur_px`` is the largest of those per-direction values (a shake smears one direction),
  calibrated (``sharpness.calibrated``) and in pixels of the full-size photo; texture-less patches
  (sky, walls) count neither way; with faces looked for and found, the largest face is the subject;
- at the judged size (``judge_at``: None = full size, or a long side in px), the subject is sharp
  when its σ is at most ``LIMIT_PX``; otherwise the photo is ``blurred``, and ``blur_kind`` says
  ``motion`` when the subject's blur is ``MOTION_FROM`` times larger across one edge direction than
  across another (a streak), ``defocus`` otherwise;
- with ``streaks`` (the default), a long shake, whose subject reads sharp along its streak, is
  found by ``msdunet.focus.streaks`` (edges left across each direction against the contrast there,
  two readings, under ``STREAK_BELOW`` and ``STREAK_BINNED_BELOW``): ``blurred``, ``motion``, its blur
  also read on the photo reduced ``STREAK_REDUCE`` times, where the streak leaves edges (a panned
  background around a small sharp subject too: reports/pixel_blur.md says from what size it does not);
- the blur map's verdict (blur relative to the frame, ``msdunet.focus.verdict``) rejects too: a
  photo is ``blurred`` when either finds no sharp subject (the map alone kept every sharp photo but
  let half the blurred ones through; pixels alone miss blur that a downsized photo no longer shows);
- a sharp subject is ``sharp`` when ``SHARP_FROM`` of the textured patches are sharp too, else
  ``subject in focus``.

Constants are fitted on synthetic blur of sharp benchmark regions (lab/studies/pixel_blur.py,
reports/pixel_blur.json; tests/test_focus_judge.py checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from msdunet.focus.faces import FaceBlur, measure_face
from msdunet.focus.limits import ESTIMATOR, FITTED, MOTION_FROM, STREAK_BELOW, STREAK_BINNED_BELOW
from msdunet.focus.one_pass import one_pass_blur
from msdunet.focus.reason import reason
from msdunet.focus.sharpness import AcrossDirections, calibrated, estimate_counted, noise_level
from msdunet.focus.streaks import binned_contrast, contrast_by_direction, photo_streak
from msdunet.focus.subject import subject_cells, subject_sigmas
from msdunet.focus.tiles import CELLS, TILE, distinct_patches, grid, judgeable, reduced_size
from msdunet.focus.verdict import SHARP_FROM

RELIABLE_UP_TO = 3.0  # raw σ (px of the level measured) above which the photo is measured halved
SMALLEST_LEVEL = 2 * TILE  # long side under which no further halving is done
STREAK_REDUCE = 4  # a shaken photo's blur is read on it reduced this many times (a 30-px streak: 7.5 px)
SECOND_READING_UNDER = STREAK_BELOW  # first streak readings under which the second is taken (its fit: all)
BLUR_KINDS = ("defocus", "motion")


@dataclass(frozen=True)
class PixelBlur(AcrossDirections):
    """Per grid cell, raw σ across each edge direction (NaN: too few edges; px of the level
    measured), and whether the cell has texture; ``scale`` = full-size px per level px (1, 2, 4 ...)."""

    width: int
    height: int
    centres: np.ndarray  # (N, 2) x, y in full-size px
    by_direction: np.ndarray  # (N, 4)
    textured: np.ndarray  # (N,) bool
    scale: int
    face: FaceBlur | None = None  # None: faces were not looked for
    estimator: str = "classical"  # what read by_direction (msdunet.focus.limits.ESTIMATORS)
    streak: float | None = None  # msdunet.focus.streaks' score of the level read (None: no evidence)
    streak_binned: float | None = None  # its second, binned reading (taken only when ``streak`` is under its limit)
    streak_px: float | None = None  # a shaken photo's subject σ read reduced STREAK_REDUCE times, full-size px

    @property
    def shaken(self) -> bool:
        """A long shake's streak: edges across one direction erased (both readings of the streak score
        under their limits, ``STREAK_BELOW`` and ``STREAK_BINNED_BELOW``)."""
        return _under(self.streak, STREAK_BELOW) and _under(self.streak_binned, STREAK_BINNED_BELOW)


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
    faces: int | None = None  # faces found (None: not looked for)
    face_blur_px: float | None = None  # the largest face's σ, full-size px (the subject, when measured)
    streak: float | None = None  # the streak score's first reading (msdunet.focus.streaks)
    shaken: bool = False  # rejected by the streak score, whatever the blur limit
    reason: str = ""  # why, in one line (msdunet.focus.reason)


def _under(score: float | None, limit: float) -> bool:
    return score is not None and score < limit


def _measure_level(image: Image.Image, scale: int, estimator: str, *, streaks: bool = False):
    """The grid's blur on ``image`` halved log2(``scale``) times: patch by patch (``tiles``), or on a small
    photo by the classical estimate in one pass; and a function giving the streak score's two readings
    (``msdunet.focus.streaks``), asked only of the level kept (a blurred photo is read at several)."""
    cells = grid(*reduced_size(*image.size, scale=scale), cells=CELLS)
    small = one_pass_blur(image, cells, scale=scale, tile=TILE, contrast=streaks) if estimator == "classical" else None
    if small is not None:  # a small photo: filtered once, not patch by patch (msdunet.focus.one_pass)
        by_direction, textured, counts = small.blur.by_direction, small.blur.textured, small.blur.counts
        index, contrast, distinct = small.index, small.contrast, None
    else:
        distinct, index = distinct_patches(image, cells, tile=TILE, scale=scale)
        by_direction, textured, counts = estimate_counted(distinct, estimator)
        contrast = None

    def streak_readings() -> tuple[float | None, float | None]:
        patches = distinct if contrast is None else None  # one pass: its contrast is there, its patches not
        noise = None if patches is None else noise_level(patches)  # all patches': the photo's floor
        first = contrast[textured] if patches is None else contrast_by_direction(patches[textured], noise=noise)
        streak = photo_streak(counts[textured], first)  # textured patches only count
        if not _under(streak, SECOND_READING_UNDER):
            return streak, None
        if patches is None:
            patches = distinct_patches(image, cells, tile=TILE, scale=scale)[0]
            noise = noise_level(patches)
        return streak, photo_streak(counts[textured], binned_contrast(patches[textured], noise=noise))

    width, height = image.size
    blur = PixelBlur(
        width=width, height=height, centres=cells.centres * scale,
        by_direction=by_direction[index], textured=textured[index], scale=scale, estimator=estimator,
    )  # fmt: skip
    return blur, streak_readings


def measure_blur(
    image: Image.Image, *, faces: bool = False, estimator: str = ESTIMATOR, streaks: bool = True
) -> PixelBlur:
    """Blur per grid cell of ``image`` (PIL, full size), halving it while the subject's blur is
    beyond what a patch reads reliably; with ``faces``, the largest face's blur too (the ``faces``
    extra: ``msdunet.focus.faces``); ``estimator``: ``classical`` or ``learned``.  With ``streaks``
    the streak score too, and a shaken photo (``PixelBlur.shaken``) has its subject read again
    reduced ``STREAK_REDUCE`` times more, where a streak leaves edges (``streak_px``)."""
    image, scale = judgeable(image), 1
    while True:
        blur, streak_readings = _measure_level(image, scale, estimator, streaks=streaks)
        subject = subject_sigmas(blur)
        beyond = subject is None or subject[0] > RELIABLE_UP_TO
        if not beyond or max(reduced_size(*image.size, scale=scale)) // 2 < SMALLEST_LEVEL:
            break
        scale *= 2
    if streaks:
        first, second = streak_readings()
        blur = replace(blur, streak=first, streak_binned=second)
    if blur.shaken and min(reduced_size(*image.size, scale=scale * STREAK_REDUCE)) >= 2:
        reduced = _measure_level(image, scale * STREAK_REDUCE, estimator)[0]
        sigmas = subject_sigmas(reduced)
        floor = FITTED[estimator]["floor"]
        px = None if sigmas is None else float(calibrated(sigmas[0], floor=floor)) * reduced.scale
        blur = replace(blur, streak_px=px)
    return replace(blur, face=measure_face(image, estimator=estimator)) if faces else blur


def judge(
    blur: PixelBlur,
    *,
    judge_at: int | None = None,
    limit_px: float | None = None,
    map_verdict: str | None = None,
) -> FocusJudgement:
    """The verdict of a measurement (see the module's docstring).  ``map_verdict``, the blur map's
    (``msdunet.focus.classify``: blur relative to the frame), rejects too: a photo is ``blurred``
    when either finds no sharp subject; it is the verdict when nothing has texture to judge.
    ``limit_px`` None: the limit fitted for the estimator that measured ``blur``; ``reason`` says why."""
    judgement = _verdict(blur, judge_at=judge_at, limit_px=limit_px, map_verdict=map_verdict)
    return replace(judgement, reason=reason(judgement, map_verdict=map_verdict))


def _verdict(
    blur: PixelBlur, *, judge_at: int | None, limit_px: float | None, map_verdict: str | None
) -> FocusJudgement:
    """``judge`` but its ``reason``."""
    fitted = FITTED[blur.estimator]
    limit_px = fitted["limit_px"] if limit_px is None else limit_px
    long_side = max(blur.width, blur.height)
    judged_at = long_side if judge_at is None else min(judge_at, long_side)
    face = blur.face
    face_px = None if face is None or face.major is None else float(calibrated(face.major, floor=fitted["floor"]))
    faces = None if face is None else face.count
    sigmas = subject_sigmas(blur) if face_px is None else (face.major, face.minor)
    if sigmas is None:
        return FocusJudgement(
            verdict=map_verdict or "blurred", subject_blur_px=None, judged_blur_px=None, judged_at=judged_at,
            blur_kind=None, sharp_share=None, textured_share=0.0, subject_x=None, subject_y=None, limit_px=limit_px,
            faces=faces, streak=blur.streak,
        )  # fmt: skip
    at_size = judged_at / long_side
    floor = fitted["floor"]
    subject_px = face_px if face_px is not None else float(calibrated(sigmas[0], floor=floor)) * blur.scale
    if face_px is None and blur.shaken and blur.streak_px is not None:
        subject_px = max(subject_px, blur.streak_px)  # the streak's blur where edges across it are left
    judged_px = round(subject_px * at_size, 2)  # decided as reported: verdict_at and the web app read it so
    cells = calibrated(blur.major[blur.textured], floor=floor) * blur.scale * at_size
    sharp_share = float(np.count_nonzero(cells <= limit_px)) / max(1, len(cells))
    cx, cy = face.centre if face_px is not None else blur.centres[subject_cells(blur)].mean(axis=0)
    if judged_px > limit_px or map_verdict == "blurred" or blur.shaken:
        kind = "motion" if blur.shaken else blur_kind(*sigmas, motion_from=fitted["motion_from"])
        verdict = "blurred"
    else:
        verdict, kind = ("sharp" if sharp_share >= SHARP_FROM else "subject in focus"), None
    return FocusJudgement(
        verdict=verdict, subject_blur_px=round(subject_px, 2), judged_blur_px=judged_px,
        judged_at=judged_at, blur_kind=kind, sharp_share=round(sharp_share, 3),
        textured_share=round(float(blur.textured.mean()), 3), subject_x=round(float(cx) / blur.width, 3),
        subject_y=round(float(cy) / blur.height, 3), limit_px=limit_px, faces=faces,
        face_blur_px=None if face_px is None else round(face_px, 2), streak=blur.streak, shaken=blur.shaken,
    )  # fmt: skip


def verdict_at(
    *, verdict: str, judged_blur_px: float | None, map_verdict: str, limit_px: float, shaken: bool = False
) -> str:
    """A judged photo's verdict at another blur limit, from its report columns (what the web app's
    slider does): blurred over the limit, when the map rejects or when shaken (the streak score does
    not depend on the limit); sharp / subject in focus as judged."""
    if shaken:
        return "blurred"
    if judged_blur_px is None:
        return verdict
    if judged_blur_px > limit_px or map_verdict == "blurred":
        return "blurred"
    return "subject in focus" if verdict == "blurred" else verdict


def blur_kind(major: float, minor: float, *, motion_from: float = MOTION_FROM) -> str:
    """``motion`` when the subject's blur is a streak (major / minor ≥ ``motion_from``)."""
    return "motion" if major / max(minor, 1e-3) >= motion_from else "defocus"


@dataclass(frozen=True)
class JudgeOptions:
    """How a verdict is judged: at ``judge_at`` px on the long side (None: full size), sharp up to
    ``limit_px`` (σ at that size; None: the estimator's fitted limit); with ``faces``, on the
    largest face when there is one; blur read by ``estimator`` (``classical`` or ``learned``); with
    ``streaks``, a long shake found by the streak score rejected too (``msdunet.focus.streaks``)."""

    judge_at: int | None = None
    limit_px: float | None = None
    faces: bool = False
    estimator: str = ESTIMATOR
    streaks: bool = True

    @property
    def limit(self) -> float:
        """The limit the verdict uses: ``limit_px``, or the one fitted for the estimator."""
        return FITTED[self.estimator]["limit_px"] if self.limit_px is None else self.limit_px

    def measure(self, image: Image.Image) -> PixelBlur:
        """``measure_blur`` of ``image`` as these options ask (faces, estimator, streaks)."""
        return measure_blur(image, faces=self.faces, estimator=self.estimator, streaks=self.streaks)


DEFAULT_JUDGING = JudgeOptions()


def judge_photo(
    image: Image.Image, *, options: JudgeOptions = DEFAULT_JUDGING, map_verdict: str | None = None
) -> FocusJudgement:
    """``measure_blur`` then ``judge``: the verdict of one decoded photo (PIL, full size)."""
    measured = options.measure(image)
    return judge(measured, judge_at=options.judge_at, limit_px=options.limit_px, map_verdict=map_verdict)
