"""The batch loop: decode ahead in threads, run the network, write outputs in a thread, and report
each row, in input order, once its files are on disk (or with the error that kept them off it)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet import focus
from msdunet.detect.outputs import Target, plan_outputs, preview, read_existing, write_outputs
from msdunet.detect.report import ReportWriter, Row, summarize
from msdunet.io import Found, ImageReadError
from msdunet.scoring.metrics import to_uint8_map

MAX_PENDING_WRITES = 2  # full-size maps waiting for the writer thread (bounds memory)


@dataclass
class _Decoded:
    work: Image.Image  # what the network sees
    size: tuple[int, int]  # the photo's (width, height)
    photo: Image.Image | None  # the photo at overlay size, when overlays are wanted


def run_batch(
    detector,
    inputs: Sequence[Found | Path],
    out: Path,
    *,
    threshold: float = 0.5,
    with_overlay: bool = True,
    skip_existing: bool = False,
    on_row: Callable[[Row], None] | None = None,
    workers: int = 2,
    meta: dict | None = None,
) -> list[Row]:
    """Process ``inputs`` (``Found`` from ``io.scan_inputs``, or plain paths, which go to the top of
    ``out``) into ``out``; returns the rows (errors included, never raised).

    ``workers`` decode threads run ahead of the network and one thread writes outputs;
    ``workers=0`` does everything in turn on the calling thread (the baseline of the benchmark).
    On KeyboardInterrupt the writes already started finish, report.json gets the rows done
    (``"interrupted": true``) and the interrupt is raised again.
    """
    found = [x if isinstance(x, Found) else Found(Path(x), Path(Path(x).name)) for x in inputs]
    targets = plan_outputs(found)
    out.mkdir(parents=True, exist_ok=True)
    report = ReportWriter(out)
    prepare = partial(_prepare, detector, out, threshold, with_overlay, skip_existing)
    readers, writers = _pool(workers), _pool(min(workers, 1))
    queue: deque[tuple[str, Row | Future]] = deque()
    interrupted = False
    try:
        jobs = _prefetch(readers, prepare, zip(found, targets, strict=True), depth=max(workers, 1))
        for item, target, job in zip(found, targets, jobs, strict=True):
            queue.append(_step(detector, item, target, job, out, threshold, writers))
            _report_done(queue, report, on_row, keep=MAX_PENDING_WRITES)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        readers.shutdown(wait=True, cancel_futures=True)
        writers.shutdown(wait=True)  # writes already queued finish, so their rows are true
        _report_done(queue, report, on_row, keep=0)
        info = {"threshold": threshold, "sharp_from": focus.SHARP_FROM, "subject_from": focus.SUBJECT_FROM}
        report.close({**info, **(meta or {}), "planned": len(found), "interrupted": interrupted})
    return report.rows


def detect_one(
    detector, path: Path, out: Path, target: Target, *, threshold: float = 0.5, label: str | None = None
) -> Row:
    """One photo through the steps ``run_batch`` takes (decode, network, 8-bit map, row, files in
    ``out``), on the calling thread, so that it gives the row ``msdunet detect`` gives.  ``label`` is
    the row's path (default ``path``).  A photo that cannot be read raises ``ImageReadError``."""
    rgb, size = detector.load(path)
    work, photo = detector.working_image(rgb), preview(rgb)
    del rgb  # the full-size decode is not needed past here
    start = time.perf_counter()
    blur = detector.map_for(work, size)
    ms = (time.perf_counter() - start) * 1e3
    return _finish(out, target, label or str(path), blur, photo, threshold, ms)


def _prepare(
    detector, out: Path, threshold: float, with_overlay: bool, skip_existing: bool, item: tuple[Found, Target]
):
    """In a reader thread: the row of an earlier run's map when it can be reused, else the decoded
    photo resized for the network (and for the overlay); the full-size photo is dropped here."""
    found, target = item
    if skip_existing:
        start = time.perf_counter()
        map8 = read_existing(out, target, found.path, with_overlay)
        if map8 is not None:
            row = summarize(str(found.path), map8, threshold, (time.perf_counter() - start) * 1e3)
            row.output, row.reused = target.map.as_posix(), True
            return row
    rgb, size = detector.load(found.path)
    return _Decoded(detector.working_image(rgb), size, preview(rgb) if with_overlay else None)


def _step(detector, found: Found, target: Target, job: Future, out: Path, threshold: float, writers):
    """(path, row or the writer's future of the row) for one input; errors go into the row, naming
    the file.  Only the network runs here, on the calling thread."""
    path = str(found.path)
    try:
        prepared = job.result()
        if isinstance(prepared, Row):
            return path, prepared
        start = time.perf_counter()
        blur = detector.map_for(prepared.work, prepared.size)
        ms = (time.perf_counter() - start) * 1e3
        return path, writers.submit(_finish, out, target, path, blur, prepared.photo, threshold, ms)
    except (ImageReadError, OSError, ValueError) as exc:
        return path, Row(path, error=str(exc) if path in str(exc) else f"{path}: {exc}")
    except MemoryError:
        return path, Row(path, error=f"{path}: out of memory")


def _finish(out: Path, target: Target, path: str, blur: np.ndarray, photo, threshold: float, ms: float) -> Row:
    """In the writer thread: the 8-bit map, its row, and its files; the row says ok only once they
    are written."""
    map8 = to_uint8_map(blur)
    row = summarize(path, map8, threshold, ms)
    write_outputs(out, target, map8, photo)
    row.output = target.map.as_posix()
    return row


def _report_done(queue: deque, report: ReportWriter, on_row, *, keep: int) -> None:
    """Report the rows at the head of ``queue`` whose outputs are written (or failed), in input
    order; waits for the oldest write while more than ``keep`` rows are queued."""
    while queue:
        path, item = queue[0]
        if isinstance(item, Future):
            if not item.done() and len(queue) <= keep:
                return
            try:
                row = item.result()
            except Exception as exc:  # any failure to write is this row's error
                row = Row(path, error=f"{path}: outputs not written ({exc})")
        else:
            row = item
        queue.popleft()
        report.add(row)
        if on_row:
            on_row(row)


class _Inline:
    """Executor stand-in that runs each job at once on the calling thread."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # delivered through the future, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def _pool(workers: int):
    return ThreadPoolExecutor(max_workers=workers) if workers > 0 else _Inline()


def _prefetch(pool, fn, items: Iterable, depth: int) -> Iterator[Future]:
    """Futures of ``fn(item)`` in order, keeping up to ``depth`` jobs running ahead of the consumer."""
    ahead: deque[Future] = deque()
    for item in items:
        ahead.append(pool.submit(fn, item))
        if len(ahead) > depth:
            yield ahead.popleft()
    while ahead:
        yield ahead.popleft()
