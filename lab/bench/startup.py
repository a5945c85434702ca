"""Where ``msdunet detect`` spends its start-up, per engine: imports, the engine's build, a timeline.

    python -m lab startup [--repeats 5] [--write]

1. Imports, in the order a detect run makes them, each one's added time in a fresh process (every
   step after the ones above it; medians of ``--repeats`` processes), beside a bare interpreter.
2. A timeline of one ``msdunet detect PHOTO -o OUT`` per engine, in a fresh process, seconds since
   the process started (/proc/self/stat): the CLI and ``msdunet.detect`` imported, the engine built
   (its own thread: imports and weights), the first photo decoded and judged (reader threads, at
   the same time), its map, the report closed.  Photos: the small ``examples/defocus_portrait.jpg``
   and, when ``python -m lab camera_folder`` has made it, one 24 MP JPEG of its folder.  Medians.
3. The packages a detect run imports (from ``sys.modules`` at its end), per engine.
4. Whole processes: ``python -c pass``, ``msdunet --version`` and detect on each photo per engine.
5. Once started: the network on one 256² working image (``BlurDetector.probability``), per engine on
   1 thread (what detect gives it on 2 cores, beside its two readers) and 2, ms, a fresh process each,
   the median of 40 calls after 5 to warm up.

Time on an idle machine, under the CPU lock.  ``--write`` saves reports/startup.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab import ROOT
from lab.bench.common import commit_label, cpu_info, emit_report_pair
from msdunet.inference.threads import idle_cores

ENGINES = ("onnx", "torch")
IMPORTS = (  # (label, statement): detect's order; the engines' imports last
    ("click, tqdm (the CLI)", "import click, tqdm"),
    ("numpy", "import numpy"),
    ("Pillow", "import PIL.Image"),
    ("scipy.ndimage (the focus judgement)", "import scipy.ndimage"),
    ("the rest of msdunet.cli.detect and msdunet.detect", "import msdunet.cli.detect, msdunet.detect"),
    ("onnxruntime (the onnx engine)", "import onnxruntime"),
    ("torch (the torch engine)", "import torch"),
    ("msdunet's torch model classes", "import msdunet.model.build, msdunet.inference.torch_engine"),
)
EVENTS = ("command", "engine_start", "engine_ready", "decoded", "mapped", "closed")
EVENT_LABELS = {
    "command": "CLI and msdunet.detect imported, the command starts",
    "engine_start": "the engine's thread starts (imports, weights)",
    "engine_ready": "the engine is built",
    "decoded": "the photo decoded and judged (a reader thread)",
    "mapped": "its map computed (the network)",
    "closed": "report closed, the process exits",
}
TIMELINE = r"""
import os, sys, time, json
def age():
    ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
    return float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
base = age() - time.perf_counter()
now = lambda: round(base + time.perf_counter(), 3)
import msdunet.cli.detect as cli_detect
from msdunet.cli.main import cli, WholeProcess
from msdunet.detect import step
seen = {}
def mark(name):
    seen.setdefault(name, now())
def wrap(owner, name, before, after):
    inner = getattr(owner, name)
    def wrapped(*args, **kwargs):
        before and mark(before)
        result = inner(*args, **kwargs)
        after and mark(after)
        return result
    setattr(owner, name, wrapped)
wrap(cli_detect, "_scan", "command", None)
wrap(cli_detect, "detector_or_exit", "engine_start", "engine_ready")
wrap(step, "decode", None, "decoded")
wrap(step, "infer", None, "mapped")
def leave(code):
    mark("closed")
    tops = {m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names)
    packages = sorted(m for m in tops if not m.startswith("_") and "__" not in m)
    print(json.dumps({"events": seen, "packages": packages, "code": code}))
    sys.stdout.flush()
    os._exit(code)
cli_detect.exit_now = leave
cli(sys.argv[1:], prog_name="msdunet", obj=WholeProcess())
"""


NETWORK = r"""
import sys, time, statistics, numpy as np
from msdunet.inference.detector import BlurDetector
detector = BlurDetector(backend=sys.argv[1], threads=int(sys.argv[2]))
image = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
times = []
for i in range(45):
    start = time.perf_counter()
    detector.probability(image)
    times.append(time.perf_counter() - start)
print(round(statistics.median(times[5:]) * 1e3, 2))
"""


def network(repeats: int) -> dict:
    """ms per 256² image, per engine and thread count: medians over ``repeats`` fresh processes."""
    found = {}
    for threads in (1, 2):
        for engine in ENGINES:
            runs = [float(_python(NETWORK, (engine, str(threads))).stdout) for _ in range(repeats)]
            found[f"{engine}, {threads} thread{'s' if threads > 1 else ''}"] = round(statistics.median(runs), 2)
    return found


def _python(code: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=True)


def imports(repeats: int) -> list[dict]:
    """Each step's added import time (s), medians over ``repeats`` fresh processes."""
    code = "import time, json\nt = []\n" + "".join(
        f"s = time.perf_counter()\n{statement}\nt.append(time.perf_counter() - s)\n" for _, statement in IMPORTS
    ) + "print(json.dumps(t))"  # fmt: skip
    runs = [json.loads(_python(code).stdout) for _ in range(repeats)]
    return [
        {"step": label, "s": round(statistics.median(r[i] for r in runs), 3)} for i, (label, _) in enumerate(IMPORTS)
    ]


def timeline(photo: Path, engine: str, repeats: int) -> dict:
    """Median seconds since process start of each event of one detect run, and its packages."""
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            done = _python(TIMELINE, ("detect", str(photo), "-o", out, "-q", "--backend", engine))
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    events = {e: round(statistics.median(r["events"][e] for r in runs), 3) for e in EVENTS if e in runs[0]["events"]}
    return {"events": events, "packages": runs[0]["packages"]}


def whole(argv: list[str], repeats: int) -> dict:
    """Wall seconds of a fresh process (median, runs), with the other runnable tasks seen before."""
    times, others = [], 0
    for _ in range(repeats):
        others = max(others, (os.cpu_count() or 1) - idle_cores())
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([a.replace("OUT", out) for a in argv], capture_output=True, cwd=ROOT, check=True)
            times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 2) for t in times], "others": others}


def photos() -> dict[str, Path]:
    found = {"small (640×427)": ROOT / "examples" / "defocus_portrait.jpg"}
    folder = ROOT / "cache" / "camera_folder" / "jpeg"
    if folder.is_dir() and any(folder.glob("*.jpg")):
        found["24 MP JPEG"] = sorted(folder.glob("*.jpg"))[0]
    return found


def measure(repeats: int) -> dict:
    py = sys.executable
    report = {"imports": imports(repeats), "timelines": {}, "whole": {}, "network_ms": network(repeats)}
    report["whole"]["python -c pass"] = whole([py, "-c", "pass"], repeats)
    report["whole"]["msdunet --version"] = whole([py, "-m", "msdunet", "--version"], repeats)
    for label, photo in photos().items():
        report["timelines"][label] = {engine: timeline(photo, engine, repeats) for engine in ENGINES}
        for engine in ENGINES:
            argv = [py, "-m", "msdunet", "detect", str(photo), "-o", "OUT", "-q", "--backend", engine]
            report["whole"][f"detect, {label}, {engine}"] = whole(argv, repeats)
    return report


def markdown(report: dict) -> list[str]:
    lines = [
        "# Start-up of msdunet detect, per engine",
        "",
        f"Written by `python -m lab startup --write` (lab/bench/startup.py); CPU {report['cpu']}, {report['cores']} "
        f"cores; medians of {report['repeats']} fresh processes; run at commit {report['commit']}.",
        "",
        "## Imports, in detect's order (each step's added time, a fresh process)",
        "",
        "| step | s |",
        "| --- | --- |",
        *(f"| {r['step']} | {r['s']:.3f} |" for r in report["imports"]),
        "",
        "## One photo's run: seconds since the process started",
        "",
    ]
    for label, engines in report["timelines"].items():
        lines += [f"### {label}", "", "| event | " + " | ".join(engines) + " |", "| --- |" + " --- |" * len(engines)]
        for event in EVENTS:
            cells = [f"{engines[e]['events'][event]:.2f}" if event in engines[e]["events"] else "–" for e in engines]
            lines.append(f"| {EVENT_LABELS[event]} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "## Packages a detect run imports",
        "",
        "| engine | packages (not the standard library) |",
        "| --- | --- |",
    ]
    for engine, found in next(iter(report["timelines"].values())).items():
        lines.append(f"| {engine} | {', '.join(found['packages'])} |")
    lines += [
        "",
        "## Whole processes",
        "",
        "| command | median s | runs (s) | others runnable |",
        "| --- | --- | --- | --- |",
    ]
    for label, r in report["whole"].items():
        lines.append(f"| {label} | {r['median_s']:.2f} | {', '.join(map(str, r['runs_s']))} | {r['others']} |")
    lines += ["", "## Once started: the network on a 256² image", "", "| engine, threads | ms |", "| --- | --- |"]
    lines += [f"| {label} | {ms:.1f} |" for label, ms in report["network_ms"].items()]
    return [*lines, ""]


def main() -> None:

    parser = argparse.ArgumentParser(prog="python -m lab startup", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write reports/startup.{json,md}")
    args = parser.parse_args()
    info = cpu_info()
    report = {"cpu": info["model"], "cores": info["cores"], "repeats": args.repeats, "commit": commit_label(),
              **measure(args.repeats)}  # fmt: skip
    emit_report_pair(report, markdown(report), "startup", write=args.write)


if __name__ == "__main__":
    main()
