"""``msdunet detect --engine ray``: the batch on Ray Data, for corpora beyond one machine.

The driver takes the inputs as ``listing.list_inputs`` finds them (local files and folders exactly
as the local engine scans them, or URIs that pyarrow reads), plans the outputs (``plan_outputs``: the
mirrored tree, no two inputs sharing a file) and feeds ``(index, source)`` rows to ``map_batches``
with a callable class: one ``BlurDetector`` per actor, which runs ``step.detect_photo`` (decode,
network, 8-bit map, report row, PNG and JPEG bytes); the driver writes the files under OUT (temp
file + rename) and only then calls the row ok, so OUT needs to exist on the driver only.  Rows go to
report.csv in input order as they complete, then to report.json and report.parquet.

What holds as in the local engine: a photo that cannot be read gets a row with its error; a row
is ok only once its files are on disk; nothing is overwritten.  And on Ray: an actor whose process
dies is started again and its tasks are retried on it (Ray Data's actor pool sets
``max_restarts=-1`` and ``max_task_retries=-1`` unless told otherwise; ``map_batches`` stops taking
those arguments in Ray 2.64, so they are left to it); if the job still fails, every input without
a result gets a row naming the failure.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import get_type_hints

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from msdunet import focus
from msdunet.detect import step
from msdunet.detect.listing import is_uri
from msdunet.detect.options import DetectOptions, RayOptions, apply_max_pixels
from msdunet.detect.outputs import Encoded, Target, plan_outputs
from msdunet.detect.report import FIELDS, InOrder, ReportWriter, Row
from msdunet.inference.options import load_detector
from msdunet.io import Found, ImageReadError
from msdunet.io.files import replacing

__all__ = ["Detect", "RayOptions", "run_ray"]


def _arrow_type(hint) -> pa.DataType:
    """The Parquet column type of a ``Row`` field's type hint."""
    if hint is str:
        return pa.string()
    if hint is bool:
        return pa.bool_()
    return pa.int64() if "int" in str(hint) else pa.float64()


_HINTS = get_type_hints(Row)
SCHEMA = pa.schema([(name, _arrow_type(_HINTS[name])) for name in FIELDS])  # the report's columns, in order


class Detect:
    """The callable class of ``map_batches``: one ``BlurDetector`` per actor (its threads: the
    actor's CPUs unless told); (index, source) rows in, (index, row as JSON, map PNG, overlay JPEG
    or b"") out."""

    def __init__(self, *, options: DetectOptions) -> None:
        apply_max_pixels(options.max_pixels)
        self.detector = load_detector(options.model, cpus=options.ray.cpus)
        self.options = options

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows, maps, overlays = [], [], []
        for source in batch["source"]:
            row, encoded = self.one(str(source))
            rows.append(json.dumps(asdict(row)))
            maps.append(encoded.map_png if encoded else b"")
            overlays.append((encoded.overlay_jpg or b"") if encoded else b"")
        as_array = lambda items: np.array(items, dtype=object)  # noqa: E731
        return {
            "index": batch["index"],
            "row": as_array(rows),
            "map_png": as_array(maps),
            "overlay": as_array(overlays),
        }

    def one(self, source: str) -> tuple[Row, Encoded | None]:
        """The row and files of one input; a failure is the row's error, naming the input."""
        options = self.options
        try:
            detected = step.detect_photo(
                self.detector, source, label=source, threshold=options.threshold,
                with_overlay=options.with_overlay, load=self._load, judging=options.judging, map_size=options.map_size,
            )  # fmt: skip
        except (*step.READ_ERRORS, MemoryError) as exc:
            return step.failed(source, exc), None
        return detected.row, detected.files

    def _load(self, source: str):
        if not is_uri(source):
            return self.detector.load(Path(source))
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(source)
        with filesystem.open_input_file(path) as f:
            data = f.readall()
        with tempfile.TemporaryDirectory() as folder:  # decoded from a file, as a local photo is
            tmp = Path(folder) / f"photo{PurePosixPath(path).suffix}"
            tmp.write_bytes(data)
            try:
                return self.detector.load(tmp)
            except ImageReadError as exc:
                raise ImageReadError(source, exc.problem) from None


def run_ray(
    inputs: Sequence[Found],
    out: Path,
    options: DetectOptions | None = None,
    *,
    on_row: Callable[[Row], None] | None = None,
    meta: dict | None = None,
    worker: type = Detect,
) -> list[Row]:
    """``inputs`` into ``out`` on Ray; returns the rows in input order (errors included, never
    raised).  ``worker`` is the callable class (tests pass one that dies on purpose).  On
    KeyboardInterrupt report.json and report.parquet get the rows done and the interrupt is raised
    again.  ``options`` None: the defaults."""
    options = options or DetectOptions()
    targets = plan_outputs(list(inputs))
    out.mkdir(parents=True, exist_ok=True)
    report = ReportWriter(out)
    order = InOrder(report, on_row, len(inputs))
    todo = _reuse_done(inputs, targets, out=out, options=options, order=order)
    interrupted, failure, info = False, None, {}
    try:
        if todo:
            info = _connect(options.ray)
            info["actors"] = options.ray.actors or max(1, int(info["cpus"] // options.ray.cpus))
            dataset = _dataset([{"index": i, "source": inputs[i].label} for i in todo], options, info, worker)
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                results = zip(batch["index"], batch["row"], batch["map_png"], batch["overlay"], strict=True)
                for i, row, png, jpg in results:
                    detected = step.Detected(Row(**json.loads(row)), Encoded(bytes(png), bytes(jpg) or None))
                    order.put(int(i), _written(out, targets[int(i)], detected))
    except KeyboardInterrupt:
        interrupted = True
        raise
    except Exception as exc:  # the job itself failed (after Ray's retries): its rows say so below
        failure = exc
    finally:
        order.finish(None if interrupted else lambda i: _lost(inputs[i].label, failure))
        settings = {"threshold": options.threshold, "sharp_from": focus.SHARP_FROM, "subject_from": focus.SUBJECT_FROM,
                    "map_size": options.map_size}  # fmt: skip
        run = {"engine": "ray", **info, "planned": len(inputs), "interrupted": interrupted}
        report.close({**settings, **(meta or {}), **run})
        write_parquet(out / "report.parquet", report.rows)
    return report.rows


def _reuse_done(
    inputs: Sequence[Found], targets: list[Target], *, out: Path, options: DetectOptions, order
) -> list[int]:
    """Rows of earlier runs' maps go to ``order`` (``skip_existing``; local inputs only); the indices
    left to do."""
    todo = []
    for i, (found, target) in enumerate(zip(inputs, targets, strict=True)):
        reused = None
        if options.skip_existing and found.uri is None:
            reused = step.reuse(
                out, target, found.path, threshold=options.threshold, with_overlay=options.with_overlay,
                judging=options.judging, map_size=options.map_size,
            )  # fmt: skip
        if reused:
            order.put(i, reused)
        else:
            todo.append(i)
    return todo


def _dataset(items: list[dict], options: DetectOptions, info: dict, worker: type):
    blocks = math.ceil(len(items) / options.ray.batch_size)
    return ray.data.from_items(items, override_num_blocks=blocks).map_batches(
        worker,
        fn_constructor_kwargs={"options": options},
        batch_size=options.ray.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=info["actors"]),
        num_cpus=options.ray.cpus,
    )


def _connect(options: RayOptions) -> dict:
    """Join (or start) Ray once per process; the cluster's nodes and CPUs for the report."""
    import logging

    if not ray.is_initialized():
        ray.init(address=options.address, logging_level=logging.WARNING, configure_logging=True)
    ray.data.DataContext.get_current().enable_progress_bars = False  # detect has its own
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # no per-run execution notes on stderr
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return {"ray_nodes": len(nodes), "cpus": ray.cluster_resources().get("CPU", 1.0)}


def _written(out: Path, target: Target, detected: step.Detected) -> Row:
    """On the driver: the files of a row that worked, then the row says so."""
    if detected.row.error:
        return detected.row
    try:
        return step.write(out, target, detected)
    except Exception as exc:  # any failure to write is this row's error
        return step.not_written(detected.row.path, exc)


def _lost(label: str, failure: Exception | None) -> Row:
    if failure is None:
        return Row(label, error=f"{label}: no result came back from Ray")
    first = (str(failure).strip().splitlines() or [""])[0][:300]
    return Row(label, error=f"{label}: not processed, the Ray job failed ({type(failure).__name__}: {first})")


def write_parquet(path: Path, rows: list[Row]) -> None:
    """The report's rows and columns as Parquet (temp file + rename)."""
    table = pa.Table.from_pylist([asdict(r) for r in rows], schema=SCHEMA)
    with replacing(path) as tmp:
        pq.write_table(table, tmp)
