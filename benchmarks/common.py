"""Helpers shared by the benchmark scripts: timing with medians, this CPU's peak, peak RSS."""

from __future__ import annotations

import platform
import re
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path


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


def peak_gflops(info: dict, dtype: str = "fp32") -> tuple[float, str]:
    """Theoretical peak and how it was derived.

    Per core and cycle: 2 FMA pipes × (vector bits / 32) lanes × 2 FLOPs.  AVX-512 on AMD Zen 4
    executes as two 256-bit halves, so it counts as 256-bit pipes there (as AVX2 does anywhere);
    bf16 (AVX512_BF16 dot products) doubles the fp32 lane count.
    """
    flags = info["flags"]
    amd = "AMD" in info["model"]
    bits = 512 if ("avx512f" in flags and not amd) else 256 if "avx2" in flags else 128
    per_cycle = 2 * (bits // 32) * 2
    if dtype == "bf16" and "avx512_bf16" in flags:
        per_cycle *= 2
    ghz = (info["mhz"] or 0) / 1000
    peak = info["cores"] * ghz * per_cycle
    how = f"{info['cores']} cores × {ghz:.2f} GHz × 2 FMA pipes × {bits}/32 lanes × 2 FLOPs"
    if dtype == "bf16" and "avx512_bf16" in flags:
        how += " × 2 (bf16 pairs)"
    return peak, how


def peak_rss_mb_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gemm_gflops(dtype: str = "fp32", n: int = 2048, repeats: int = 7) -> float:
    """Measured peak: median GFLOP/s of an n×n matrix product in torch (MKL/oneDNN), the practical
    ceiling of this CPU as the VM runs it (boost clocks included, which /proc/cpuinfo does not show)."""
    import torch

    kind = torch.bfloat16 if dtype == "bf16" else torch.float32
    a, b = torch.randn(n, n).to(kind), torch.randn(n, n).to(kind)
    seconds, _ = median_seconds(lambda: a @ b, repeats)
    return 2 * n**3 / seconds / 1e9
