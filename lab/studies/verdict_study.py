"""Where the focus verdict's thresholds come from, and how often the model's verdict matches the mask's.

    python -m lab verdict_study [--data ../shared/data] [--thresholds-only]

1. **Thresholds** (``reports/verdict_thresholds.json``).  Every mask of DUT train (600) and CUHK Kim
   train (800) is summarised as a map would be (``msdunet.focus.summarize_focus``: sharp fraction,
   share of the largest 8-connected sharp region).  These benchmarks were collected as *partially*
   blurred photos: an annotator drew a sharp region and a blurred one in (nearly) every image, so
   nearly every mask is, in a person's words, "has a subject in focus".  The thresholds are put at
   the tails of that population: ``SUBJECT_FROM`` is the ``TAIL`` quantile of the subject share
   (the smallest regions annotators still drew as the sharp subject), rounded down to 0.01, and
   ``SHARP_FROM`` the ``1 − TAIL`` quantile of the sharp fraction (beyond it the blurred part is
   smaller than in all but ``TAIL`` of the photos people marked as partly blurred), rounded up to
   0.01.  ``TAIL`` is 1 %: at most about 1 % of the annotated photos fall outside "subject in focus"
   on either side.  ``msdunet/focus.py`` holds the same two numbers (a test checks it).
2. **Confusion** (``reports/verdict_confusion.{md,json}``).  On DUT test (500) and CUHK Kim test (200)
   the default shipped model runs as ``msdunet detect`` runs it (``run_batch``, default working size,
   threshold 0.5, maps at the photo's size); the verdict of each report row is compared with the
   verdict of the image's mask.  Maps are kept in ``--work`` and reused (``skip_existing``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.focus import VERDICTS, classify, summarize_focus
from msdunet.io import read_mask

TAIL = 0.01
TRAIN = {"DUT train (600)": ("dut", "train"), "CUHK Kim train (800)": ("cuhk", "kim_train")}
TEST = {"DUT test (500)": ("dut", "test"), "CUHK Kim test (200)": ("cuhk", "kim_test")}
QUANTILES = (0.0, 0.01, 0.02, 0.05, 0.5, 0.95, 0.98, 0.99, 1.0)


def mask_summaries(dataset: str, split: str, data: str) -> dict[str, tuple[float, float]]:
    """(sharp fraction, subject share) of every mask of a split, by stem."""
    found = {}
    for sample in dataset_samples(dataset, split, data):
        focus = summarize_focus(read_mask(sample.mask).astype(np.float32))
        found[sample.stem] = (focus.sharp_fraction, focus.subject_share)
    return found


def derive(data: str, tail: float = TAIL) -> dict:
    """The two thresholds from the training masks, with the distributions they come from."""
    per_set = {name: mask_summaries(*split, data) for name, split in TRAIN.items()}
    both = [v for summaries in per_set.values() for v in summaries.values()]
    sharp = np.array([s for s, _ in both])
    subject = np.array([t for _, t in both])
    subject_from = math.floor(float(np.quantile(subject, tail)) * 100) / 100
    sharp_from = math.ceil(float(np.quantile(sharp, 1 - tail)) * 100) / 100
    stats = {}
    for name, summaries in per_set.items():
        s = np.array([v[0] for v in summaries.values()])
        t = np.array([v[1] for v in summaries.values()])
        verdicts = [classify(a, b, sharp_from=sharp_from, subject_from=subject_from) for a, b in summaries.values()]
        stats[name] = {
            "masks": len(summaries),
            "sharp_fraction_quantiles": {str(q): round(float(np.quantile(s, q)), 4) for q in QUANTILES},
            "subject_share_quantiles": {str(q): round(float(np.quantile(t, q)), 4) for q in QUANTILES},
            "verdicts": {v: verdicts.count(v) for v in VERDICTS},
        }
    return {
        "sharp_from": sharp_from,
        "subject_from": subject_from,
        "tail": tail,
        "rule": (
            f"SUBJECT_FROM = the {tail:g} quantile of the masks' subject share, rounded down to 0.01; "
            f"SHARP_FROM = the {1 - tail:g} quantile of their sharp fraction, rounded up to 0.01 "
            "(DUT train + CUHK Kim train pooled)"
        ),
        "train": stats,
    }


def confusion(data: str, work: Path, thresholds: dict) -> dict:
    """Per test set: the model's verdict (detect's report rows) against the verdict of the mask."""
    from msdunet.detect import run_batch
    from msdunet.inference.detector import BlurDetector, describe
    from msdunet.io import Found

    detector = BlurDetector()
    cut = {"sharp_from": thresholds["sharp_from"], "subject_from": thresholds["subject_from"]}
    sets = {}
    for name, (dataset, split) in TEST.items():
        samples = dataset_samples(dataset, split, data)
        found = [Found(s.image, Path(s.image.name)) for s in samples]
        rows = run_batch(detector, found, work / f"{dataset}_{split}", with_overlay=False, skip_existing=True)
        matrix = {g: dict.fromkeys(VERDICTS, 0) for g in VERDICTS}
        failed, disagree = [], []
        for sample, row in zip(samples, rows, strict=True):
            if row.error:
                failed.append(row.error)
                continue
            gt = summarize_focus(read_mask(sample.mask).astype(np.float32))
            truth = classify(gt.sharp_fraction, gt.subject_share, **cut)
            predicted = classify(row.sharp_fraction, row.subject_share, **cut)
            matrix[truth][predicted] += 1
            if truth != predicted:
                disagree.append({
                    "stem": sample.stem, "mask": truth, "model": predicted,
                    "mask_sharp_fraction": gt.sharp_fraction, "mask_subject_share": gt.subject_share,
                    "model_sharp_fraction": row.sharp_fraction, "model_subject_share": row.subject_share,
                })  # fmt: skip
        n = sum(sum(r.values()) for r in matrix.values())
        truth_counts = {g: sum(matrix[g].values()) for g in VERDICTS}
        predicted_counts = {p: sum(matrix[g][p] for g in VERDICTS) for p in VERDICTS}
        majority = max(truth_counts, key=truth_counts.get)
        sets[name] = {
            "images": n,
            "failed": failed,
            "matrix": matrix,
            "agreement": round(sum(matrix[v][v] for v in VERDICTS) / n, 3),
            "floor_agreement": round(truth_counts[majority] / n, 3),
            "floor_verdict": majority,
            "truth_counts": truth_counts,
            "predicted_counts": predicted_counts,
            "recall": {v: round(matrix[v][v] / truth_counts[v], 3) if truth_counts[v] else None for v in VERDICTS},
            "disagreements": disagree,
        }
        present = [v for v in VERDICTS if truth_counts[v]]
        sets[name]["balanced_agreement"] = round(sum(matrix[v][v] / truth_counts[v] for v in present) / len(present), 3)
        sets[name]["floor_balanced_agreement"] = round(1 / len(present), 3)
    return {"model": describe(detector), "thresholds": cut, "sets": sets}


def markdown(thresholds: dict, result: dict) -> str:
    lines = [
        "# Focus verdicts: thresholds from the training masks, agreement on the test sets",
        "",
        "`python -m lab verdict_study` (maps as `msdunet detect` makes them, default model, threshold 0.5).",
        "",
        f"**Thresholds**: SHARP_FROM = {thresholds['sharp_from']}, SUBJECT_FROM = {thresholds['subject_from']}. "
        f"Rule: {thresholds['rule']}. The benchmarks were collected as partly blurred photos, so nearly every "
        "mask has a sharp subject and blur around it; the thresholds sit at the 1 % tails of that population.",
        "",
        "| training masks | sharp fraction q01 / q50 / q99 / max | subject share min / q01 / q50 | "
        "sharp | subject in focus | blurred |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in thresholds["train"].items():
        sf, ss, v = s["sharp_fraction_quantiles"], s["subject_share_quantiles"], s["verdicts"]
        lines.append(
            f"| {name} | {sf['0.01']} / {sf['0.5']} / {sf['0.99']} / {sf['1.0']} | "
            f"{ss['0.0']} / {ss['0.01']} / {ss['0.5']} | {v['sharp']} | {v['subject in focus']} | {v['blurred']} |"
        )
    lines += [
        "",
        f"Model: {result['model']}.",
        "",
        "Read with care: the test sets, like the training sets, hold nearly only partly blurred photos, so "
        "`subject in focus` dominates the masks' verdicts and always answering it is a strong floor for the "
        "plain agreement. The balanced agreement weighs each verdict the masks have equally; its floor is "
        "one over their number. DUT test 181's mask is broken (all white, though the photo has a sharp region; "
        "see the data README), so its mask's verdict `blurred` is wrong.",
        "",
    ]
    for name, s in result["sets"].items():
        lines += [
            f"## {name}",
            "",
            f"Agreement **{s['agreement']}** ({s['images']} images); floor (always `{s['floor_verdict']}`): "
            f"{s['floor_agreement']}. Balanced agreement (mean recall over the verdicts the masks have): "
            f"**{s['balanced_agreement']}**, floor {s['floor_balanced_agreement']}.",
            "",
            "| mask's verdict ↓ / model's → | " + " | ".join(VERDICTS) + " | images | recall |",
            "|---|" + "---|" * (len(VERDICTS) + 2),
        ]
        for g in VERDICTS:
            recall = "–" if s["recall"][g] is None else s["recall"][g]
            cells = " | ".join(str(s["matrix"][g][p]) for p in VERDICTS)
            lines.append(f"| {g} | {cells} | {s['truth_counts'][g]} | {recall} |")
        lines.append("| model's count | " + " | ".join(str(s["predicted_counts"][p]) for p in VERDICTS) + " | | |")
        if s["disagreements"]:
            cases = ", ".join(f"{d['stem']} ({d['mask']} → {d['model']})" for d in s["disagreements"])
            lines += ["", f"Disagreements (mask → model; numbers in the .json): {cases}."]
        if s["failed"]:
            lines += ["", f"Failed: {len(s['failed'])} ({'; '.join(s['failed'][:3])})"]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--work", type=Path, default=ROOT / "cache" / "verdict_study", help="maps (reused)")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--thresholds-only", action="store_true", help="derive and write the thresholds only")
    args = parser.parse_args()
    args.reports.mkdir(parents=True, exist_ok=True)
    thresholds = derive(args.data)
    (args.reports / "verdict_thresholds.json").write_text(json.dumps(thresholds, indent=1) + "\n")
    print(f"SHARP_FROM = {thresholds['sharp_from']}\nSUBJECT_FROM = {thresholds['subject_from']}")
    if args.thresholds_only:
        return
    result = confusion(args.data, args.work, thresholds)
    (args.reports / "verdict_confusion.json").write_text(json.dumps({**result, "derivation": thresholds}, indent=1))
    (args.reports / "verdict_confusion.md").write_text(markdown(thresholds, result))
    for name, s in result["sets"].items():
        print(f"{name}: agreement {s['agreement']} (floor {s['floor_agreement']})")


if __name__ == "__main__":
    main()
