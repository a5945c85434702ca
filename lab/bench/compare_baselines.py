"""Side by side on the same images: msdunet vs the PyPI HiFST port (`blur_detector`) vs a local
Laplacian-variance map — time per image and maxF / MAE (peers' protocol), with the floor.

    pip install -e ".[bench]"   # the baselines: blur_detector, scipy (not msdunet dependencies)
    python -m lab compare_baselines [--dataset dut --split test] [--limit 100]

Every method gets the same decoded image; timing covers the method only (median over images).
msdunet runs as `detect` does by default (working size 256, aspect kept, fp32 torch); HiFST with
its README's settings (downsampling 4, 4 scales from 2, 3 filter iterations) on the grey image;
its map is sharpness, so blur = 1 − map.  Laplacian variance: local variance (15×15) of the
Laplacian of the grey image, blur = 1 − log(1 + var) scaled to [0, 1].
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from lab.bench.common import cpu_info
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.io import read_image, read_mask
from msdunet.scoring.evaluate import FLOOR, floor_results, markdown_table, score_pairs
from msdunet.scoring.metrics import to_uint8_map


def laplacian_variance(rgb: np.ndarray, window: int = 15) -> np.ndarray:
    from scipy import ndimage

    grey = rgb.astype(np.float64).mean(axis=2)
    lap = ndimage.laplace(grey)
    mean = ndimage.uniform_filter(lap, window)
    var = np.maximum(ndimage.uniform_filter(lap * lap, window) - mean * mean, 0)
    sharp = np.log1p(var)
    sharp = (sharp - sharp.min()) / max(sharp.max() - sharp.min(), 1e-12)
    return 1.0 - sharp


def hifst(rgb: np.ndarray) -> np.ndarray:
    import blur_detector

    grey = rgb.astype(np.float64).mean(axis=2)
    sharp = blur_detector.detectBlur(
        grey, downsampling_factor=4, num_scales=4, scale_start=2, num_iterations_RF_filter=3, show_progress=False
    )
    sharp = (sharp - sharp.min()) / max(sharp.max() - sharp.min(), 1e-12)
    return 1.0 - sharp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="dut")
    parser.add_argument("--split", default="test")
    parser.add_argument("--data", default=None)
    parser.add_argument("--limit", type=int, default=100, help="first N images of the split (0 = all)")
    args = parser.parse_args()
    samples = dataset_samples(args.dataset, args.split, args.data)
    samples = samples[: args.limit] if args.limit else samples
    detector = BlurDetector()
    methods = {"msdunet": detector, "HiFST (blur_detector)": hifst, "Laplacian variance": laplacian_variance}
    maps = {m: [] for m in methods}
    times = {m: [] for m in methods}
    masks = []
    for sample in samples:
        image = read_image(sample.image)
        rgb = np.asarray(image)
        masks.append(read_mask(sample.mask))
        for name, method in methods.items():
            start = time.perf_counter()
            blur = method(image) if name == "msdunet" else method(rgb)
            times[name].append(time.perf_counter() - start)
            maps[name].append(to_uint8_map(blur).astype(np.float64))
    results = {name: score_pairs(zip(maps[name], masks, strict=True)) for name in methods}
    results[FLOOR] = floor_results(masks)
    info = cpu_info()
    print(f"{len(samples)} images of {args.dataset}/{args.split}; CPU {info['model']}, {info['cores']} cores\n")
    print(markdown_table(results))
    base = statistics.median(times["msdunet"])
    print("\n| method | median ms/image | total s | msdunet is × faster |")
    print("|---|---|---|---|")
    for name in methods:
        med = statistics.median(times[name])
        print(f"| {name} | {med * 1e3:.1f} | {sum(times[name]):.1f} | {med / base:.1f} |")


if __name__ == "__main__":
    main()
