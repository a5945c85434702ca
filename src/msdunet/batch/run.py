"""The batch loop: decode ahead in threads, run the network, write outputs, report each row."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from msdunet.batch.outputs import plan_outputs, write_outputs
from msdunet.batch.report import BLURRED_FROM, SHARP_BELOW, ReportWriter, Row, summarize
from msdunet.io import Found, ImageReadError, read_map


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
) -> list[Row]:
    """Process ``inputs`` (``Found`` from ``io.scan_inputs``, or plain paths, which go to the top of
    ``out``) into ``out``; returns the rows (errors included, never raised).

    ``workers`` decode threads run ahead of the network and one thread writes outputs;
    ``workers=0`` does everything in turn on the calling thread (the baseline of the benchmark).
    """
    found = [x if isinstance(x, Found) else Found(Path(x), Path(Path(x).name)) for x in inputs]
    paths = [f.path for f in found]
    out.mkdir(parents=True, exist_ok=True)
    targets = plan_outputs(found)
    report = ReportWriter(out)

    def done(target) -> bool:
        return (out / target.map).exists() and (not with_overlay or (out / target.overlay).exists())

    def load(path: Path):
        return detector.load(path)

    with _pool(workers) as readers, _pool(min(workers, 1)) as writers:
        pending: list[Future] = []
        jobs = _prefetch(readers, load, paths, [skip_existing and done(t) for t in targets], depth=max(workers, 1))
        for (path, target), (skipped, loaded) in zip(zip(paths, targets, strict=True), jobs, strict=True):
            start = time.perf_counter()
            try:
                if skipped:
                    row = summarize(str(path), read_map(out / target.map) / 255.0, threshold, 0.0)
                    row.verdict += " (existing)"
                else:
                    photo, size = loaded.result()
                    blur = detector.map_for(photo, size)
                    pending.append(writers.submit(write_outputs, out, target, photo, blur, with_overlay))
                    row = summarize(str(path), blur, threshold, (time.perf_counter() - start) * 1e3)
                row.output = target.map.as_posix()
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


def _prefetch(
    pool: ThreadPoolExecutor, load, paths: list[Path], skip: list[bool], depth: int
) -> Iterator[tuple[bool, Future | None]]:
    """Yield (skipped, future) in order, keeping up to ``depth`` decodes running ahead."""
    futures: list[Future | None] = []
    for i, path in enumerate(paths):
        futures.append(None if skip[i] else pool.submit(load, path))
        if i >= depth:
            yield skip[i - depth], futures[i - depth]
    for j in range(max(0, len(paths) - depth), len(paths)):
        yield skip[j], futures[j]
