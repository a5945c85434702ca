"""Why a photo got its verdict, in one line a photographer can check against the photo at 100 %.

A row holds two verdicts: the judgement's (``verdict``) and the blur map's own (``map_verdict``,
relative to the frame), and they may disagree: a sharp-looking map with a subject 1 px soft at full
size is ``blurred``.  ``reason`` says which evidence decided, with its numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """What ``judge`` decided from (px at the judged size)."""

    verdict: str
    judged_blur_px: float | None  # None: no texture to judge
    limit_px: float
    judged_at: int
    map_verdict: str | None = None
    shaken: bool = False
    streak: float | None = None
    sharp_share: float | None = None
    sharp_from: float = 0.0


def _map_note(e: Evidence) -> str:
    """Where the blur map (blur relative to the frame) sees it otherwise than the pixels do."""
    if e.map_verdict is None or e.map_verdict == e.verdict or e.map_verdict == "blurred":
        return ""
    if e.verdict == "sharp":  # the map sees blurred areas where the pixels find no texture to count
        return f"; the map alone: {e.map_verdict} (it sees blurred areas the pixels count neither way: no texture left)"
    return f"; the map alone: {e.map_verdict} (blur relative to the frame)"


def reason(evidence: Evidence) -> str:
    """One line: what made the photo ``blurred`` (each cause, '; '), or why it is kept; the pixels'
    reading always, and the map's own verdict where it differs."""
    e = evidence
    if e.judged_blur_px is None:
        return "no texture to judge in pixels" + (": the blur map's verdict" if e.map_verdict else "")
    within = f"subject {e.judged_blur_px:g} px ≤ {e.limit_px:g} px at {e.judged_at} px"
    if e.verdict != "blurred":
        share = "" if e.sharp_share is None else f"{e.sharp_share:.0%} of the textured photo sharp"
        if e.verdict == "sharp":
            return f"{within}; {share}{_map_note(e)}"
        digits = 0 if f"{e.sharp_share:.0%}" != f"{e.sharp_from:.0%}" else 1  # 93.8 % is not "94 % (from 94 %)"
        share, needed = f"{e.sharp_share:.{digits}%}", f"{e.sharp_from:.{digits}%}"
        return f"{within}; only {share} of the textured photo sharp (sharp from {needed}){_map_note(e)}"
    causes = []
    if e.shaken:
        causes.append(f"long shake: the edges across one direction are gone (streak {e.streak:g})")
    if e.judged_blur_px > e.limit_px:
        causes.append(f"subject blur {e.judged_blur_px:g} px > {e.limit_px:g} px at {e.judged_at} px")
    if e.map_verdict == "blurred":
        pixels = "" if e.judged_blur_px > e.limit_px else f" (the pixels alone: {within})"
        causes.append(f"the blur map finds no sharp region of meaningful size{pixels}")
    return "; ".join(causes) + _map_note(e)
