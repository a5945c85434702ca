"""The engines side by side on DUT test (500) and CUHK Kim test (200): onnxruntime fp32 on the shipped
graph (detect's default engine since issue 22), PyTorch with bf16 autocast (the default before, on
CPUs with native bf16) and PyTorch fp32 — the scores under both protocols beside the floor, and how
far the maps move from one engine to another.

    python -m lab engines_check [--data ../shared/data] [--limit N]

Each image is decoded once and shown to the three detectors (``BlurDetector.paper_protocol``: the
256 square detect shows the network too); their maps are scored as ``msdunet evaluate`` scores them.
Map differences, per pair of engines, over every pixel of every map: the largest |ΔP|, the mean |ΔP|,
the share of pixels on the other side of 0.5, and the images whose map verdict
(``msdunet.focus.summarize_focus``) differs.  torch fp32 against torch bf16 is the difference bf16 was
accepted at (reports/accuracy_bf16.md; over 24 MP photos reports/camera_folder.md).  Writes
reports/engines.{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.focus import summarize_focus
from msdunet.inference.detector import BlurDetector, describe
from msdunet.io import read_image, read_mask
from msdunet.scoring.evaluate import floor_results, score_pairs
from msdunet.scoring.metrics import SCORE_KEYS, to_uint8_map

SETS = {"DUT test": ("dut", "test"), "Kim test": ("cuhk", "kim_test")}
ENGINES = {
    "onnx fp32 (detect's default)": {"backend": "onnx"},
    "torch bf16 (the default before)": {"backend": "torch", "bf16": True},
    "torch fp32": {"backend": "torch", "bf16": False},
}
SHOWN = ("maxF", "meanF", "MAE", "fixedF", "fixedMAE")


class Differences:
    """Running map differences between two engines."""

    def __init__(self) -> None:
        self.largest, self.total, self.pixels, self.crossed, self.verdicts, self.images = 0.0, 0.0, 0, 0, 0, 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        diff = np.abs(a - b)
        self.largest = max(self.largest, float(diff.max()))
        self.total += float(diff.sum(dtype=np.float64))
        self.pixels += diff.size
        self.crossed += int(np.count_nonzero((a >= 0.5) != (b >= 0.5)))
        self.verdicts += summarize_focus(a).verdict != summarize_focus(b).verdict
        self.images += 1

    def row(self) -> dict:
        return {"largest": _sig(self.largest), "mean": _sig(self.total / self.pixels),
                "crossed_share": _sig(self.crossed / self.pixels), "verdicts_changed": self.verdicts,
                "images": self.images}  # fmt: skip


def _sig(value: float) -> float:
    return float(f"{value:.3g}")


def run(samples: list, detectors: dict) -> tuple[dict, dict]:
    """Scores per engine (and the floor) and map differences per pair of engines, on ``samples``."""
    maps: dict[str, list] = {name: [] for name in detectors}
    masks = []
    pairs = {pair: Differences() for pair in itertools.combinations(detectors, 2)}
    for sample in samples:
        image, mask = read_image(sample.image), read_mask(sample.mask)
        masks.append(mask)
        blur = {name: detector(image) for name, detector in detectors.items()}
        for name, m in blur.items():
            maps[name].append(to_uint8_map(m).astype(np.float64))
        for (a, b), diff in pairs.items():
            diff.add(blur[a], blur[b])
    scores = {name: score_pairs(zip(m, masks, strict=True)) for name, m in maps.items()}
    scores["floor (every pixel blurred)"] = floor_results(masks)
    scalars = {name: {k: r[k] for k in SCORE_KEYS} for name, r in scores.items()}
    return scalars, {f"{a} vs {b}": d.row() for (a, b), d in pairs.items()}


def markdown(report: dict) -> list[str]:
    lines = [
        "# The engines: onnxruntime fp32 against PyTorch bf16 and fp32",
        "",
        "Written by `python -m lab engines_check` (lab/studies/engines_check.py).  Paper protocol (the 256 square "
        f"detect shows the network), weights `{report['weights']}`; the onnx engine runs its shipped graph.",
        "",
        "## Scores (maxF protocol and fixed protocol, scored at each mask's resolution)",
        "",
        "| engine | " + " | ".join(f"{s} {k}" for s in report["sets"] for k in SHOWN) + " |",
        "|---|" + "---|" * (len(SHOWN) * len(report["sets"])),
    ]
    for name in report["sets"][next(iter(report["sets"]))]["scores"]:
        cells = [f"{report['sets'][s]['scores'][name][k]:.3f}" for s in report["sets"] for k in SHOWN]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## How far the maps move (P(blurred) at each photo's size)",
        "",
        "| test set | engines | largest abs ΔP | mean abs ΔP | pixels across 0.5 | map verdicts changed |",
        "|---|---|---|---|---|---|",
    ]
    for s, found in report["sets"].items():
        for pair, d in found["differences"].items():
            lines.append(f"| {s} | {pair} | {d['largest']:.3g} | {d['mean']:.3g} | {d['crossed_share']:.3%} | "
                         f"{d['verdicts_changed']} of {d['images']} |")  # fmt: skip
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--limit", type=int, default=0, help="first N images of each set (0: all)")
    args = parser.parse_args()
    detectors = {name: BlurDetector.paper_protocol(**options) for name, options in ENGINES.items()}
    report = {"weights": detectors[next(iter(ENGINES))].weights_path.name, "sets": {},
              "engines": {name: describe(d) for name, d in detectors.items()}}  # fmt: skip
    for label, (dataset, split) in SETS.items():
        samples = dataset_samples(dataset, split, args.data)
        samples = samples[: args.limit] if args.limit else samples
        scores, differences = run(samples, detectors)
        report["sets"][label] = {"n": len(samples), "scores": scores, "differences": differences}
        print(label, json.dumps(scores, indent=1), json.dumps(differences, indent=1), flush=True)
    lines = markdown(report)
    print("\n".join(lines))
    if not args.limit:
        (ROOT / "reports" / "engines.json").write_text(json.dumps(report, indent=1) + "\n")
        (ROOT / "reports" / "engines.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
