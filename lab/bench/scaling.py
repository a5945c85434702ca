"""Time and peak memory of `msdunet detect` on one photo as its size grows (0.1 → 24 MP).

    python -m lab scaling [--megapixels 0.1 0.5 2 6 12 24] [--repeats 3]

Synthetic JPEGs (quality 90, 3:2, textured, half blurred) are made in a temporary folder.  For each
size: the in-process time per image (median of repeats, model already loaded: decode + network +
map upsampling + writing the map and overlay) and the whole command's wall time and peak RSS
(`/usr/bin/time -v msdunet detect FILE`, which includes Python start-up and model load).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from lab.bench.common import median_seconds
from msdunet.detect import run_batch
from msdunet.inference.detector import BlurDetector


def synthetic_photo(megapixels: float, path: Path) -> tuple[int, int]:
    width = int((megapixels * 1e6 * 1.5) ** 0.5)
    height = int(width / 1.5)
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (120, 180, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.NEAREST)
    blurred = image.filter(ImageFilter.BoxBlur(max(1, width // 300)))
    image.paste(blurred.crop((width // 2, 0, width, height)), (width // 2, 0))
    image.save(path, quality=90)
    return width, height


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megapixels", type=float, nargs="+", default=[0.1, 0.5, 2, 6, 12, 24])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    detector = BlurDetector()
    folder = Path(tempfile.mkdtemp())
    print("| MP | size | in-process s/image (median) | command wall s | command peak RSS MB |")
    print("|---|---|---|---|---|")
    for mp in args.megapixels:
        path = folder / f"p{mp}.jpg"
        width, height = synthetic_photo(mp, path)
        seconds, _ = median_seconds(lambda path=path: run_batch(detector, [path], folder / "out"), args.repeats, 1)
        start = time.perf_counter()
        done = subprocess.run(
            [
                "/usr/bin/time",
                "-v",
                sys.executable,
                "-m",
                "msdunet",
                "detect",
                str(path),
                "-o",
                str(folder / "cmd"),
                "-q",
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        print(
            f"| {mp:g} | {width}×{height} | {seconds:.2f} | {wall:.2f} | "
            f"{int(rss.group(1)) / 1024 if rss else float('nan'):.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
