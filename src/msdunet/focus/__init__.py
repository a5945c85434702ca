"""The photographer's judgement of a blur map: is the photo sharp, is its subject in focus, or is it
blurred (``verdict``)."""

from msdunet.focus.verdict import (
    SHARP_FROM,
    SUBJECT_FROM,
    SUMMARY_SIDE,
    VERDICTS,
    FocusSummary,
    classify,
    summarize_focus,
)

__all__ = ["SHARP_FROM", "SUBJECT_FROM", "SUMMARY_SIDE", "VERDICTS", "FocusSummary", "classify", "summarize_focus"]
