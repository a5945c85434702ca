"""Why a photo got its verdict, in one line a photographer can check against the photo at 100 %.

A row holds two verdicts: the judgement's (``verdict``) and the blur map's own (``map_verdict``,
relative to the frame), and they may disagree: a sharp-looking map with a subject 1 px soft at full
size is ``blurred``.  ``reason`` says which evidence decided, with its numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msdunet.focus.verdict import SHARP_FROM

if TYPE_CHECKING:
    from msdunet.focus.judgement import FocusJudgement


def _map_note(e: FocusJudgement, map_verdict: str | None) -> str:
    """Where the blur map (blur relative to the frame) sees it otherwise than the pixels do."""
    if map_verdict is None or map_verdict == e.verdict or map_verdict == "blurred":
        return ""
    if e.verdict == "sharp":  # the map sees blurred areas where the pixels find no texture to count
        return f"; the map alone: {map_verdict} (it sees blurred areas the pixels count neither way: no texture left)"
    return f"; the map alone: {map_verdict} (blur relative to the frame)"


def reason(judgement: FocusJudgement, *, map_verdict: str | None = None) -> str:
    """One line: what made the photo ``blurred`` (each cause, '; '), or why it is kept; the pixels'
    reading always, and the map's own verdict (``map_verdict``) where it differs."""
    e = judgement
    if e.judged_blur_px is None:
        return "no texture to judge in pixels" + (": the blur map's verdict" if map_verdict else "")
    within = f"subject {e.judged_blur_px:g} px ≤ {e.limit_px:g} px at {e.judged_at} px"
    if e.verdict != "blurred":
        share = "" if e.sharp_share is None else f"{e.sharp_share:.0%} of the textured photo sharp"
        if e.verdict == "sharp":
            return f"{within}; {share}{_map_note(e, map_verdict)}"
        digits = 0 if f"{e.sharp_share:.0%}" != f"{SHARP_FROM:.0%}" else 1  # 93.8 % is not "94 % (from 94 %)"
        share, needed = f"{e.sharp_share:.{digits}%}", f"{SHARP_FROM:.{digits}%}"
        return f"{within}; only {share} of the textured photo sharp (sharp from {needed}){_map_note(e, map_verdict)}"
    causes = []
    if e.shaken:
        causes.append(f"long shake: the edges across one direction are gone (streak {e.streak:g})")
    if e.judged_blur_px > e.limit_px:
        causes.append(f"subject blur {e.judged_blur_px:g} px > {e.limit_px:g} px at {e.judged_at} px")
    if map_verdict == "blurred":
        pixels = "" if e.judged_blur_px > e.limit_px else f" (the pixels alone: {within})"
        causes.append(f"the blur map finds no sharp region of meaningful size{pixels}")
    return "; ".join(causes) + _map_note(e, map_verdict)
