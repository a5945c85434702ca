"""Speed of the shipped models side by side, and of the HiFST port, on the same DUT test images.

    pip install -e ".[bench]"          # HiFST port (blur_detector) and scipy, for the baseline row
    python -m lab default_speed [--limit 200] [--repeats 3] [--write]

1. Per image: ``BlurDetector(model)`` as ``detect`` runs it (working size 256, aspect kept, the
   default precision, BatchNorm folded), and the provisional model as ``detect`` ran it before
   folding, on already decoded images — network + resizing — models interleaved image by image
   so that a change in machine load hits all of them alike; medians.  The default model with flip
   test-time augmentation too, and HiFST (its README's settings) on the grey image.
2. Whole process: a fresh ``msdunet detect DIR -o OUT --model M`` over the first ``--limit`` images
   (start-up, model load, decode, network, maps + overlays + report), ``--repeats`` rounds with the
   models interleaved; medians.  HiFST as a fresh Python process reading the same files and
   writing its maps as PNG.

``--write`` saves the tables to ``reports/speed_default.md``.  Time on an idle machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab import ROOT
from lab.bench.common import cpu_info, emit_report, measured_peak
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.io import read_image
from msdunet.model.weights import DEFAULT_MODEL, shipped_models

HIFST_PROCESS = """
import sys, numpy as np
from pathlib import Path
from PIL import Image
from lab.bench.compare_baselines import hifst
out = Path(sys.argv[2])
for path in sorted(Path(sys.argv[1]).iterdir()):
    blur = hifst(np.asarray(Image.open(path).convert("RGB")))
    Image.fromarray((blur * 255 + 0.5).astype(np.uint8)).save(out / (path.stem + "_blur.png"))
"""


PROVISIONAL = "msdunet-w16"  # the provisional model (shipped as msdunet-provisional until the rename)
PROVISIONAL_BEFORE = f"{PROVISIONAL}, BatchNorm unfolded (detect before msdunet.model.fold)"


def ratio(reference: float | None, value: float) -> str:
    return f"{reference / value:.2f}" if reference else "–"


def hifst_available() -> bool:
    try:
        import blur_detector  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def per_image(models: list[str], images: list, with_hifst: bool) -> dict[str, float]:
    """Median ms/image of each method over the same decoded images."""
    methods = {m: BlurDetector(m) for m in models}
    if PROVISIONAL in models:  # the default before this issue, as detect ran it then
        methods[PROVISIONAL_BEFORE] = BlurDetector(PROVISIONAL, fold_batchnorm=False)
    methods[f"{DEFAULT_MODEL} + flip TTA"] = BlurDetector(DEFAULT_MODEL, flip_tta=True)
    if with_hifst:
        from lab.bench.compare_baselines import hifst

        methods["HiFST (blur_detector)"] = lambda image: hifst(__import__("numpy").asarray(image))
    for method in methods.values():  # warm-up
        method(images[0])
    times: dict[str, list[float]] = {name: [] for name in methods}
    for image in images:
        for name, method in methods.items():
            start = time.perf_counter()
            method(image)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def whole_process(models: list[str], folder: Path, repeats: int, with_hifst: bool) -> dict[str, list[float]]:
    commands = {m: [sys.executable, "-m", "msdunet", "detect", str(folder), "-q", "--model", m, "-o"] for m in models}
    if with_hifst:
        script = HIFST_PROCESS
        commands["HiFST (blur_detector)"] = [sys.executable, "-c", script, str(folder)]
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            out = Path(tempfile.mkdtemp())
            start = time.perf_counter()
            subprocess.run([*cmd, str(out)], check=True, capture_output=True, cwd=ROOT)
            runs[name].append(time.perf_counter() - start)
            shutil.rmtree(out)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=None, help="shipped model names (default: all)")
    parser.add_argument("--write", action="store_true", help="write reports/speed_default.md")
    args = parser.parse_args()
    models = args.models or list(shipped_models())
    samples = dataset_samples("dut", "test", args.data)[: args.limit]
    with_hifst = hifst_available()
    info = cpu_info()
    lines = [
        "# Speed of the shipped models and the HiFST port (DUT test images)",
        "",
        f"Command: `python -m lab default_speed --limit {args.limit} --repeats {args.repeats} --write`; "
        f"CPU {info['model']}, {info['cores']} cores; default model `{DEFAULT_MODEL}`."
        + ("" if with_hifst else " HiFST not installed (`.[bench]`): its rows are missing."),
        "",
        f"Per image (network + resizing on decoded images, median of {len(samples)}):",
        "",
        "| method | median ms/image | × faster than the provisional model as detect ran it "
        "| × faster than the provisional model folded | × faster than the slowest |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for sample in samples:
            shutil.copyfile(sample.image, folder / sample.image.name)
        ms = per_image(models, [read_image(s.image) for s in samples], with_hifst)
        slowest, before, now = max(ms.values()), ms.get(PROVISIONAL_BEFORE), ms.get(PROVISIONAL)
        lines += [
            f"| {name} | {v:.1f} | {ratio(before, v)} | {ratio(now, v)} | {slowest / v:.1f} |" for name, v in ms.items()
        ]
        runs = whole_process(models, folder, args.repeats, with_hifst)
    lines += [
        "",
        f"Whole process over {len(samples)} images (fresh process: start-up, load, decode, network, outputs; "
        f"{args.repeats} interleaved rounds):",
        "",
        "| method | median s | images/s | rounds (s) |",
        "|---|---|---|---|",
    ]
    for name, seconds in runs.items():
        med = statistics.median(seconds)
        lines.append(f"| {name} | {med:.1f} | {len(samples) / med:.1f} | {', '.join(f'{s:.1f}' for s in seconds)} |")
    lines += [
        "",
        f"This machine's measured fp32 peak after the run: {measured_peak('fp32')[0]:.0f} GFLOP/s "
        "(`lab/bench/common.py`; compare `reports/throughput.md` before comparing milliseconds across reports).",
    ]
    emit_report(lines, "speed_default.md", write=args.write)


if __name__ == "__main__":
    main()
