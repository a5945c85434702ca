"""Blur maps for many files: outputs per image, a CSV/JSON report, and no crash on one bad file.

Per image ``<name>_blur.png`` (8-bit map at the image's own size, white = blurred) and
``<name>_overlay.jpg`` (the photo with blurred regions tinted blue, long side at most ``overlay_side``).
``<name>`` is the file's stem; when two inputs share a stem, the later ones use the whole file
name (``a_png``).  The report has one row per input, in input order:

path, width, height, mean_blur (mean P(blurred)), blurred_fraction (share of pixels with
P ≥ threshold), verdict, ms (time for this image), error (empty when it worked).

Verdict from the blurred fraction f: ``sharp`` when f < ``SHARP_BELOW`` (0.05), ``blurred`` when
f ≥ ``BLURRED_FROM`` (0.95), else ``partly blurred``.

Decoding and writing run in small thread pools so that they overlap with the network (Pillow and
torch release the GIL); the CSV is appended and flushed row by row, so an interrupted run keeps
what it did, and ``skip_existing`` resumes it.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.io import ImageReadError, read_map
from msdunet.metrics import to_uint8_map

SHARP_BELOW = 0.05
BLURRED_FROM = 0.95
OVERLAY_SIDE = 1600
TINT = np.array([40, 110, 255], dtype=np.float32)  # blue: rare in photos, unlike red
FIELDS = ("path", "width", "height", "mean_blur", "blurred_fraction", "verdict", "ms", "error")


@dataclass
class Row:
    path: str
    width: int | None = None
    height: int | None = None
    mean_blur: float | None = None
    blurred_fraction: float | None = None
    verdict: str = ""
    ms: float | None = None
    error: str = ""


def verdict(blurred_fraction: float) -> str:
    if blurred_fraction < SHARP_BELOW:
        return "sharp"
    if blurred_fraction >= BLURRED_FROM:
        return "blurred"
    return "partly blurred"


def summarize(path: str, prob: np.ndarray, threshold: float, ms: float) -> Row:
    """Report row for a P(blurred) map in [0, 1]."""
    fraction = float(np.mean(prob >= threshold))
    return Row(path, prob.shape[1], prob.shape[0], round(float(prob.mean()), 4), round(fraction, 4),
               verdict(fraction), round(ms, 1))


def overlay(photo: Image.Image, blur: np.ndarray, max_side: int = OVERLAY_SIDE, strength: float = 0.6) -> Image.Image:
    """The photo with P(blurred) tinted blue, long side at most ``max_side``."""
    scale = min(1.0, max_side / max(photo.size))
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    rgb = np.asarray(photo.resize(size, Image.BILINEAR) if photo.size != size else photo, dtype=np.float32)
    alpha = np.asarray(Image.fromarray(blur).resize(size, Image.BILINEAR), dtype=np.float32)[..., None] * strength
    return Image.fromarray((rgb * (1 - alpha) + TINT * alpha + 0.5).astype(np.uint8))


def output_names(paths: list[Path]) -> list[str]:
    seen: set[str] = set()
    names = []
    for p in paths:
        name = p.stem if p.stem not in seen else p.name.replace(".", "_")
        seen.add(name)
        names.append(name)
    return names


def write_outputs(out: Path, name: str, photo: Image.Image, blur: np.ndarray, with_overlay: bool) -> None:
    Image.fromarray(to_uint8_map(blur)).save(out / f"{name}_blur.png", compress_level=1)
    if with_overlay:
        overlay(photo, blur).save(out / f"{name}_overlay.jpg", quality=90)


class ReportWriter:
    """report.csv appended row by row (flushed), report.json written at the end."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[Row] = []
        self.file = open(out / "report.csv", "w", newline="")  # noqa: SIM115 (closed in close())
        self.writer = csv.DictWriter(self.file, fieldnames=FIELDS)
        self.writer.writeheader()

    def add(self, row: Row) -> None:
        self.rows.append(row)
        self.writer.writerow(asdict(row))
        self.file.flush()

    def close(self, meta: dict) -> None:
        self.file.close()
        failed = sum(1 for r in self.rows if r.error)
        summary = {**meta, "images": len(self.rows), "failed": failed, "rows": [asdict(r) for r in self.rows]}
        (self.out / "report.json").write_text(json.dumps(summary, indent=1) + "\n")


def run_batch(detector, paths: list[Path], out: Path, threshold: float = 0.5, with_overlay: bool = True,
              skip_existing: bool = False, on_row: Callable[[Row], None] | None = None,
              workers: int = 2) -> list[Row]:
    """Process ``paths`` into ``out``; returns the rows (errors included, never raised).

    ``workers`` decode threads run ahead of the network and one thread writes outputs;
    ``workers=0`` does everything in turn on the calling thread (the baseline of the benchmark).
    """
    out.mkdir(parents=True, exist_ok=True)
    names = output_names(paths)
    report = ReportWriter(out)
    overlay_side = OVERLAY_SIDE if with_overlay else None

    def done(name: str) -> bool:
        return (out / f"{name}_blur.png").exists() and (not with_overlay or (out / f"{name}_overlay.jpg").exists())

    def load(path: Path):
        return detector.load(path, max_side=overlay_side)

    with _pool(workers) as readers, _pool(min(workers, 1)) as writers:
        pending: list[Future] = []
        jobs = _prefetch(readers, load, paths, [skip_existing and done(n) for n in names], depth=max(workers, 1))
        for (path, name), (skipped, loaded) in zip(zip(paths, names, strict=True), jobs, strict=True):
            start = time.perf_counter()
            try:
                if skipped:
                    row = summarize(str(path), read_map(out / f"{name}_blur.png") / 255.0, threshold, 0.0)
                    row.verdict += " (existing)"
                else:
                    photo, size = loaded.result()
                    blur = detector.map_for(photo, size)
                    pending.append(writers.submit(write_outputs, out, name, photo, blur, with_overlay))
                    row = summarize(str(path), blur, threshold, (time.perf_counter() - start) * 1e3)
            except (ImageReadError, OSError, ValueError) as exc:
                row = Row(str(path), error=str(exc) if str(path) in str(exc) else f"{path}: {exc}")
            except MemoryError:
                row = Row(str(path), error=f"{path}: out of memory")
            report.add(row)
            if on_row:
                on_row(row)
        for f in pending:
            if f.exception() is not None:
                print(f"error writing outputs: {f.exception()}", file=sys.stderr)
                report.rows.append(Row("(outputs)", error=f"writing failed: {f.exception()}"))
    report.close({"threshold": threshold, "sharp_below": SHARP_BELOW, "blurred_from": BLURRED_FROM})
    return report.rows


class _Inline:
    """Executor stand-in that runs each job at once on the calling thread."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # delivered through the future, as a pool would
            future.set_exception(exc)
        return future


def _pool(workers: int):
    return ThreadPoolExecutor(max_workers=workers) if workers > 0 else _Inline()


def _prefetch(pool: ThreadPoolExecutor, load, paths: list[Path], skip: list[bool], depth: int
              ) -> Iterator[tuple[bool, Future | None]]:
    """Yield (skipped, future) in order, keeping up to ``depth`` decodes running ahead."""
    futures: list[Future | None] = []
    for i, path in enumerate(paths):
        futures.append(None if skip[i] else pool.submit(load, path))
        if i >= depth:
            yield skip[i - depth], futures[i - depth]
    for j in range(max(0, len(paths) - depth), len(paths)):
        yield skip[j], futures[j]

