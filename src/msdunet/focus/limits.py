"""The judgement's constants, importable without NumPy or SciPy (the CLI's --help shows them).

Fitted on synthetic blur of sharp benchmark regions by ``python -m lab pixel_blur``
(reports/pixel_blur.json), once per blur estimator: ``classical`` (``msdunet.focus.sharpness``: the
gradient ratio after a known re-blur) and ``learned`` (``msdunet.focus.learned``: a small CNN);
tests/test_focus_judge.py checks that they agree with the report."""

ESTIMATORS = ("classical", "learned")
ESTIMATOR = "classical"  # the default: what the rule of reports/pixel_blur.md gives (lab/studies/pixel_blur_decision)

# floor: raw σ a perfectly sharp edge reads, taken off every estimate (σ² − floor²);
# limit_px: the σ estimate at the judged size that best separates σ ≤ 0.5 px (invisible: keep) from
# σ ≥ 1 px (soft: reject); motion_from: major / minor σ ratio from which a blur is a streak
FITTED = {
    "classical": {"floor": 0.75, "limit_px": 0.7, "motion_from": 1.25},
    "learned": {"floor": 0.0, "limit_px": 0.75, "motion_from": 1.3},
}

LIMIT_PX = FITTED[ESTIMATOR]["limit_px"]  # the default --limit-px
GRADIENT_FLOOR = FITTED["classical"]["floor"]  # the classical estimate's floor (faces are measured so)
MOTION_FROM = FITTED[ESTIMATOR]["motion_from"]

# streak_below: msdunet.focus.streaks' score under which a photo is shaken (edges across one direction
# erased), fitted on synthetic shake of whole fitting photos (reports/pixel_blur.json, part "streaks")
STREAK_BELOW = 0.2
# streak_binned_below: the same for the score's second reading (contrast binned by direction on the photo
# smoothed), fitted on the same photos on its own; a photo is shaken when both readings are under
STREAK_BINNED_BELOW = 0.3
