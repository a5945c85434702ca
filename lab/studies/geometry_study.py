"""Which working geometry should detect, evaluate and serve share?  Measured off the test splits.

    python -m lab geometry_study [--parts held_out realworld test] [--data ../shared/data] [--model NAME]
                                 [--limit N] [--out reports/geometry]

The network sees every photo resized to a working image; this study scores the default model's maps
(upsampled to the photo, rounded to 8 bits as detect saves them, scored at the mask's resolution under
both protocols of ``msdunet.scoring.metrics``) for each geometry below, at the precision detect uses on
this CPU, on data that is not a test split:

* DUT train (600; 986 left out: its mask is misaligned, and training skipped it too) and CUHK Kim
  train (800).  The shipped models were trained on these photos (as 256² squashed pack images, random
  224 crops), so they are not held out from the model, only from the test splits; their scores are
  higher than test scores, and a bias towards the training geometry (256² squashed) is possible;
* mxagar_blur300 (24 real phone and DSLR photos, held out from everything, labelled as a whole: sharp,
  missed focus, camera shake): how well the map's mean blur separates the sharp photos from the
  blurred ones (AUC, and the gap between the two groups' mean blur), and detect's verdicts (sharp
  photos kept, blurred ones rejected), per geometry.

The rule (``choose``) picks on the held-out splits; the real photos are a check.  Then (part ``test``,
``lab.studies.geometry_test``) detect's own maps on the test splits, before and after the choice,
scored by py_sod_metrics.  Writes OUT.json and OUT.md; a part not run is kept from OUT.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.studies.geometry_markdown import markdown
from msdunet.data.sources import dataset_samples
from msdunet.inference.decoding import Decoding
from msdunet.inference.detector import BlurDetector
from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE
from msdunet.io import read_mask
from msdunet.scoring.evaluate import fit_to_mask
from msdunet.scoring.metrics import SCORE_KEYS, BlurMetrics, to_uint8_map

MISALIGNED = {("dut", "train"): {"986"}}  # mask of another aspect ratio than its photo (data README)
HELD_OUT = {"DUT train": ("dut", "train"), "Kim train": ("cuhk", "kim_train")}
REALWORLD = "realworld/mxagar_blur300"
PARTS = ("held_out", "realworld", "test")


@dataclass(frozen=True)
class Geometry(Decoding):
    """``msdunet.inference.decoding.Decoding`` with a third way to fit: ``fit`` square (side × side
    whatever the aspect), long (long side = side, aspect kept) or short (short side = side, aspect
    kept); ``working_size`` is the side.  The rest of detect's decode (box reduction of big photos,
    bilinear resize) is Decoding's own."""

    fit: str = "square"

    @property
    def label(self) -> str:
        return {"square": "square", "long": "long side", "short": "short side"}[self.fit] + f" {self.working_size}"

    def working_shape(self, width: int, height: int) -> tuple[int, int]:
        side = self.working_size
        if self.fit == "square":
            return side, side
        scale = side / (max(width, height) if self.fit == "long" else min(width, height))
        return max(1, round(width * scale)), max(1, round(height * scale))


GEOMETRIES = [
    Geometry(256, fit="square"),  # the paper's protocol, the training input
    Geometry(256, fit="long"),  # detect's default before this study
    Geometry(256, fit="short"),
    Geometry(224, fit="square"),
    Geometry(320, fit="square"),
    Geometry(320, fit="long"),
    Geometry(384, fit="square"),
    Geometry(384, fit="long"),
]


def score_held_out(detector: BlurDetector, samples: list, *, name: str) -> dict[str, dict]:
    """{geometry label: scalar scores} of one split, one decode per photo for every geometry."""
    metrics = {g.label: BlurMetrics() for g in GEOMETRIES}
    started = time.perf_counter()
    for i, sample in enumerate(samples):
        rgb, size = detector.load(sample.image)
        mask = read_mask(sample.mask)
        for geometry in GEOMETRIES:
            detector.decoding = geometry
            blur_map = to_uint8_map(detector.map_for(rgb, size)).astype(np.float64)
            metrics[geometry.label].step(fit_to_mask(blur_map, mask.shape), mask)
        if (i + 1) % 100 == 0:
            print(f"{name}: {i + 1}/{len(samples)} in {time.perf_counter() - started:.0f} s", flush=True)
    return {label: {k: m.results()[k] for k in SCORE_KEYS} for label, m in metrics.items()}


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(a positive scores above a negative), ties counted half (Mann–Whitney)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def score_realworld(detector: BlurDetector, folder: Path) -> dict[str, dict]:
    """{geometry label: AUC of the map's mean blur (blurred photos against sharp ones), the gap of the
    means, and detect's verdicts: sharp photos kept, blurred ones rejected}."""
    with open(folder / "manifest.csv", newline="") as f:
        photos = [(folder / r["file"], r["label"]) for r in csv.DictReader(f)]
    means: dict[str, dict[str, list[float]]] = {g.label: {} for g in GEOMETRIES}
    kept: dict[str, dict[str, list[bool]]] = {g.label: {} for g in GEOMETRIES}
    for path, label in photos:
        rgb, _ = detector.load(path)
        for geometry in GEOMETRIES:
            detector.decoding = geometry
            analysis = detector.analyse(rgb)
            means[geometry.label].setdefault(label, []).append(float(analysis.blur.mean()))
            kept[geometry.label].setdefault(label, []).append(analysis.judgement.verdict != "blurred")
    out = {}
    for name, by_label in means.items():
        blurred = [x for k, v in by_label.items() if k != "sharp" for x in v]
        keeps = kept[name]
        out[name] = {
            "auc": auc(blurred, by_label["sharp"]),
            "gap": float(np.mean(blurred) - np.mean(by_label["sharp"])),  # mean blur, blurred − sharp photos
            **{f"mean_blur_{k}": float(np.mean(v)) for k, v in sorted(by_label.items())},
            "sharp_kept": f"{sum(keeps['sharp'])}/{len(keeps['sharp'])}",
            "blurred_rejected": f"{sum(not x for k, v in keeps.items() if k != 'sharp' for x in v)}/{len(blurred)}",
        }
    return out


def choose(held_out: dict[str, dict]) -> str:
    """The rule: the highest maxF averaged over the held-out splits (ties: the lower mean MAE)."""

    def mean(label: str, key: str) -> float:
        return float(np.mean([split[label][key] for split in held_out.values()]))

    labels = next(iter(held_out.values()))
    return max(labels, key=lambda g: (mean(g, "maxF"), -mean(g, "MAE")))


def part_held_out(args, detector: BlurDetector) -> dict:
    """Every geometry on the held-out splits, and the geometry the rule picks."""
    held_out = {}
    for name, (dataset, split) in HELD_OUT.items():
        skip = MISALIGNED.get((dataset, split), set())
        samples = [s for s in dataset_samples(dataset, split, args.data) if s.stem not in skip][: args.limit]
        held_out[f"{name} ({len(samples)})"] = score_held_out(detector, samples, name=name)
    chosen = next(g for g in GEOMETRIES if g.label == choose(held_out))
    return {"held_out": held_out, "chosen": {"label": chosen.label, "fit": chosen.fit, "side": chosen.working_size}}


def part_test(args) -> dict:
    """detect's maps on the test splits with the geometry it had before (--keep-aspect) and its default."""
    from lab.studies.geometry_test import detect_and_score

    runs = {"before": ["--keep-aspect"], "after": []}
    with tempfile.TemporaryDirectory() as work:
        return {
            name: {"options": options, "scores": detect_and_score(args.data, options, Path(work) / name)}
            for name, options in runs.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", default=None, help="Shipped model or weights (default: the default model).")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N photos of each split (a dry run).")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="Others kept from OUT.json.")
    parser.add_argument("--out", type=Path, default=Path("reports/geometry"))
    args = parser.parse_args()
    path = args.out.with_suffix(".json")
    result = json.loads(path.read_text()) if path.exists() else {}
    detector = BlurDetector(args.model)  # detect's precision: bf16 where the CPU has it natively
    result |= {
        "model": Path(str(detector.weights_path)).stem,
        "bf16": detector.bf16,
        "geometries": [{"label": g.label, "fit": g.fit, "side": g.working_size} for g in GEOMETRIES],
        "default": {"square": DEFAULT_SQUARE, "side": DEFAULT_WORKING_SIZE},
    }
    if "held_out" in args.parts:
        result |= part_held_out(args, detector)
    if "realworld" in args.parts:
        result["realworld"] = score_realworld(detector, args.data / REALWORLD)
    if "test" in args.parts:
        result["test"] = part_test(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(f"wrote {path} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
