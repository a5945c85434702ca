"""A bounded load test of ``msdunet serve``: N uploads to ``POST /api/detect`` from C concurrent
clients, against the real server (the CLI in a subprocess, default model) on 127.0.0.1 only;
then an oversize and a non-image upload, and a check that the server still answers.

    python -m lab serve_load [--requests 200] [--clients 4] [--note TEXT] [--write]

Prints (and with --write saves to reports/serve_load.md) latency p50/p95/max per request (client side: upload, detect,
response), throughput, status codes, and whether the server was still up at the end.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from lab import ROOT
from lab.bench.common import cpu_info, emit_report

HOST = "127.0.0.1"  # never another host
PHOTOS = sorted((ROOT / "examples").glob("*.jpg"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_up(base: str, server: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"error: the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/api/config", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    sys.exit(f"error: the server did not answer within {timeout:.0f} s")


def upload(client: httpx.Client, base: str, photo: Path) -> tuple[float, int, float | None]:
    """(seconds, status, the row's network ms) of one upload."""
    data = photo.read_bytes()
    start = time.perf_counter()
    response = client.post(f"{base}/api/detect", files={"file": (photo.name, data, "image/jpeg")}, timeout=300)
    seconds = time.perf_counter() - start
    ms = response.json().get("ms") if response.status_code == 200 else None
    return seconds, response.status_code, ms


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--note", default="", help="A line for the report (e.g. what else the machine was doing).")
    parser.add_argument("--write", action="store_true", help="save the report to reports/serve_load.md")
    args = parser.parse_args()
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        detect = [sys.executable, "-m", "msdunet", "detect", str(ROOT / "examples"), "-o", str(out), "-q"]
        subprocess.run(detect, check=True)
        serve = [sys.executable, "-m", "msdunet", "serve", str(out), "--host", HOST, "--port", str(port)]
        serve += ["--max-upload-mb", "5"]
        server = subprocess.Popen(serve)
        try:
            wait_up(base, server)
            jobs = [PHOTOS[i % len(PHOTOS)] for i in range(args.requests)]
            with httpx.Client() as warm:
                upload(warm, base, PHOTOS[0])  # first request: lazy imports, allocator warm-up
            clients = [httpx.Client() for _ in range(args.clients)]
            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(lambda ij: upload(clients[ij[0] % args.clients], base, ij[1]), enumerate(jobs)))
            wall = time.perf_counter() - start
            for c in clients:
                c.close()
            too_large = httpx.post(f"{base}/api/detect", files={"file": ("big.jpg", bytes(6 << 20))}).status_code
            not_image = httpx.post(f"{base}/api/detect", files={"file": ("a.txt", b"text")}).status_code
            report_ok = httpx.get(f"{base}/api/report").status_code
            up = httpx.get(f"{base}/api/config").status_code == 200 and server.poll() is None
        finally:
            server.terminate()
            server.wait(30)
    seconds = [s * 1e3 for s, status, _ in results if status == 200]
    others = ", ".join(str(s) for s in sorted({status for _, status, _ in results}) if s != 200) or "none"
    network = [ms for _, status, ms in results if status == 200 and ms is not None]
    cpu = cpu_info()
    lines = [
        "# Load test of `msdunet serve`",
        "",
        "`python -m lab serve_load" + (f" --requests {args.requests}" if args.requests != 200 else "")
        + (f" --clients {args.clients}" if args.clients != 4 else "") + " --write`: the real server (CLI "
        f"subprocess, default model) on {HOST}; {args.requests} uploads of the {len(PHOTOS)} bundled examples "
        f"(640×427 JPEG) to `POST /api/detect` from {args.clients} concurrent clients. "
        f"CPU {cpu['model']}, {cpu['cores']} cores.",
        "",
    ]  # fmt: skip
    if args.note:
        lines += [f"Note: {args.note}", ""]
    lines += [
        "| requests | clients | ok | other statuses | p50 ms | p95 ms | max ms | requests/s | median network ms |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {args.requests} | {args.clients} | {len(seconds)} | {others} "
        f"| {percentile(seconds, 50):.0f} | {percentile(seconds, 95):.0f} | {max(seconds):.0f} "
        f"| {len(seconds) / wall:.2f} | {statistics.median(network):.1f} |",
        "",
        f"Afterwards: an upload over the limit → {too_large}, a text file → {not_image}, `GET /api/report` → "
        f"{report_ok}; server still up: {'yes' if up else 'NO'}.",
        "",
        "Latency is client side (upload, queue, detect, response). Uploads are detected one at a time (the network "
        "already uses every core), so with several clients most of a request's time is waiting for the others.",
    ]  # fmt: skip
    emit_report(lines, "serve_load.md", write=args.write)
    if not up or len(seconds) != args.requests:
        sys.exit(1)


if __name__ == "__main__":
    main()
