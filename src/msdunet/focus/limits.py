"""The judgement's constants, importable without NumPy or SciPy (the CLI's --help shows them).

Fitted on synthetic blur of sharp benchmark regions by ``python -m lab pixel_blur``
(reports/pixel_blur.json); tests/test_focus_judge.py checks that the two agree."""

# σ estimate at the judged size that best separates σ ≤ 0.5 px (invisible: keep) from σ ≥ 1 px (soft: reject)
LIMIT_PX = 0.7
GRADIENT_FLOOR = 0.75  # raw σ a perfectly sharp edge reads (reports/pixel_blur.json: floor)
MOTION_FROM = 1.25  # major / minor σ ratio from which a blur is a streak (reports/pixel_blur.json)
