"""reports/pixel_blur.md from reports/pixel_blur.json (``python -m lab pixel_blur`` writes both)."""

from __future__ import annotations

from pathlib import Path


def _fit(report: dict) -> list[str]:
    fit, shipped = report["synthetic"]["fit"], report["shipped"]
    lines = ["## Constants fitted on synthetic blur", "", "| constant | fitted | shipped (msdunet.focus.limits) |",
             "| --- | --- | --- |"]  # fmt: skip
    for key in ("floor", "limit_px", "motion_from"):
        lines.append(f"| {key} | {fit[key]} | {shipped[key]} |")
    return [*lines, "", f"Fitted on {fit['patches']} textured patches of the fitting photos.", ""]


def _errors(report: dict) -> list[str]:
    syn = report["synthetic"]
    lines = ["## Error in px on held-out synthetic blur", "",
             f"{syn['patches']['held_out_textured']} textured held-out patches (photos never fitted on). "
             "ours: msdunet.focus.sharpness; classical: one re-blur σ0 = 1.4, median over the patch's edges "
             "(Zhuo & Sim 2011); trivial: the fitting patches' median σ for every patch.", "",
             "| true σ (px) | patches | ours | classical | trivial |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in syn["held_out_error_px"]:
        lines.append(f"| {row['sigma_from']}–{row['sigma_to']} | {row['patches']} | {row['ours']} | "
                     f"{row['classical']} | {row['trivial']} |")  # fmt: skip
    mae = syn["held_out_mae_px"]
    total = syn["patches"]["held_out_textured"]
    kind = f"{syn['held_out_kind_accuracy']} right (trivial: {syn['held_out_kind_trivial']})"
    lines += [f"| all | {total} | {mae['ours']} | {mae['classical']} | {mae['trivial']} |", "",
              f"Blur kind (defocus / motion) on {syn['held_out_kind_patches']} held-out patches blurred by "
              f"σ ≥ 1 px: {kind}.", ""]  # fmt: skip
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
    lines += ["", "judgement: the verdict detect reports (rejected when the pixels or the map reject); pixels: the "
              "pixel-scale judgement alone; map: the blur map's verdict alone (the previous default)."]  # fmt: skip
    rejected = [p for p in rw["photos"] if p["label"] in ("defocus", "motion") and p["verdict"] == "blurred"]
    if rejected:
        right = sum(1 for p in rejected if p["blur_kind"] == p["label"])
        lines += ["", f"blur_kind names the label's kind (defocus / motion) for {right} of the {len(rejected)} "
                  "blurred photos rejected."]  # fmt: skip
    lines += ["", "| photo | label | σ px | kind | verdict | map |", "| --- | --- | --- | --- | --- | --- |"]
    for p in rw["photos"]:
        lines.append(f"| {p['file']} | {p['label']} | {p['subject_blur_px']} | {p['blur_kind'] or ''} | "
                     f"{p['verdict']} | {p['map_verdict']} |")  # fmt: skip
    return [*lines, ""]


def _sensitivity(report: dict) -> list[str]:
    if "sensitivity" not in report:
        return []
    sens = report["sensitivity"]
    lines = ["## Sensitivity: sharp photos blurred at full size", "",
             f"{len(sens['photos'])} photos: {', '.join(sens['photos'])}.", "",
             "| blur | σ (px) | judged at | share rejected | by pixels alone |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for c in sens["curve"]:
        share = f"{c['share_rejected']} ({c['rejected']}/{c['photos']})"
        alone = f"{c['share_rejected_by_pixels']} ({c['rejected_by_pixels']}/{c['photos']})"
        lines.append(f"| {c['kind']} | {c['sigma']} | {c['judged_at']} | {share} | {alone} |")
    return [*lines, ""]


def write_markdown(report: dict, path: Path) -> None:
    head = ["# Blur in pixels: fit, error, real photos", "", "Written by `python -m lab pixel_blur` "
            "(after `python -m lab pixel_blur_data`); numbers from reports/pixel_blur.json.", ""]  # fmt: skip
    body = _fit(report) + _errors(report) + _confusion(report, "realworld") + _sensitivity(report)
    path.write_text("\n".join(head + body))
