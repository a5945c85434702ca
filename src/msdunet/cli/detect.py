"""``msdunet detect PATH... -o OUT``: blur map + overlay per image, report.csv / report.json."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from msdunet.cli.options import model_option
from msdunet.inference.protocol import DEFAULT_WORKING_SIZE


@click.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for maps, overlays and the report (created if needed); mirrors the input folders.",
)
@click.option("-r", "--recursive", is_flag=True, help="Search folders recursively.")
@model_option("A shipped model's name (`msdunet models`) or a weights file (.safetensors with its .json card).")
@click.option(
    "--threshold",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="P(blurred) at which a pixel counts as blurred in the report.",
)
@click.option("--no-overlay", is_flag=True, help="Write only the blur maps, no overlays.")
@click.option("--skip-existing", is_flag=True, help="Reuse maps already in OUT (resume a big folder).")
@click.option(
    "--working-size",
    default=None,
    type=int,
    help=f"Long side of the image the network sees, aspect kept (default {DEFAULT_WORKING_SIZE}; 0 = native, tiled).",
)
@click.option(
    "--threads",
    default=None,
    type=int,
    help="Torch CPU threads (default: the cores other work leaves idle at the start, at least 1).",
)
@click.option(
    "--bf16/--fp32", default=None, help="Precision (default: bf16 autocast where the CPU has native bf16, else fp32)."
)
@click.option(
    "--backend",
    type=click.Choice(["torch", "onnx"]),
    default="torch",
    show_default=True,
    help="onnx needs the optional extra: pip install 'msdunet[onnx]'.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(0, 16),
    help="Decode threads running ahead of the network (0: decode, detect, write in turn).",
)
@click.option("--flip-tta", is_flag=True, help="Average with the mirrored image (test-time augmentation; slower).")
@click.option(
    "--max-pixels",
    default=None,
    type=click.IntRange(min=0),
    help="Refuse images over N pixels (Pillow's decompression-bomb guard, default 89,478,485; 0 = no limit).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="ray: Ray Data, one model per actor, on this machine or a cluster (pip install 'msdunet[ray]').",
)
@click.option(
    "--address",
    default=None,
    help="Ray cluster to join (host:port); default: one started on this machine, else Ray starts here.",
)
@click.option(
    "--ray-actors", default=None, type=click.IntRange(min=1), help="Ray actors (default: cluster CPUs / --ray-cpus)."
)
@click.option("--ray-cpus", default=1.0, show_default=True, type=click.FloatRange(min=0.01), help="CPUs per Ray actor.")
@click.option("--ray-batch", default=8, show_default=True, type=click.IntRange(min=1), help="Images per Ray task.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def command(
    paths,
    out,
    recursive,
    weights,
    threshold,
    no_overlay,
    skip_existing,
    working_size,
    threads,
    bf16,
    backend,
    workers,
    flip_tta,
    max_pixels,
    engine,
    address,
    ray_actors,
    ray_cpus,
    ray_batch,
    quiet,
):
    """Detect blur in images and folders (photos are found by extension or by content).

    Outputs mirror the input folders under OUT. Exit status: 0 when every image worked, 1 when some
    failed (each is named on stderr and in the report's error column), 2 on a usage error, a missing
    input, an output folder that cannot be written, or no image found, 130 when interrupted (the
    report then holds the rows done).
    """
    from PIL import Image

    from msdunet.io import scan_inputs

    if max_pixels is not None:
        Image.MAX_IMAGE_PIXELS = max_pixels or None
    if engine == "ray":
        ray_engine = _ray_engine()
        scan = ray_engine.list_sources(paths, recursive=recursive, exclude=out)
    else:
        scan = scan_inputs(paths, recursive=recursive, exclude=out)
    if scan.missing:
        raise click.UsageError("no such file or folder: " + ", ".join(map(str, scan.missing)))
    if scan.skipped:
        what = "file that is not an image" if scan.skipped == 1 else "files that are not images"
        click.echo(f"msdunet: skipped {scan.skipped} {what}", err=True)
    if not scan.inputs:
        raise click.UsageError("no image files found in " + ", ".join(map(str, paths)))
    try:
        out.mkdir(parents=True, exist_ok=True)
        _probe_writable(out)
    except OSError as exc:
        click.echo(f"error: cannot write to output folder {out}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    from tqdm import tqdm

    bar = tqdm(total=len(scan.inputs), unit="img", disable=quiet, file=sys.stderr, delay=0.5)
    started, done = False, []

    def on_row(row):
        done.append(row)
        bar.update(1)
        if row.error:
            bar.write(f"error: {row.error}", file=sys.stderr)

    try:
        options = dict(threshold=threshold, with_overlay=not no_overlay, skip_existing=skip_existing)
        meta = {"not_images": scan.skipped}
        model = _model_options(working_size, threads, bf16, backend, flip_tta)
        if engine == "ray":
            ray_options = ray_engine.RayOptions(address, ray_actors, ray_cpus, ray_batch)
            _check_weights(weights)
            if not quiet:
                bar.write(f"msdunet: {len(scan.inputs)} image(s) on Ray", file=sys.stderr)
            started = True
            rows = ray_engine.run_ray(
                scan.inputs, out, weights=weights, options=model, ray_options=ray_options, max_pixels=max_pixels,
                on_row=on_row, meta=meta, **options,
            )  # fmt: skip
        else:
            from msdunet.detect import run_batch
            from msdunet.inference.detector import describe, idle_cores

            detector = _detector(weights, working_size, threads or idle_cores(), bf16, backend, flip_tta)

            if not quiet:
                bar.write(f"msdunet: {len(scan.inputs)} image(s), model {describe(detector)}", file=sys.stderr)
            started = True
            rows = run_batch(detector, scan.inputs, out, on_row=on_row, meta=meta, workers=workers, **options)
    except KeyboardInterrupt:
        bar.close()
        where = f"their rows are in {out / 'report.json'}" if started else "no report written"
        count = f"{len(done)} of {len(scan.inputs)} image(s) done"
        click.echo(f"interrupted: {count}, {where}; rerun with --skip-existing to go on", err=True)
        sys.exit(130)
    except OSError as exc:  # the report itself could not be written
        bar.close()
        click.echo(f"error: cannot write the report in {out}: {exc}", err=True)
        sys.exit(1)
    bar.close()
    failed = sum(1 for r in rows if r.error)
    if not quiet:
        click.echo(f"{len(rows) - failed} done, {failed} failed; report: {out / 'report.csv'}", err=True)
    sys.exit(1 if failed else 0)


def _probe_writable(folder: Path) -> None:
    """Raise OSError now, rather than after the model has loaded, when ``folder`` is not writable."""
    import tempfile

    with tempfile.TemporaryFile(dir=folder):
        pass


def _model_options(working_size, threads, bf16, backend, flip_tta) -> dict:
    """``BlurDetector`` keyword arguments from the options (``--working-size 0``: native size)."""
    size = DEFAULT_WORKING_SIZE if working_size is None else (working_size or None)
    return {"working_size": size, "threads": threads, "bf16": bf16, "backend": backend, "flip_tta": flip_tta}


def _ray_engine():
    """``msdunet.detect.ray_engine``, or exit 2 naming the extra when Ray is not installed."""
    try:
        from msdunet.detect import ray_engine
    except ImportError as exc:
        click.echo(f"error: --engine ray needs Ray Data: pip install 'msdunet[ray]' ({exc})", err=True)
        sys.exit(2)
    return ray_engine


def _check_weights(weights) -> None:
    """Exit 2 with one line now, on the driver, when the weights are not there (the actors load them)."""
    from msdunet.model.weights import WeightsError, load_weights, resolve_weights

    try:
        load_weights(resolve_weights(weights))
    except WeightsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _detector(weights, working_size, threads, bf16, backend, flip_tta):
    """The detector, or exit 2 with one line when the weights or the backend are not there."""
    from msdunet.inference.detector import BlurDetector
    from msdunet.model.weights import WeightsError

    try:
        return BlurDetector(weights, **_model_options(working_size, threads, bf16, backend, flip_tta))
    except ImportError as exc:
        click.echo(
            f"error: the onnx backend needs onnxruntime and onnxscript: pip install 'msdunet[onnx]' ({exc})", err=True
        )
        sys.exit(2)
    except WeightsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
