"""reports/pixel_blur.md from reports/pixel_blur.json (``python -m lab pixel_blur`` writes both)."""

from __future__ import annotations

from pathlib import Path

from lab.studies.pixel_blur_decision import decision
from lab.studies.pixel_blur_streaks_markdown import markdown as streak_markdown

ESTIMATES = ("learned", "classical", "zhuo_sim", "trivial")
NAMES = {"learned": "learned", "classical": "classical (shipped)", "zhuo_sim": "Zhuo & Sim", "trivial": "trivial"}


def _fit(report: dict) -> list[str]:
    fit, shipped = report["synthetic"]["fit"], report["shipped"]
    lines = ["## Constants fitted on synthetic blur", "",
             "| estimator | constant | fitted | shipped (msdunet.focus.limits) |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    for estimator, fitted in fit.items():
        for key in ("floor", "limit_px", "motion_from"):
            lines.append(f"| {estimator} | {key} | {fitted[key]} | {shipped['fitted'][estimator][key]} |")
    patches = next(iter(fit.values()))["patches"]
    return [*lines, "", f"Fitted on {patches} textured patches of the fitting photos. The default estimator: "
            f"`{shipped['estimator']}`.", ""]  # fmt: skip


def _table(rows: list[dict], first: str, label) -> list[str]:
    head = " | ".join(NAMES[k] for k in ESTIMATES)
    lines = [f"| {first} | patches | {head} |", "| --- " * (len(ESTIMATES) + 2) + "|"]
    for row in rows:
        lines.append(f"| {label(row)} | {row['patches']} | " + " | ".join(str(row.get(k)) for k in ESTIMATES) + " |")
    return lines


def _errors(report: dict) -> list[str]:
    syn = report["synthetic"]
    lines = ["## Error in px on held-out synthetic blur", "",
             f"{syn['patches']['held_out_textured']} textured held-out patches (photos never fitted or trained on): "
             "mean |error| of σ_major in px. learned: msdunet.focus.learned (a small CNN, trained by `python -m lab "
             "pixel_blur_train`); classical: msdunet.focus.sharpness; Zhuo & Sim: one re-blur σ0 = 1.4, median over "
             "the patch's edges (Zhuo & Sim 2011); trivial: the fitting patches' median σ for every patch.",
             ""]  # fmt: skip
    lines += _table(syn["held_out_error_px"], "true σ (px)", lambda r: f"{r['sigma_from']}–{r['sigma_to']}")
    mae = syn["held_out_mae_px"]
    lines.append(
        f"| all | {syn['patches']['held_out_textured']} | " + " | ".join(str(mae[k]) for k in ESTIMATES) + " |"
    )
    lines += ["", "Per kernel kind:", ""]
    lines += _table(syn["held_out_error_by_kind_px"], "kernel", lambda r: r["kind"])
    right = syn["held_out_kind_accuracy"]
    said = ", ".join(f"{name} {right[name]}" for name in right)
    lines += ["", f"Blur kind (defocus / motion) on {syn['held_out_kind_patches']} held-out patches blurred by "
              f"σ ≥ 1 px, share right: {said} (trivial: {syn['held_out_kind_trivial']}).", ""]  # fmt: skip
    if "held_out_limit_accuracy" in syn:
        split = ", ".join(f"{name} {v}" for name, v in syn["held_out_limit_accuracy"].items())
        lines += ["Keep (σ ≤ 0.5 px) or reject (σ ≥ 1 px) at each estimator's fitted limit_px, held-out patches, "
                  f"balanced accuracy: {split} (trivial: 0.5).", ""]  # fmt: skip
    return lines


def _confusion(report: dict, part: str) -> list[str]:
    if part not in report:
        return []
    rw = report[part]
    labels = list(next(iter(rw["confusion"].values())))
    head = " | ".join(f"{label} {'kept' if label == 'sharp' else 'rejected'}" for label in labels)
    lines = [f"## Real photos: {rw['folder']} (never fitted on)", "", f"| rule | {head} |",
             "| --- " * (len(labels) + 1) + "|"]  # fmt: skip
    for rule, by_label in rw["confusion"].items():
        cells = [f"{c['kept' if label == 'sharp' else 'rejected']}/{c['kept'] + c['rejected']}"
                 for label, c in by_label.items()]  # fmt: skip
        lines.append(f"| {rule} | {' | '.join(cells)} |")
    lines += ["", "judgement: the verdict detect reports with that estimator (rejected when the pixels, the streak "
              "rule or the map reject); pixels: the pixel-scale judgement alone (blur in px and the streak rule); "
              "judgement --no-streaks: without the streak rule (detect --no-streaks); map: the blur map's verdict "
              "alone."]  # fmt: skip
    estimators = [k for k in ("classical", "learned") if k in rw["photos"][0]]
    for estimator in estimators:
        rejected = [p[estimator] | {"label": p["label"]} for p in rw["photos"] if p["label"] in ("defocus", "motion")]
        rejected = [p for p in rejected if p["verdict"] == "blurred"]
        right = sum(1 for p in rejected if p["blur_kind"] == p["label"])
        lines += ["", f"{estimator}: blur_kind names the label's kind (defocus / motion) for {right} of the "
                  f"{len(rejected)} blurred photos rejected."]  # fmt: skip
    head = " | ".join(f"σ px ({e}) | kind ({e}) | verdict ({e})" for e in estimators)
    lines += ["", f"| photo | label | streak: first / second | {head} | map |",
              "| --- " * (4 + 3 * len(estimators)) + "|"]  # fmt: skip
    for p in rw["photos"]:
        cells = " | ".join(
            f"{p[e]['subject_blur_px']} | {p[e]['blur_kind'] or ''} | {p[e]['verdict']}" for e in estimators
        )
        first, second = p[estimators[0]].get("streak"), p[estimators[0]].get("streak_binned")
        streak = ("" if first is None else f"{first}") + ("" if second is None else f" / {second}")
        lines.append(f"| {p['file']} | {p['label']} | {streak} | {cells} | {p['map_verdict']} |")
    return [*lines, ""]


def _scene(report: dict) -> list[str]:
    if "scene" not in report:
        return []
    scene = report["scene"]
    lines = ["## Known blur on a scene of shapes", "",
             "The scene of random rectangles and ellipses that tests/test_focus_judge.py judges (1024 px, light noise, "
             "JPEG q92), blurred by known kernels; the subject's σ in px as each estimator reads it.", "",
             "| kernel | σ (px) | angle (°) | classical | learned |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in scene["rows"]:
        angle = "" if r["angle"] is None else r["angle"]
        lines.append(f"| {r['kind']} | {r['sigma']} | {angle} | {r['classical']} | {r['learned']} |")
    within = ", ".join(f"{e} {n}/{len(scene['rows'])}" for e, n in scene["within"].items())
    return [*lines, "", f"Within ±{round(scene['tolerance'] * 100)} % of the true σ: {within}.", ""]


def _sensitivity(report: dict) -> list[str]:
    if "sensitivity" not in report:
        return []
    sens = report["sensitivity"]
    lines = ["## Sensitivity: sharp photos blurred at full size", "",
             f"{len(sens['photos'])} photos: {', '.join(sens['photos'])}.", "",
             "| estimator | blur | σ (px) | judged at | share rejected | by pixels alone |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for c in sens["curve"]:
        share = f"{c['share_rejected']} ({c['rejected']}/{c['photos']})"
        alone = f"{c['share_rejected_by_pixels']} ({c['rejected_by_pixels']}/{c['photos']})"
        lines.append(f"| {c['estimator']} | {c['kind']} | {c['sigma']} | {c['judged_at']} | {share} | {alone} |")
    return [*lines, ""]


def _decision(report: dict, speed: dict | None) -> list[str]:
    rows, default = decision(report, speed)
    lines = ["## Which estimator is the default", "",
             "The learned one only when all of these hold (lab/studies/pixel_blur_decision.py), else the classical "
             "one.",
             "", "| criterion | classical | learned | holds |", "| --- | --- | --- | --- |"]  # fmt: skip
    lines += [
        f"| {name} | {classical} | {learned} | {'yes' if holds else 'no'} |" for name, classical, learned, holds in rows
    ]
    shipped = report["shipped"]["estimator"]
    return [*lines, "", f"The rule gives `{default}`; msdunet.focus.limits.ESTIMATOR is `{shipped}`.", ""]


def write_markdown(report: dict, path: Path, *, speed: dict | None = None) -> None:
    """The report's markdown; ``speed``: reports/judge_speed.json, for the cost criterion."""
    head = ["# Blur in pixels: fit, error, real photos", "", "Written by `python -m lab pixel_blur` "
            "(after `python -m lab pixel_blur_data`); numbers from reports/pixel_blur.json.", ""]  # fmt: skip
    body = _fit(report) + _errors(report) + streak_markdown(report.get("streaks")) + _scene(report)
    body += _confusion(report, "realworld") + _sensitivity(report)
    path.write_text("\n".join(head + body + _decision(report, speed)))
