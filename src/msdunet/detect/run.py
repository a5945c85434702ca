"""The local engine: decode ahead in threads, run the network, encode and write outputs in a thread,
and report each row, in input order, once its files are on disk (or with the error that kept them
off it).  The phases are those of ``step.detect_photo``."""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from msdunet import focus
from msdunet.detect import resume, step
from msdunet.detect.budget import PixelBudget
from msdunet.detect.outputs import MAP_SIZE, Target, plan_outputs
from msdunet.detect.report import ReportWriter, Row
from msdunet.focus import JudgeOptions
from msdunet.io import Found

MAX_PENDING_WRITES = 2  # maps waiting for the writer thread (bounds memory)
HELPER_NICENESS = 5  # the decode and write threads run this much nicer than the network's (Linux)


@threadpool_limits.wrap(limits=1, user_api="blas")  # why: the docstring's last lines
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
    judging: JudgeOptions = focus.DEFAULT_JUDGING,
    map_size: int | None = MAP_SIZE,
) -> list[Row]:
    """Process ``inputs`` (``Found`` from ``io.scan_inputs``, or plain paths, which go to the top of
    ``out``) into ``out``; returns the rows (errors included, never raised).

    ``detector``: a ``BlurDetector``, or a ``LoadingDetector`` whose model loads while the first
    photos decode.  ``workers`` decode threads run ahead of the network and one thread writes outputs;
    ``workers=0`` does everything in turn on the calling thread (the baseline of the benchmark).
    ``map_size``: the maps' long side at most (px; None: the photos' own size).
    On KeyboardInterrupt the writes already started finish, report.json gets the rows done
    (``"interrupted": true``) and the interrupt is raised again.  NumPy's BLAS runs on one thread
    meanwhile: its threads spun between the judgement's small products on cores the run's threads fill
    (on 2 cores, 200 DUT photos took 6.6 s instead of 4.1 s)."""
    found = [x if isinstance(x, Found) else Found(Path(x), Path(Path(x).name)) for x in inputs]
    targets = plan_outputs(found)
    out.mkdir(parents=True, exist_ok=True)
    settings = resume.settings(threshold=threshold, judging=judging, map_size=map_size)
    earlier = resume.earlier_rows(out, settings) if skip_existing else ({}, 0.0)  # before the report is begun
    meta = {**(meta or {}), resume.SETTINGS_KEY: settings}
    batch = _Batch(
        detector=detector, out=out, threshold=threshold, with_overlay=with_overlay, skip_existing=skip_existing,
        judging=judging, map_size=map_size, budget=PixelBudget(), earlier=earlier,
    )  # fmt: skip
    readers, writers = _pool(workers), _pool(min(workers, 1))
    jobs = _prefetch(readers, batch.prepare, zip(found, targets, strict=True), depth=max(workers, 1))
    try:
        jobs = _started(jobs)  # the first photos decode while a LoadingDetector loads the model
        detector.ready()  # a model that cannot load stops the run here, before a report is begun
    except BaseException:
        readers.shutdown(wait=False, cancel_futures=True)
        raise
    report = ReportWriter(out)
    queue: deque[tuple[str, Row | Future]] = deque()
    interrupted = False
    try:
        for item, target, job in zip(found, targets, jobs, strict=True):
            queue.append(batch.run_network(item, target, job, writers))
            _report_done(queue, report, on_row, keep=MAX_PENDING_WRITES)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        readers.shutdown(wait=True, cancel_futures=True)
        writers.shutdown(wait=True)  # writes already queued finish, so their rows are true
        _report_done(queue, report, on_row, keep=0)
        info = _run_info(threshold=threshold, judging=judging, map_size=map_size)
        report.close({**info, **meta, "planned": len(found), "interrupted": interrupted})
    return report.rows


def _run_info(*, threshold: float, judging: JudgeOptions, map_size: int | None) -> dict:
    """The settings report.json records beside the rows."""
    return {
        "threshold": threshold, "sharp_from": focus.SHARP_FROM, "subject_from": focus.SUBJECT_FROM,
        "judge_at": judging.judge_at, "limit_px": judging.limit, "estimator": judging.estimator,
        "map_size": map_size,
    }  # fmt: skip


@dataclass(frozen=True)
class _Batch:
    detector: Any
    out: Path
    threshold: float
    with_overlay: bool
    skip_existing: bool
    judging: JudgeOptions
    map_size: int | None
    budget: PixelBudget
    earlier: tuple = ({}, 0.0)  # resume.earlier_rows: an earlier run's rows, reused without a decode

    def prepare(self, item: tuple[Found, Target]) -> Row | step.Decoded:
        """In a reader thread: the row of an earlier run's map when it can be reused (its row from
        the earlier report when that holds one, else judged again), else the decoded photo resized
        for the network (and for the overlay); the full-size decode within the pixel budget."""
        found, target = item
        with self.budget.hold(self.budget.pixels_of(found.path)):
            return self._prepare(found, target)

    def _prepare(self, found: Found, target: Target) -> Row | step.Decoded:
        if self.skip_existing:
            kept = resume.reuse_row(
                self.out, target, found, self.earlier, with_overlay=self.with_overlay, map_size=self.map_size
            )
            if kept is not None:
                return kept
            row = step.reuse(
                self.out, target, found.path, threshold=self.threshold, with_overlay=self.with_overlay,
                judging=self.judging, map_size=self.map_size,
            )  # fmt: skip
            if row is not None:
                return row
        return step.decode(self.detector, found.path, with_overlay=self.with_overlay, judging=self.judging)

    def run_network(self, found: Found, target: Target, job: Future, writers) -> tuple[str, Row | Future]:
        """(path, row or the writer's future of the row) for one input; errors go into the row, naming
        the file.  Only the network runs here, on the calling thread."""
        label = found.label
        try:
            prepared = job.result()
            if isinstance(prepared, Row):
                return label, prepared
            inferred = step.infer(self.detector.ready(), prepared, label, map_size=self.map_size)
            return label, writers.submit(self.finish, target, inferred)
        except (*step.READ_ERRORS, MemoryError) as exc:
            return label, step.failed(label, exc)

    def finish(self, target: Target, inferred: step.Inferred) -> Row:
        """In the writer thread: the 8-bit map, its row, and its files; the row says ok only once
        they are written."""
        return step.write(self.out, target, step.encode(inferred, threshold=self.threshold, judging=self.judging))


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
                row = step.not_written(path, exc)
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
    return ThreadPoolExecutor(max_workers=workers, initializer=_yield_to_network) if workers > 0 else _Inline()


def _yield_to_network() -> None:
    """Make the calling (decode or write) thread ``HELPER_NICENESS`` nicer, so that where the threads
    want more than the cores the network's thread, which sets the pace on small photos, runs first:
    on 2 cores with 2 readers and a writer it lost a quarter of its time (200 DUT photos: 17 ms a
    network call instead of 12 ms alone; reports/speed_default.md).  Linux only (a thread has its own
    niceness there); nothing elsewhere or when not allowed."""
    if sys.platform != "linux":
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + HELPER_NICENESS)
    except OSError:
        pass


def _started(jobs: Iterator[Future]) -> Iterator[Future]:
    """``jobs`` (a ``_prefetch``) with its first jobs submitted now."""
    first = next(jobs, None)
    return jobs if first is None else itertools.chain([first], jobs)


def _prefetch(pool, fn, items: Iterable, depth: int) -> Iterator[Future]:
    """Futures of ``fn(item)`` in order, keeping up to ``depth`` jobs running ahead of the consumer."""
    ahead: deque[Future] = deque()
    for item in items:
        ahead.append(pool.submit(fn, item))
        if len(ahead) > depth:
            yield ahead.popleft()
    while ahead:
        yield ahead.popleft()
