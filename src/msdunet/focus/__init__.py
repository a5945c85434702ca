"""The photographer's judgement: how blurred the subject is in pixels of the photo, and whether a
photographer would keep it (``judge``: ``FocusJudgement.verdict``); the blur map's own summary
(``summarize_focus``) says where the sharp region is.

Names are imported from their module when first used, so that ``msdunet.focus.limits`` (the
constants the CLI shows) costs no NumPy or SciPy."""

from __future__ import annotations

import importlib

_FROM = {
    "msdunet.focus.judgement": (
        "BLUR_KINDS", "DEFAULT_JUDGING", "FocusJudgement", "JudgeOptions", "PixelBlur", "judge", "judge_photo",
        "measure_blur", "verdict_at",
    ),
    "msdunet.focus.limits": ("GRADIENT_FLOOR", "LIMIT_PX", "MOTION_FROM"),
    "msdunet.focus.verdict": (
        "SHARP_FROM", "SUBJECT_FROM", "SUMMARY_SIDE", "VERDICTS", "FocusSummary", "classify", "summarize_focus",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'msdunet.focus' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name]), name)
