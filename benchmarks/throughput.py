"""Model throughput per backend and precision: ms/image, achieved GFLOP/s and share of this CPU's peak.

    python benchmarks/throughput.py [--sizes 256 320] [--widths 16 64] [--repeats 7]

Two peaks: the nominal one from the vector units and the clock /proc/cpuinfo reports (see
``common.peak_gflops``), and a measured one, a 2048² matrix product in the same precision: the VM
hides boost clocks, so convolutions can exceed the nominal figure.

Width 16 uses the shipped weights (its architecture); other widths use random weights of the same
architecture (speed does not depend on the values).  Batch 1, single images, as `detect` runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import cpu_info, gemm_gflops, median_seconds, peak_gflops  # noqa: E402

from msdunet.inference import BlurDetector  # noqa: E402
from msdunet.model import ModelConfig, MSDUNet, gflops  # noqa: E402
from msdunet.weights import load_weights, resolve_weights  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 320])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    info = cpu_info()
    print(f"CPU: {info['model']}, {info['cores']} logical cores, {torch.get_num_threads()} torch threads")
    gemm = {}
    for dtype in ("fp32", "bf16"):
        peak, how = peak_gflops(info, dtype)
        gemm[dtype] = gemm_gflops(dtype)
        print(f"peak {dtype}: nominal {peak:.0f} GFLOP/s = {how}; measured 2048² matmul {gemm[dtype]:.0f} GFLOP/s")
    shipped, _ = load_weights(resolve_weights(None))
    print("\n| width | size | backend | ms/image (median) | GFLOP/image | GFLOP/s | % of nominal peak | % of matmul |")
    print("|---|---|---|---|---|---|---|---|")
    for width in args.widths:
        cfg = shipped.config if width == shipped.config.width else ModelConfig("msdunet", width, shipped.config.norm)
        model = shipped if width == shipped.config.width else MSDUNet(cfg).eval()
        for size in args.sizes:
            flops = gflops(model, size)
            rgb = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
            for backend, bf16 in (("torch", False), ("torch", True), ("onnx", False)):
                try:
                    det = BlurDetector(model=model, working_size=None, bf16=bf16, backend=backend)
                except ImportError:
                    continue
                seconds, _ = median_seconds(lambda det=det, rgb=rgb: det.probability(rgb), args.repeats)
                name = f"{backend} {'bf16' if bf16 else 'fp32'}"
                dtype = "bf16" if bf16 else "fp32"
                peak, _ = peak_gflops(info, dtype)
                rate = flops / seconds
                print(
                    f"| {width} | {size}² | {name} | {seconds * 1e3:.1f} | {flops:.2f} | {rate:.0f} | "
                    f"{100 * rate / peak:.0f} % | {100 * rate / gemm[dtype]:.0f} % |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
