"""`msdunet detect --engine ray` on 1 and on 2 Ray nodes of this machine (1 CPU each), with the
local engine beside: images/s over DUT test images.

    python -m lab ray_scaling [--images ../shared/data/dut/test/image] [--limit 100] [--write]

--write saves the table to reports/ray_scaling.md (else it is printed only).  Each Ray run starts
its own cluster on 127.0.0.1 (`msdunet.detect.ray_local`: `ray start --head`, plus a second
`ray start` for 2 nodes), runs the engine with one actor per node (1 torch thread each) and stops
the cluster with `ray stop --force`.  The time covers the engine's whole run (joining the cluster,
actors starting and loading the model, decoding, network, encoding, writing), not the cluster's
start.  The local engine runs as a fresh `msdunet detect` process with its defaults (all cores).

Read the 2-node figure with this machine in mind: both nodes share one machine's cores, so two
nodes can be at most as fast as the cores allow (here 2 cores: at most about twice one node, less
the driver's own work of writing the files); the benchmark shows that the engine spreads the work
over nodes, not what a cluster of separate machines would gain.  Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab import ROOT
from lab.bench.common import cpu_info, emit_report

REPORT = ROOT / "reports" / "ray_scaling.md"


def ray_run(photos: Path, nodes: int, out: Path) -> float:
    """Seconds for the Ray engine over ``photos`` on a fresh ``nodes``-node cluster."""
    import ray

    from msdunet.detect import DetectOptions, RayOptions, list_inputs
    from msdunet.detect.ray_engine import run_ray
    from msdunet.detect.ray_local import keep_to_loopback, start_cluster, stop_cluster
    from msdunet.inference import ModelOptions

    sources = list_inputs([photos]).inputs
    keep_to_loopback()
    try:
        cluster = start_cluster(nodes, cpus_per_node=1)
        start = time.perf_counter()
        options = DetectOptions(model=ModelOptions(threads=1), ray=RayOptions(address=cluster.address, actors=nodes))
        rows = run_ray(sources, out, options)
        seconds = time.perf_counter() - start
    finally:
        ray.shutdown()
        stop_cluster()
    failed = [r.error for r in rows if r.error]
    if failed:
        raise SystemExit(f"{len(failed)} image(s) failed on Ray, first: {failed[0]}")
    return seconds


def local_run(photos: Path, out: Path) -> float:
    """Seconds for a fresh ``msdunet detect`` process (local engine, defaults) over ``photos``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "msdunet", "detect", str(photos), "-o", str(out), "-q"], text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"msdunet detect failed with exit status {done.returncode}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, default=Path("../shared/data/dut/test/image"))
    parser.add_argument("--limit", type=int, default=100, help="the first N images by name")
    parser.add_argument("--write", action="store_true", help=f"save the table to {REPORT}")
    args = parser.parse_args()
    images = sorted(p for p in args.images.iterdir() if p.is_file())[: args.limit]
    info = cpu_info()
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for image in images:  # links, so that every engine sees exactly these files
            (photos / image.name).symlink_to(image.resolve())
        runs = [("local (`msdunet detect`, defaults)", "-", "all", local_run(photos, Path(tmp) / "local"))]
        for nodes in (1, 2):
            runs.append(
                (f"ray, {nodes} node(s)", str(nodes), str(nodes), ray_run(photos, nodes, Path(tmp) / f"ray{nodes}"))
            )
    lines = [
        f"{len(images)} images from {args.images}; CPU {info['model']}, {info['cores']} cores; one run each",
        "Ray: 1 CPU and one actor (1 torch thread) per node, all nodes on this machine: 2 nodes cannot be",
        "faster than its cores allow (see lab/bench/ray_scaling.py).",
        "",
        "| engine | nodes | CPUs | s | images/s |",
        "|---|---|---|---|---|",
        *(f"| {name} | {nodes} | {cpus} | {s:.1f} | {len(images) / s:.1f} |" for name, nodes, cpus, s in runs),
    ]
    emit_report(lines, REPORT.name, write=args.write)


if __name__ == "__main__":
    main()
