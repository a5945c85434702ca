"""``msdunet detect --engine ray``: the batch on Ray Data, for corpora beyond one machine.

The driver lists the inputs (local files and folders exactly as the local engine scans them, or
URIs that pyarrow reads: ``s3://``, ``gs://``, ``hdfs://``, ``file://``), plans the outputs
(``plan_outputs``: the mirrored tree, no two inputs sharing a file) and feeds ``(index, source)``
rows to ``map_batches`` with a callable class: one ``BlurDetector`` per actor.  An actor decodes,
runs the network, makes the 8-bit map and its report row, and encodes the PNG and JPEG; the
driver writes them under OUT (temp file + rename) and only then calls the row ok, so OUT needs to
exist on the driver only.  Rows go to report.csv in input order as they complete, then to
report.json and report.parquet.

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
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray
from PIL import Image

from msdunet import focus
from msdunet.detect.outputs import Encoded, encode_outputs, plan_outputs, preview, read_existing, save_encoded
from msdunet.detect.report import FIELDS, ReportWriter, Row, summarize
from msdunet.io import PHOTO_EXTENSIONS, Found, ImageReadError, scan_inputs
from msdunet.scoring.metrics import to_uint8_map

SCHEMA = pa.schema(
    [("path", pa.string()), ("width", pa.int64()), ("height", pa.int64())]
    + [(name, pa.float64()) for name in FIELDS[3:9]]
    + [("verdict", pa.string()), ("ms", pa.float64()), ("error", pa.string()), ("output", pa.string())]
    + [("reused", pa.bool_())]
)  # the report's columns, in FIELDS order


@dataclass(frozen=True)
class Source:
    """One input: ``label`` is the row's path (the local path as found, or the URI) and ``rel`` its
    place in the output tree."""

    label: str
    rel: Path


@dataclass
class Listing:
    """Inputs in order, how many other files were passed over, and the arguments not found."""

    inputs: list[Source] = field(default_factory=list)
    skipped: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide: ``address`` None starts Ray here (or joins $RAY_ADDRESS); ``actors`` None
    is one per ``cpus`` of the cluster; ``batch_size`` images per task."""

    address: str | None = None
    actors: int | None = None
    cpus: float = 1.0
    batch_size: int = 8


def is_uri(path: str | os.PathLike) -> bool:
    return "://" in str(path)


def list_sources(paths: Iterable[str | os.PathLike], *, recursive: bool, exclude: Path | None) -> Listing:
    """The inputs of ``paths`` in order: local ones as ``scan_inputs`` finds them (by extension or
    content), URIs through pyarrow's file systems (in folders, photos by extension only)."""
    listing = Listing()
    for item in paths:
        if is_uri(item):
            _list_uri(str(item), recursive, listing)
            continue
        scan = scan_inputs([item], recursive=recursive, exclude=exclude)
        listing.inputs += [Source(str(f.path), f.rel) for f in scan.inputs]
        listing.skipped += scan.skipped
        listing.missing += map(str, scan.missing)
    return listing


def _list_uri(uri: str, recursive: bool, listing: Listing) -> None:
    from pyarrow import fs

    filesystem, path = fs.FileSystem.from_uri(uri)
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.File:
        listing.inputs.append(Source(uri, Path(PurePosixPath(path).name)))
    elif info.type == fs.FileType.Directory:
        found = filesystem.get_file_info(fs.FileSelector(path, recursive=recursive))
        for child in sorted((f for f in found if f.type == fs.FileType.File), key=lambda f: f.path):
            rel = PurePosixPath(child.path).relative_to(path)
            if rel.suffix.lower() in PHOTO_EXTENSIONS:
                listing.inputs.append(Source(f"{uri.rstrip('/')}/{rel.as_posix()}", Path(rel)))
            else:
                listing.skipped += 1
    else:
        listing.missing.append(uri)


class Detect:
    """The callable class of ``map_batches``: one ``BlurDetector`` per actor; (index, source) rows
    in, (index, row as JSON, map PNG, overlay JPEG or b"") out.  The steps are those of the local
    engine (``run_batch``), so the maps and rows are the same."""

    def __init__(
        self, *, weights: str | None, options: dict, threshold: float, with_overlay: bool, max_pixels: int | None
    ) -> None:
        from msdunet.inference.detector import BlurDetector

        if max_pixels is not None:
            Image.MAX_IMAGE_PIXELS = max_pixels or None
        self.detector = BlurDetector(weights, **options)
        self.threshold, self.with_overlay = threshold, with_overlay

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
        try:
            rgb, size = self._load(source)
            work, photo = self.detector.working_image(rgb), preview(rgb) if self.with_overlay else None
            del rgb
            start = time.perf_counter()
            blur = self.detector.map_for(work, size)
            ms = (time.perf_counter() - start) * 1e3
            map8 = to_uint8_map(blur)
            return summarize(source, map8, self.threshold, ms), encode_outputs(map8, photo)
        except (ImageReadError, OSError, ValueError) as exc:
            return Row(source, error=str(exc) if source in str(exc) else f"{source}: {exc}"), None
        except MemoryError:
            return Row(source, error=f"{source}: out of memory"), None

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
    sources: Sequence[Source],
    out: Path,
    *,
    weights: str | None,
    options: dict,
    ray_options: RayOptions = RayOptions(),
    threshold: float = 0.5,
    with_overlay: bool = True,
    skip_existing: bool = False,
    max_pixels: int | None = None,
    on_row: Callable[[Row], None] | None = None,
    meta: dict | None = None,
    worker: type = Detect,
) -> list[Row]:
    """``sources`` into ``out`` on Ray; returns the rows in input order (errors included, never
    raised).  ``options`` go to each actor's ``BlurDetector`` (``threads`` defaults to the actor's
    CPUs); ``worker`` is the callable class (tests pass one that dies on purpose).  On
    KeyboardInterrupt report.json and report.parquet get the rows done and the interrupt is raised
    again."""
    targets = plan_outputs([Found(Path(s.rel), s.rel) for s in sources])  # plans from ``rel`` only
    out.mkdir(parents=True, exist_ok=True)
    report = ReportWriter(out)
    order = _InOrder(report, on_row, len(sources))
    todo = []
    for i, (source, target) in enumerate(zip(sources, targets, strict=True)):
        reused = _reused(source, target, out, threshold, with_overlay) if skip_existing else None
        if reused:
            order.put(i, reused)
        else:
            todo.append(i)
    interrupted, failure, info = False, None, {}
    try:
        if todo:
            info = _connect(ray_options)
            actors = ray_options.actors or max(1, int(info["cpus"] // ray_options.cpus))
            info["actors"] = actors
            threads = options.get("threads") or max(1, round(ray_options.cpus))
            detect = {"weights": weights, "options": {**options, "threads": threads}, "threshold": threshold}
            detect.update(with_overlay=with_overlay, max_pixels=max_pixels)
            items = [{"index": i, "source": sources[i].label} for i in todo]
            blocks = math.ceil(len(items) / ray_options.batch_size)
            dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
                worker,
                fn_constructor_kwargs=detect,
                batch_size=ray_options.batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=actors),
                num_cpus=ray_options.cpus,
            )
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for i, row, png, jpg in zip(
                    batch["index"], batch["row"], batch["map_png"], batch["overlay"], strict=True
                ):
                    order.put(int(i), _written(Row(**json.loads(row)), out, targets[int(i)], png, jpg))
    except KeyboardInterrupt:
        interrupted = True
        raise
    except Exception as exc:  # the job itself failed (after Ray's retries): its rows say so below
        failure = exc
    finally:
        order.finish(None if interrupted else lambda i: _lost(sources[i].label, failure))
        settings = {"threshold": threshold, "sharp_from": focus.SHARP_FROM, "subject_from": focus.SUBJECT_FROM}
        run = {"engine": "ray", **info, "planned": len(sources), "interrupted": interrupted}
        report.close({**settings, **(meta or {}), **run})
        write_parquet(out / "report.parquet", report.rows)
    return report.rows


def _connect(options: RayOptions) -> dict:
    """Join (or start) Ray once per process; the cluster's nodes and CPUs for the report."""
    import logging

    if not ray.is_initialized():
        ray.init(address=options.address, logging_level=logging.WARNING, configure_logging=True)
    ray.data.DataContext.get_current().enable_progress_bars = False  # detect has its own
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # no per-run execution notes on stderr
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return {"ray_nodes": len(nodes), "cpus": ray.cluster_resources().get("CPU", 1.0)}


def _reused(source: Source, target, out: Path, threshold: float, with_overlay: bool) -> Row | None:
    """The row of an earlier run's map (``--skip-existing``; local inputs only), or None."""
    if is_uri(source.label):
        return None
    start = time.perf_counter()
    map8 = read_existing(out, target, Path(source.label), with_overlay)
    if map8 is None:
        return None
    row = summarize(source.label, map8, threshold, (time.perf_counter() - start) * 1e3)
    row.output, row.reused = target.map.as_posix(), True
    return row


def _written(row: Row, out: Path, target, png: bytes, jpg: bytes) -> Row:
    """On the driver: the files of a row that worked, then the row says so."""
    if row.error:
        return row
    try:
        save_encoded(out, target, Encoded(bytes(png), bytes(jpg) or None))
    except Exception as exc:  # any failure to write is this row's error
        return Row(row.path, error=f"{row.path}: outputs not written ({exc})")
    row.output = target.map.as_posix()
    return row


def _lost(label: str, failure: Exception | None) -> Row:
    if failure is None:
        return Row(label, error=f"{label}: no result came back from Ray")
    first = (str(failure).strip().splitlines() or [""])[0][:300]
    return Row(label, error=f"{label}: not processed, the Ray job failed ({type(failure).__name__}: {first})")


class _InOrder:
    """Rows to the report in input order: one that completes early waits for those before it."""

    def __init__(self, report: ReportWriter, on_row: Callable[[Row], None] | None, total: int) -> None:
        self.report, self.on_row, self.total = report, on_row, total
        self.waiting: dict[int, Row] = {}
        self.next = 0

    def put(self, index: int, row: Row) -> None:
        self.waiting[index] = row
        while self.next in self.waiting:
            self._emit(self.waiting.pop(self.next))
            self.next += 1

    def finish(self, fill: Callable[[int], Row] | None) -> None:
        """The rest in order; a gap gets ``fill(index)``, or is left out when ``fill`` is None."""
        for index in range(self.next, self.total):
            row = self.waiting.pop(index, None) or (fill(index) if fill else None)
            if row is not None:
                self._emit(row)
        self.next = self.total

    def _emit(self, row: Row) -> None:
        self.report.add(row)
        if self.on_row:
            self.on_row(row)


def write_parquet(path: Path, rows: list[Row]) -> None:
    """The report's rows and columns as Parquet (temp file + rename)."""
    table = pa.Table.from_pylist([asdict(r) for r in rows], schema=SCHEMA)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
