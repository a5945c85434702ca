"""End-to-end `msdunet detect` over a folder (default: DUT test, 500 images): images/s and peak RSS,
with decode/write overlapped (--workers 2) and in turn (--workers 0).

    python -m lab detect_e2e [--images ../shared/data/dut/test/image] [--repeats 3]

Each run is a fresh `msdunet detect` process (maps + overlays + report), timed from outside; the
images/s excludes nothing (start-up, model load, decode, network, writing).  Peak RSS from
/usr/bin/time -v when present, else getrusage of the child.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.bench.common import cpu_info


def run_once(images: Path, workers: int, extra: list[str]) -> tuple[float, float]:
    out = Path(tempfile.mkdtemp())
    cmd = [
        sys.executable,
        "-m",
        "msdunet",
        "detect",
        str(images),
        "-o",
        str(out),
        "-q",
        "--workers",
        str(workers),
        *extra,
    ]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    done = subprocess.run(timer + cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr[-2000:])
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    rss = int(match.group(1)) / 1024 if match else float("nan")
    return seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, default=Path("../shared/data/dut/test/image"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="more detect options, after --")
    args = parser.parse_args()
    n = sum(1 for p in args.images.iterdir() if p.is_file())
    info = cpu_info()
    print(f"{n} images from {args.images}; CPU {info['model']}, {info['cores']} cores; {args.repeats} runs each")
    print("\n| workers | median s | images/s | peak RSS MB | runs (s) |")
    print("|---|---|---|---|---|")
    for workers in (2, 0):
        runs = [run_once(args.images, workers, args.extra) for _ in range(args.repeats)]
        seconds = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(
            f"| {workers} | {seconds:.1f} | {n / seconds:.1f} | {rss:.0f} | {', '.join(f'{r[0]:.1f}' for r in runs)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
