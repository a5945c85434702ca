"""Helpers shared by the benchmark scripts: timing with medians, this CPU's measured peak, peak RSS."""

from __future__ import annotations

import json
import platform
import re
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lab import ROOT


def median_seconds(fn: Callable[[], object], repeats: int = 7, warmup: int = 2) -> tuple[float, list[float]]:
    """Median wall time of ``fn`` over ``repeats`` runs after ``warmup`` runs; also all the times."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def cpu_info() -> dict:
    """Model name, logical cores, clock (MHz) and vector flags of this CPU (Linux /proc/cpuinfo)."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.*)", text)
    mhz = re.findall(r"cpu MHz\s*:\s*([\d.]+)", text)
    flags = set(re.search(r"flags\s*:\s*(.*)", text).group(1).split()) if "flags" in text else set()
    import os

    return {
        "model": model.group(1) if model else platform.processor(),
        "cores": os.cpu_count(),
        "mhz": max(map(float, mhz)) if mhz else None,
        "flags": flags,
    }


def peak_rss_mb_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured_peak(dtype: str = "fp32", repeats: int = 5) -> tuple[float, dict[str, float]]:
    """This CPU's practical peak in one precision: the best GFLOP/s over several matrix products and
    3×3 convolutions in torch (oneDNN/MKL), as the VM runs them (boost clocks included, which
    /proc/cpuinfo does not show), with every shape's rate.  Batch 1 and channels-last convolutions,
    as the models run."""
    import torch

    kind = torch.bfloat16 if dtype == "bf16" else torch.float32
    rates: dict[str, float] = {}
    with torch.inference_mode():
        for n in (512, 1024, 2048):
            a, b = torch.randn(n, n).to(kind), torch.randn(n, n).to(kind)
            seconds, _ = median_seconds(lambda a=a, b=b: a @ b, repeats)
            rates[f"matmul {n}²"] = 2 * n**3 / seconds / 1e9
        for channels, side in ((64, 128), (128, 64), (256, 32)):
            conv = torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False).to(kind)
            conv = conv.to(memory_format=torch.channels_last)
            x = torch.randn(1, channels, side, side).to(kind).to(memory_format=torch.channels_last)
            seconds, _ = median_seconds(lambda conv=conv, x=x: conv(x), repeats)
            rates[f"conv3×3 {channels}ch {side}²"] = 2 * 9 * channels * channels * side * side / seconds / 1e9
    return max(rates.values()), rates


def commit_label() -> str:
    """HEAD's short hash, with "+ changes in src/" when src/ differs from it (others' work in progress)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    return head.stdout.strip() + (" + changes in src/" if dirty.stdout.strip() else "")


def emit_report_pair(report: dict, lines: list[str], stem: str, *, write: bool) -> None:
    """Print a report's lines; with ``write``, save ``reports/STEM.json`` (the numbers) and ``STEM.md``."""
    emit_report(lines, f"{stem}.md", write=write)
    if write:
        (ROOT / "reports" / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")


def emit_report(lines: list[str], name: str, *, write: bool) -> str:
    """Print a report's lines; with ``write``, also save them as ``reports/NAME`` (one place per number)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        path = ROOT / "reports" / name
        path.write_text(text)
        print(f"wrote {path}")
    return text
