"""Model throughput per backend and precision: ms/image, achieved GFLOP/s and share of the measured peak.

    python -m lab throughput [--sizes 256 320] [--repeats 7] [--write]

The peak is measured, not derived from a clock: the best GFLOP/s over matrix products (512²–2048²)
and 3×3 convolutions (64–256 channels, channels-last, batch 1) in torch, per precision
(``common.measured_peak``); every shape's rate is listed.  (A nominal peak from /proc/cpuinfo's
clock was wrong on this VM, which hides boost clocks: the models beat it.)

Models: every shipped model with its own weights, and the paper's MSDU-net at its width 64 with
random weights (speed does not depend on the values).  Batch 1, single images, as ``detect`` runs;
each size is the working image's side.  With ``--write`` the tables go to ``reports/throughput.md``.
Time it on an idle machine.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from lab import ROOT
from lab.bench.common import cpu_info, measured_peak, median_seconds
from msdunet.inference.detector import BlurDetector
from msdunet.model import ModelConfig, build_model, gflops
from msdunet.model.weights import load_weights, shipped_models


def models() -> dict[str, torch.nn.Module]:
    found = {name: load_weights(path)[0] for name, path in shipped_models().items()}
    found["MSDU-net width 64 (paper), random weights"] = build_model(
        ModelConfig(variant="msdunet", width=64, norm="none")
    ).eval()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 320])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--write", action="store_true", help="write reports/throughput.md")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    info = cpu_info()
    lines = [
        "# Model throughput against this CPU's measured peak",
        "",
        f"Command: `python -m lab throughput --write`. CPU: {info['model']}, {info['cores']} logical",
        f"cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}.",
        "",
        "| peak shape | fp32 GFLOP/s | bf16 GFLOP/s |",
        "|---|---|---|",
    ]
    peaks = {dtype: measured_peak(dtype) for dtype in ("fp32", "bf16")}
    for shape in peaks["fp32"][1]:
        lines.append(f"| {shape} | {peaks['fp32'][1][shape]:.0f} | {peaks['bf16'][1][shape]:.0f} |")
    lines.append(f"| **peak (best)** | **{peaks['fp32'][0]:.0f}** | **{peaks['bf16'][0]:.0f}** |")
    lines += [
        "",
        "| model | size | backend | ms/image (median) | GFLOP/image | GFLOP/s | % of measured peak |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for name, model in models().items():
        for size in args.sizes:
            flops = gflops(model, size=size)
            rgb = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
            for backend, bf16 in (("torch", False), ("torch", True), ("onnx", False)):
                try:
                    det = BlurDetector(model=model, working_size=None, bf16=bf16, backend=backend)
                except ImportError:
                    continue
                seconds, _ = median_seconds(lambda det=det, rgb=rgb: det.probability(rgb), args.repeats)
                dtype = "bf16" if bf16 else "fp32"
                rate = flops / seconds
                line = (
                    f"| {name} | {size}² | {backend} {dtype} | {seconds * 1e3:.1f} | {flops:.2f} | {rate:.0f} | "
                    f"{100 * rate / peaks[dtype][0]:.0f} % |"
                )
                lines.append(line)
                print(line, flush=True)
    if args.write:
        (ROOT / "reports" / "throughput.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
