"""Thread settings of `msdunet detect` on an idle and on a busy machine: ms/image for each choice.

    python -m lab threads_contention [--images ../shared/data/dut/test/image] [--count 40]
        [--repeats 3] [--write]

Choices: torch's thread count (all cores, or 1) and OpenMP's waiting (``OMP_WAIT_POLICY`` ACTIVE:
workers spin at barriers, PASSIVE: they sleep; ``GOMP_SPINCOUNT``: spin that long, then sleep), and
msdunet's default (nothing set from outside).  Each measurement is a
fresh `msdunet detect` process over the first COUNT images (maps and overlays written), timed from
outside; ms/image = wall time / COUNT, median over REPEATS.  "Busy" runs start two CPU-bound
processes (pure-Python loops, one per core of a 2-core laptop) before detect and end them after it,
so the benchmark bounds its own load.  With ``--write`` the table goes to
``reports/threads_contention.md``.  Time it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.bench.common import cpu_info, emit_report

BUSY_LOOP = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    sum(range(10000))\n"
# label → (torch threads or None for detect's default, OpenMP environment); OpenMP variables not
# named are removed, so "default" is what msdunet does by itself
OMP_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
CHOICES = {
    "default": (None, {}),
    "all cores, OMP_WAIT_POLICY=PASSIVE": (None, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "all cores, OMP_WAIT_POLICY=ACTIVE": (None, {"OMP_WAIT_POLICY": "ACTIVE"}),
    "all cores, GOMP_SPINCOUNT=10000": (None, {"GOMP_SPINCOUNT": "10000"}),
    "1 thread": (1, {}),
}


def detect_once(images: Path, threads: int | None, omp: dict[str, str]) -> float:
    out = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARIABLES} | omp
    cmd = [sys.executable, "-m", "msdunet", "detect", str(images), "-o", str(out), "-q"]
    cmd += ["--threads", str(threads)] if threads else []
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return seconds


def measure(images: Path, count: int, repeats: int, busy: bool, threads: int | None, omp: dict[str, str]) -> float:
    times = []
    for _ in range(repeats):
        hogs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(2 if busy else 0)]
        try:
            times.append(detect_once(images, threads, omp))
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
    return statistics.median(times) / count * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, default=Path("../shared/data/dut/test/image"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write reports/threads_contention.md")
    args = parser.parse_args()
    subset = Path(tempfile.mkdtemp())
    for path in sorted(p for p in args.images.iterdir() if p.is_file())[: args.count]:
        os.symlink(path.resolve(), subset / path.name)
    rows = []
    for label, (threads, omp) in CHOICES.items():
        idle = measure(subset, args.count, args.repeats, False, threads, omp)
        busy = measure(subset, args.count, args.repeats, True, threads, omp)
        rows.append((label, idle, busy))
        print(f"{label}: idle {idle:.1f} ms/image, busy {busy:.1f} ms/image", flush=True)
    shutil.rmtree(subset)
    best_idle, best_busy = min(r[1] for r in rows), min(r[2] for r in rows)
    info = cpu_info()
    lines = [
        "# detect's thread settings, idle and beside two CPU-bound processes",
        "",
        f"Command: `python -m lab threads_contention --count {args.count} --repeats {args.repeats} --write`;",
        f"{args.count} DUT test images, a fresh `msdunet detect` process per run (maps + overlays), wall time /",
        f"images, median of {args.repeats}; CPU {info['model']}, {info['cores']} cores.",
        "",
        "| choice | idle ms/image | × best idle | busy ms/image | × best busy |",
        "|---|---|---|---|---|",
    ]
    for label, idle, busy in rows:
        lines.append(f"| {label} | {idle:.1f} | {idle / best_idle:.2f} | {busy:.1f} | {busy / best_busy:.2f} |")
    emit_report(lines, "threads_contention.md", write=args.write)


if __name__ == "__main__":
    main()
