"""How many CPU threads the network gets: chosen here and only here, for ``msdunet detect``,
``msdunet serve`` and the Ray engine's actors alike.

* ``choose_threads``: the number asked for; else, on a Ray actor, its share of CPUs; else the cores
  other work leaves idle right now (``idle_cores``).
* ``use_threads``: apply it to torch (the torch engine calls it; the onnx engine gives the count to its
  own session).  torch's intra-op thread count is process-wide, so a process that runs two torch
  detectors runs both on the count set last.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def idle_cores(*, samples: int = 5, interval: float = 0.02, stat: Path = Path("/proc/stat")) -> int:
    """Cores not taken by other runnable work right now (at least 1): this machine's cores minus the
    median of /proc/stat's ``procs_running`` (which counts the caller too) less one.  On a busy
    laptop a second torch thread that must wait for a core stalls the first at every barrier
    (``lab/bench/threads_contention.py``), so the network runs on the idle cores only.  Where
    /proc/stat is missing, every core."""
    cores = os.cpu_count() or 1
    try:
        counts = []
        for _ in range(samples):
            text = stat.read_text()
            counts.append(int(next(line for line in text.splitlines() if line.startswith("procs_running")).split()[1]))
            time.sleep(interval)
    except (OSError, StopIteration, ValueError):
        return cores
    others = max(0, sorted(counts)[len(counts) // 2] - 1)
    return max(1, cores - others)


def choose_threads(requested: int | None = None, *, cpus: float | None = None, busy: int = 0) -> int:
    """``requested`` when given (a positive number); else ``cpus`` (a Ray actor's CPUs, at least 1)
    when given; else ``idle_cores()`` less ``busy``, the cores this process keeps busy otherwise
    (``msdunet detect``'s decode threads), at least 1: a torch thread that finds its core taken
    spins at the next barrier (on 2 cores with two readers, 2 threads cost 1.6–2.8× the CPU of 1)."""
    if requested:
        return requested
    if cpus is not None:
        return max(1, round(cpus))
    if (os.cpu_count() or 1) - busy <= 1:
        return 1  # whatever is idle: no need to sample /proc/stat (0.1 s before anything starts)
    return max(1, idle_cores() - busy)


def use_threads(threads: int | None) -> None:
    """Run torch on ``threads`` intra-op threads (process-wide); None leaves torch's own choice."""
    if threads:
        import torch

        torch.set_num_threads(threads)
