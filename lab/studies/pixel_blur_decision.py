"""Which blur estimator is the default: the rule, applied to reports/pixel_blur.json and
reports/judge_speed.json (``python -m lab pixel_blur`` writes it into reports/pixel_blur.md; a test
checks that ``msdunet.focus.limits.ESTIMATOR`` follows it).

The learned estimator is the default only when all five hold, else the classical one stays:

1. **synthetic**: its mean |error| on the held-out synthetic patches is lower than the classical one's;
2. **real photos**: on ``realworld/mxagar_blur300`` the judgement with it keeps at least as many sharp
   photos and rejects at least as many blurred ones, per label, as with the classical one;
3. **sensitivity**, judged at full size (the issue's goals: σ ≥ 2 px rejected, σ ≤ 0.5 px kept): with
   it at least as many photos are rejected at σ ≥ 2 px and at most as many at σ ≤ 0.5 px, per blur kind;
4. **the unit tests' scene**: on the scene of shapes that tests/test_focus_judge.py judges (Gaussian
   σ = 1, 2, 4 px; a straight streak of σ = 3 px at five angles), it reads at least as many of the
   known σ within ±40 % (the tests' tolerance for a streak) as the classical one;
5. **cost**: on the 24 MP photos of reports/judge_speed.json it takes no longer in total.
"""

from __future__ import annotations


def _synthetic(report: dict) -> tuple[str, str, bool]:
    mae = report["synthetic"]["held_out_mae_px"]
    return f"{mae['classical']} px", f"{mae['learned']} px", mae["learned"] < mae["classical"]


def _realworld(report: dict) -> tuple[str, str, bool]:
    confusion = report["realworld"]["confusion"]
    cells = {}
    for estimator in ("classical", "learned"):
        by_label = confusion[f"judgement ({estimator})"]
        cells[estimator] = {label: c["kept" if label == "sharp" else "rejected"] for label, c in by_label.items()}
    said = {e: ", ".join(f"{label} {n}" for label, n in c.items()) for e, c in cells.items()}
    holds = all(cells["learned"][label] >= n for label, n in cells["classical"].items())
    return said["classical"], said["learned"], holds


def _sensitivity(report: dict) -> tuple[str, str, bool]:
    full = [c for c in report["sensitivity"]["curve"] if c["judged_at"] == "full"]
    goal = [c for c in full if c["sigma"] >= 2 or c["sigma"] <= 0.5]
    rejected = {(c["estimator"], c["kind"], c["sigma"]): c["rejected"] for c in goal}
    holds = True
    for (estimator, kind, sigma), n in rejected.items():
        if estimator == "learned":
            classical = rejected[("classical", kind, sigma)]
            holds &= n >= classical if sigma >= 2 else n <= classical
    said = {}
    for estimator in ("classical", "learned"):
        cells = [c for c in goal if c["estimator"] == estimator]
        hit = sum(c["rejected"] for c in cells if c["sigma"] >= 2)
        kept = sum(c["photos"] - c["rejected"] for c in cells if c["sigma"] <= 0.5)
        said[estimator] = (f"σ ≥ 2 rejected {hit}/{sum(c['photos'] for c in cells if c['sigma'] >= 2)}, "
                           f"σ ≤ 0.5 kept {kept}/{sum(c['photos'] for c in cells if c['sigma'] <= 0.5)}")  # fmt: skip
    return said["classical"], said["learned"], holds


def _scene(report: dict) -> tuple[str, str, bool]:
    scene = report["scene"]
    said = {e: f"{n}/{len(scene['rows'])}" for e, n in scene["within"].items()}
    return said["classical"], said["learned"], scene["within"]["learned"] >= scene["within"]["classical"]


def _cost(speed: dict) -> tuple[str, str, bool]:
    rows = [r for r in speed["rows"] if "24 MP" in r["photo"] and "learned_s" in r]
    if not rows:
        return "", "", False
    total = {e: round(sum(r[f"{e}_s"] for r in rows), 3) for e in ("classical", "learned")}
    said = {e: f"{t} s summed over {len(rows)} cases" for e, t in total.items()}
    return said["classical"], said["learned"], total["learned"] <= total["classical"]


CRITERIA = {  # name → (the report's part, its check)
    "held-out synthetic mean error (px)": ("synthetic", _synthetic),
    "realworld: sharp kept, blurred rejected (judgement)": ("realworld", _realworld),
    "sensitivity goals at full size": ("sensitivity", _sensitivity),
    "known blurs on the scene of shapes read within ±40 %": ("scene", _scene),
}


def decision(report: dict, speed: dict | None) -> tuple[list[tuple[str, str, str, bool]], str]:
    """The criteria's rows (name, classical, learned, holds) and the default they give; a part not
    measured holds not."""
    rows = [
        (name, *check(report)) if part in report else (name, "", "", False) for name, (part, check) in CRITERIA.items()
    ]
    rows.append(("cost per 24 MP photo (reports/judge_speed.json)", *(_cost(speed) if speed else ("", "", False))))
    return rows, "learned" if all(row[3] for row in rows) else "classical"
