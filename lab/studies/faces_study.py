"""Faces as the subject (``msdunet detect --faces``): how often a face is found, and whether judging
the face agrees better with what the annotators marked than judging the photo's sharpest region.

    python -m lab faces_study [--data ../shared/data] [--split kim_test]

On CUHK (default: the 200 Kim test photos, never used to fit anything of the judgement), every photo
goes through ``msdunet.focus.faces.find_faces``.  Where a face is found, the mask says whether the
face is blurred (more than half of its box white).  Two judgements are compared with it:
``face``: the largest face's σ within ``LIMIT_PX`` (what ``--faces`` does); ``subject``: the photo's
sharpest region within the limit (the judgement without faces).  Trivial floor: always "sharp".
Writes reports/faces_study.json and .md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.focus import LIMIT_PX, judge, measure_blur
from msdunet.io import read_image, read_mask


def one(sample) -> dict | None:
    image = read_image(sample.image)
    start = time.perf_counter()
    measured = measure_blur(image, faces=True)
    ms = (time.perf_counter() - start) * 1e3
    face = measured.face
    row = {"stem": sample.stem, "faces": face.count, "ms": round(ms, 1)}
    if face.count == 0:
        return row
    x, y, w, h = face.box
    blurred = read_mask(sample.mask)
    truth_blurred = bool(blurred[y : y + h, x : x + w].mean() > 0.5)
    with_face = judge(measured)
    without = judge(replace(measured, face=None))
    row.update(
        truth_blurred=truth_blurred, face_blur_px=with_face.face_blur_px, subject_blur_px=without.subject_blur_px,
        face_says_blurred=with_face.face_blur_px is not None and with_face.face_blur_px > LIMIT_PX,
        subject_says_blurred=without.verdict == "blurred",
    )  # fmt: skip
    return row


def summary(rows: list[dict]) -> dict:
    judged = [r for r in rows if r.get("face_blur_px") is not None]
    truth = np.array([r["truth_blurred"] for r in judged], dtype=bool)
    agree = lambda key: round(float(np.mean(np.array([r[key] for r in judged]) == truth)), 3) if judged else None  # noqa: E731
    return {
        "photos": len(rows),
        "with_faces": sum(1 for r in rows if r["faces"]),
        "faces_judged": len(judged),
        "face_blurred_by_mask": int(truth.sum()),
        "agreement_face": agree("face_says_blurred"),
        "agreement_subject": agree("subject_says_blurred"),
        "agreement_trivial": round(float(np.mean(~truth)), 3) if judged else None,
        "median_ms_with_faces": float(np.median([r["ms"] for r in rows])),
    }


def markdown(report: dict) -> str:
    s = report["summary"]
    lines = [
        "# Faces as the subject", "", f"Written by `python -m lab faces_study` on CUHK {report['split']}.", "",
        f"{s['with_faces']} of {s['photos']} photos have a face found; {s['faces_judged']} with texture to judge, "
        f"{s['face_blurred_by_mask']} of them blurred at the face by the mask.", "",
        "| judgement of the face's photo | agrees with the mask at the face |", "| --- | --- |",
        f"| the largest face (--faces) | {s['agreement_face']} |",
        f"| the sharpest region (no faces) | {s['agreement_subject']} |",
        f"| trivial: always sharp | {s['agreement_trivial']} |", "",
        f"Median time of the measurement with face detection: {s['median_ms_with_faces']} ms per photo.", "",
        "| photo | faces | face blurred (mask) | face σ px | subject σ px |", "| --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for r in report["rows"]:
        if r["faces"]:
            lines.append(f"| {r['stem']} | {r['faces']} | {r.get('truth_blurred', '')} | "
                         f"{r.get('face_blur_px', '')} | {r.get('subject_blur_px', '')} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab faces_study", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    parser.add_argument("--split", default="kim_test", help="a CUHK split (default kim_test)")
    args = parser.parse_args()
    rows = [one(s) for s in dataset_samples("cuhk", args.split, args.data)]
    report = {"split": args.split, "summary": summary(rows), "rows": rows}
    (ROOT / "reports" / "faces_study.json").write_text(json.dumps(report, indent=1) + "\n")
    (ROOT / "reports" / "faces_study.md").write_text(markdown(report))
    print(json.dumps(report["summary"]))


if __name__ == "__main__":
    main()
