"""``msdunet detect PATH... -o OUT``: blur map + overlay per image, report.csv / report.json."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from msdunet.cli.main import exit_now
from msdunet.cli.options import detect_options, detector_or_exit


@click.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@detect_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def command(paths, out, options, quiet):
    """Detect blur in images and folders (photos are found by extension or by content).

    Outputs mirror the input folders under OUT. Exit status: 0 when every image worked, 1 when some
    failed (each is named on stderr and in the report's error column), 2 on a usage error, a missing
    input, an output folder that cannot be written, or no image found, 130 when interrupted (the
    report then holds the rows done).
    """
    from msdunet.detect.budget import one_malloc_arena
    from msdunet.detect.options import apply_max_pixels

    one_malloc_arena()  # before any thread starts (the progress bar's too): see msdunet.detect.budget
    apply_max_pixels(options.max_pixels)
    if options.judging.faces:
        _check_faces()
    ray_engine = _ray_engine() if options.engine == "ray" else None
    scan = _scan(paths, out, options)
    _prepare_out(out)
    progress = _Progress(len(scan.inputs), quiet)
    meta = {"not_images": scan.skipped}
    try:
        if ray_engine is not None:
            _check_weights(options.model.weights)
            progress.say(f"msdunet: {len(scan.inputs)} image(s) on Ray")
            rows = ray_engine.run_ray(scan.inputs, out, options, on_row=progress.row, meta=meta)
        else:
            rows = _run_local(scan.inputs, out, options, progress=progress, meta=meta)
    except KeyboardInterrupt:
        progress.close()
        where = f"their rows are in {out / 'report.json'}" if progress.started else "no report written"
        count = f"{len(progress.done)} of {len(scan.inputs)} image(s) done"
        click.echo(f"interrupted: {count}, {where}; rerun with --skip-existing to go on", err=True)
        sys.exit(130)
    except OSError as exc:  # the report itself could not be written
        progress.close()
        click.echo(f"error: cannot write the report in {out}: {exc}", err=True)
        sys.exit(1)
    progress.close()
    failed = sum(1 for r in rows if r.error)
    if not quiet:
        click.echo(f"{len(rows) - failed} done, {failed} failed; report: {out / 'report.csv'}", err=True)
    if ray_engine is not None:
        sys.exit(1 if failed else 0)  # Ray's own exit handlers stop what it started
    exit_now(1 if failed else 0)  # every file written and closed, every thread done


def _check_faces() -> None:
    """--faces needs OpenCV (the faces extra): a usage error before anything is written."""
    from msdunet.focus import faces

    if not faces.available():
        raise click.UsageError(faces.EXTRA_HINT)


def _scan(paths, out: Path, options):
    """The inputs (one lister for both engines; URIs on Ray only), or a usage error."""
    from msdunet.detect.listing import list_inputs

    scan = list_inputs(paths, recursive=options.recursive, exclude=out, uris=options.engine == "ray")
    if scan.missing:
        raise click.UsageError("no such file or folder: " + ", ".join(map(str, scan.missing)))
    if scan.skipped:
        what = "file that is not an image" if scan.skipped == 1 else "files that are not images"
        click.echo(f"msdunet: skipped {scan.skipped} {what}", err=True)
    if not scan.inputs:
        nested = not options.recursive and any(
            Path(p).is_dir() and any(c.is_dir() for c in Path(p).iterdir()) for p in paths
        )
        hint = "; to search the subfolders too, add -r" if nested else ""
        raise click.UsageError("no image files found in " + ", ".join(map(str, paths)) + hint)
    return scan


def _prepare_out(out: Path) -> None:
    """OUT made and writable now, rather than found not to be after the model has loaded; else exit 2."""
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        click.echo(f"error: cannot write to output folder {out}: {exc.strerror or exc}", err=True)
        sys.exit(2)


def _run_local(inputs, out: Path, options, *, progress: _Progress, meta: dict):
    """The local engine; torch and the model load on a thread while the first photos decode (the
    network's threads are chosen first: the cores idle before the decoding starts, less the readers')."""
    from dataclasses import replace

    from msdunet.detect import run_batch
    from msdunet.inference.loading import LoadingDetector, decoding_of
    from msdunet.inference.threads import choose_threads

    model = replace(options.model, threads=choose_threads(options.model.threads, busy=options.workers))

    def build():
        from msdunet.inference.detector import describe

        detector = detector_or_exit(model)
        progress.say(f"msdunet: {len(inputs)} image(s), model {describe(detector)}")
        return detector

    detector = LoadingDetector(build, decoding_of(model))
    return run_batch(
        detector, inputs, out, threshold=options.threshold, with_overlay=options.with_overlay,
        skip_existing=options.skip_existing, workers=options.workers, on_row=progress.row, meta=meta,
        judging=options.judging, map_size=options.map_size,
    )  # fmt: skip


class _Progress:
    """The progress bar on stderr, each failed row named under it; ``started`` once the engine runs."""

    def __init__(self, total: int, quiet: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="img", disable=quiet, file=sys.stderr, delay=0.5)
        self.quiet, self.started, self.done = quiet, False, []

    def say(self, line: str) -> None:
        if not self.quiet:
            self.bar.write(line, file=sys.stderr)
        self.started = True

    def row(self, row) -> None:
        self.done.append(row)
        self.bar.update(1)
        if row.error:
            self.bar.write(f"error: {row.error}", file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _ray_engine():
    """``msdunet.detect.ray_engine``, or exit 2 naming the extra when Ray is not installed."""
    try:
        from msdunet.detect import ray_engine
    except ImportError as exc:
        click.echo(f'error: --engine ray needs Ray Data: pip install torch==2.13.0 -e ".[ray]" ({exc})', err=True)
        sys.exit(2)
    return ray_engine


def _check_weights(weights) -> None:
    """Exit 2 with one line now, on the driver, when the weights or their card are not there (the
    actors load and check them)."""
    from msdunet.model.weights import WeightsError, find_weights

    try:
        find_weights(weights)
    except WeightsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
