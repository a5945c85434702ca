"""reports/bursts.md from reports/bursts.json (``python -m lab bursts_study``)."""

from __future__ import annotations

from pathlib import Path


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _grouping(report: dict) -> list[str]:
    syn, real = report["synthetic"], report["realworld"]
    d, r, alone = syn["default"], real["default"], syn["ranking_alone"]
    lines = [
        "## Grouping and ranking",
        "",
        f"At the shipped `SIMILAR_FROM` = {report['similar_from']} (`--gap` {report['gap_s']} s; no EXIF times "
        "here, so file order and the look alone decide):",
        "",
        "| material | scenes | grouped exactly | groups mixing scenes | scenes split | sharpest ranked first |",
        "|---|---|---|---|---|---|",
        f"| synthetic bursts ({syn['shots']} shots) | {d['scenes']} | {d['exact']} ({_pct(d['share_exact'])}) | "
        f"{d['mixed_groups']} | {d['split_scenes']} | {d['sharpest_first']} ({_pct(d['share_sharpest_first'])}) |",
        f"| real scenes, mxagar_blur300 | {r['scenes']} | {r['exact']} | {r['mixed_groups']} | {r['split_scenes']} | "
        f"{r['sharpest_first']} |",
        "",
        '"Sharpest ranked first" counts a scene only when it is grouped exactly and its sharpest shot is rank 1.',
        f"Ranking alone (each true scene ranked by `subject_blur_px`, ties to `sharp_share`): the sharpest first "
        f"in {alone['sharpest_first']} of {alone['scenes']} synthetic scenes ({_pct(alone['share'])}). By the σ gap "
        "between the sharpest shot and the next:",
        "",
        "| σ gap, px | scenes | sharpest first |",
        "|---|---|---|",
    ]
    for gap, v in alone["by_gap"].items():
        lines.append(f"| {gap} | {v['scenes']} | {v['sharpest_first']} ({_pct(v['sharpest_first'] / v['scenes'])}) |")
    lines += ["", "Threshold sweep (synthetic / real: scenes grouped exactly; mixed groups):", ""]
    lines += ["| SIMILAR_FROM | synthetic exact | synthetic mixed | real exact | real mixed |", "|---|---|---|---|---|"]
    for s, q in zip(syn["sweep"], real["sweep"], strict=True):
        lines.append(
            f"| {s['similar_from']} | {s['exact']} | {s['mixed_groups']} | {q['exact']} | {q['mixed_groups']} |"
        )
    lines += ["", "Real scenes, as ranked (file, rank, subject_blur_px, sharp_share):", ""]
    lines += [f"- {name}: rank {rank}, {blur} px, {share}" for name, rank, blur, share in real["rows"]]
    return lines


def _likeness(report: dict) -> list[str]:
    like = report["likeness"]
    pairs = ", ".join(f"{k} {v}" for k, v in like["pairs"].items())
    lines = [
        "## Which likeness",
        "",
        f"Pairs: {pairs}. AUC: the chance an alike pair scores above a different one; balanced accuracy at the "
        "best threshold for that measure (chosen on these very pairs: optimistic).",
        "",
        "| measure | AUC | best balanced accuracy | AUC, real scenes | best balanced accuracy, real |",
        "|---|---|---|---|---|",
    ]
    for name, m in like["measures"].items():
        lines.append(
            f"| {name} | {m['auc']:.3f} | {m['best']['balanced_accuracy']:.3f} | {m['auc_real']:.3f} | "
            f"{m['best_real']['balanced_accuracy']:.3f} |"
        )
    lines += ["", "Random pairs of different DUT photos (all 320 × 320) that look alike, by threshold:", ""]
    for name, by in like["dut_random_alike_by_threshold"].items():
        lines.append(f"- {name} thumbnails: " + ", ".join(f"≥ {t}: {_pct(v)}" for t, v in by.items()))
    lines.append("")
    return lines


def _video_timing(report: dict) -> list[str]:
    lines = []
    if "video" in report:
        v = report["video"]
        lines += [
            "## Video: `msdunet frames`",
            "",
            f"{v['windows']} windows of 1 s, {v['fps']} fps, {v['size'][0]} × {v['size'][1]}, {v['codec']}; one sharp "
            f"frame per window, the others σ 0.8–3 px: the sharp frame picked in {v['right']} of {v['windows']} "
            f"windows ({_pct(v['share'])}); {v['seconds']} s for {v['frames']} frames "
            f"({v['ms_per_frame']} ms a frame).",
            "",
        ]
    if "timing" in report:
        t = report["timing"]
        lines += [
            "## Time for 1000 photos",
            "",
            f"{t['photos']} JPEGs of {t['size'][0]} × {t['size'][1]} ({t['mean_mb']} MB on average) with an EXIF time "
            f"and thumbnail, in the OS cache: `msdunet cull OUT --into DIR --link` {t['cull_link_s']} s, "
            f"with `--bursts` {t['cull_link_bursts_s']} s: **{t['added_s']} s added** "
            f"(`find_bursts` alone {t['find_bursts_s']} s; "
            f"{t['groups']} groups found of {t['expected_groups']} made). Without EXIF thumbnails (each JPEG "
            f"draft-decoded at 1/8): {t['no_thumbnail_s']} s for {t['no_thumbnail_photos']} photos, "
            f"{t['no_thumbnail_s_per_1000']} s per 1000.",
            "",
        ]
    if "memory" in report:
        m = report["memory"]
        runs = "; ".join(
            f"{r['seconds']} s ({r['frames']} frames): {r['max_rss_mb']} MB, {r['wall_s']} s" for r in m["runs"]
        )
        lines += [
            "## Memory of a long video",
            "",
            f"`msdunet frames` in a fresh process on {m['size'][0]} × {m['size'][1]} videos at {m['fps']} fps, "
            f"`--every {m['every_s']} --judge-fps {m['judge_fps']}`, peak resident memory: {runs}.",
            "",
        ]
    return lines


def write_markdown(report: dict, path: Path) -> None:
    head = [
        "# Bursts and video frames",
        "",
        "Written by `python -m lab bursts_study` (lab/studies/bursts_study.py); the numbers are in bursts.json.",
        "",
    ]
    path.write_text("\n".join(head + _grouping(report) + [""] + _likeness(report) + _video_timing(report)))
