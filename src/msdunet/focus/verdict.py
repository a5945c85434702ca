"""Is anything in focus?  A per-image summary of a blur map and the verdict a photographer needs.

From a map (P(blurred) per pixel) the summary takes the sharp pixels (P below the threshold), finds
their largest 8-connected region, and reports:

- ``sharp_fraction``: the share of the image that is sharp (at full resolution: 1 − blurred_fraction);
- ``subject_share``: the share of the image covered by the largest sharp region (the subject);
- ``subject_x``, ``subject_y``: that region's centre of mass, as fractions of width and height.

The verdict (``classify``):

- ``sharp``: nearly everything is sharp (``sharp_fraction ≥ SHARP_FROM``);
- ``subject in focus``: a sharp region of meaningful size (``subject_share ≥ SUBJECT_FROM``), the
  rest blurred — a portrait on bokeh, a panning shot;
- ``blurred``: nothing meaningfully sharp — missed focus, camera shake.

Regions are found on the map reduced to ``SUMMARY_SIDE`` pixels on its long side (area average), so
that single-pixel speckle does not split or join subjects and the cost is the same for any photo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

VERDICTS = ("sharp", "subject in focus", "blurred")
# Derived from the ground-truth masks of DUT train and CUHK Kim train by lab/studies/verdict_study.py
# (rule and distributions: reports/verdict_thresholds.json; tests/test_focus.py checks they agree).
SHARP_FROM = 0.94  # sharp_fraction from which the whole photo counts as sharp
SUBJECT_FROM = 0.03  # subject_share from which the largest sharp region counts as a subject
SUMMARY_SIDE = 256
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class FocusSummary:
    sharp_fraction: float
    subject_share: float
    subject_x: float | None  # None when nothing is sharp
    subject_y: float | None
    verdict: str


def classify(
    sharp_fraction: float, subject_share: float, *, sharp_from: float = SHARP_FROM, subject_from: float = SUBJECT_FROM
) -> str:
    """The verdict of a summary's two numbers (thresholds as arguments for tools that re-derive it)."""
    if sharp_fraction >= sharp_from:
        return "sharp"
    if subject_share >= subject_from:
        return "subject in focus"
    return "blurred"


def _reduced(blur: np.ndarray) -> np.ndarray:
    """The map as float in [0, 1], long side at most SUMMARY_SIDE (area average)."""
    if blur.dtype == np.uint8:
        blur = blur.astype(np.float32) / 255.0
    blur = np.asarray(blur, dtype=np.float32)
    h, w = blur.shape
    scale = SUMMARY_SIDE / max(h, w)
    if scale >= 1:
        return blur
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(blur, mode="F").resize(size, Image.Resampling.BOX))


def summarize_focus(blur: np.ndarray, *, threshold: float = 0.5) -> FocusSummary:
    """The focus summary of a blur map (H×W, float P(blurred) in [0, 1] or uint8 levels 0–255)."""
    if blur.ndim != 2 or blur.size == 0:
        raise ValueError(f"a blur map is a non-empty 2-D array, got shape {blur.shape}")
    if blur.dtype == np.uint8:  # levels as saved: P = level / 255, blurred ⇔ level ≥ ceil(255 t)
        sharp_fraction = float(np.count_nonzero(blur < math.ceil(threshold * 255 - 1e-6))) / blur.size
    else:
        sharp_fraction = float(np.count_nonzero(blur < threshold)) / blur.size
    sharp = _reduced(blur) < threshold
    labels, count = ndimage.label(sharp, structure=_EIGHT_CONNECTED)
    if count == 0:
        sharp_fraction = round(sharp_fraction, 4)  # the verdict is that of the numbers reported
        return FocusSummary(
            sharp_fraction=sharp_fraction, subject_share=0.0, subject_x=None, subject_y=None,
            verdict=classify(sharp_fraction, 0.0),
        )  # fmt: skip
    sizes = np.bincount(labels.ravel())[1:]
    largest = int(np.argmax(sizes)) + 1
    subject_share = float(sizes[largest - 1]) / sharp.size
    cy, cx = ndimage.center_of_mass(labels == largest)
    h, w = sharp.shape
    return FocusSummary(
        sharp_fraction=round(sharp_fraction, 4),
        subject_share=round(subject_share, 4),
        subject_x=round(float(cx + 0.5) / w, 3),
        subject_y=round(float(cy + 0.5) / h, 3),
        verdict=classify(round(sharp_fraction, 4), round(subject_share, 4)),  # the verdict of the numbers reported
    )
