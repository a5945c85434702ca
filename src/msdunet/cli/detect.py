"""``msdunet detect PATH... -o OUT``: blur map + overlay per image, report.csv / report.json."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for maps, overlays and the report (created if needed).",
)
@click.option("-r", "--recursive", is_flag=True, help="Search folders recursively.")
@click.option(
    "-m",
    "--model",
    "--weights",
    "weights",
    default=None,
    help="A shipped model's name (`msdunet models`) or a weights file (.safetensors with its .json card).",
)
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
    help="Long side of the image the network sees (default: the model's; 0 = native, tiled).",
)
@click.option("--threads", default=None, type=int, help="Torch CPU threads (default: all cores).")
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
@click.option("--flip-tta", is_flag=True, help="Average with the mirrored image (test-time augmentation; 2× time).")
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
    quiet,
):
    """Detect blur in images and folders (image files are found by content, not extension).

    Exit status: 0 when every image worked, 1 when some failed (each is named on stderr and in the
    report's error column), 2 on a usage error or when no image was found.
    """
    from tqdm import tqdm

    from msdunet.batch import run_batch
    from msdunet.inference import DEFAULT_WORKING_SIZE, BlurDetector, describe
    from msdunet.io import find_images
    from msdunet.weights import WeightsError

    files = list(find_images(paths, recursive=recursive))
    if not files:
        raise click.UsageError("no image files found in " + ", ".join(map(str, paths)))
    size = DEFAULT_WORKING_SIZE if working_size is None else (working_size or None)
    try:
        detector = BlurDetector(
            weights, working_size=size, threads=threads, bf16=bf16, backend=backend, flip_tta=flip_tta
        )
    except ImportError as exc:
        click.echo(f"error: the onnx backend needs onnxruntime: pip install 'msdunet[onnx]' ({exc})", err=True)
        sys.exit(2)
    except WeightsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if not quiet:
        click.echo(f"msdunet: {len(files)} image(s), model {describe(detector)}", err=True)
    bar = tqdm(total=len(files), unit="img", disable=quiet, file=sys.stderr)

    def on_row(row):
        bar.update(1)
        if row.error:
            bar.write(f"error: {row.error}", file=sys.stderr)

    rows = run_batch(detector, files, out, threshold, not no_overlay, skip_existing, on_row, workers)
    bar.close()
    failed = sum(1 for r in rows if r.error)
    if not quiet:
        click.echo(f"{len(rows) - failed} done, {failed} failed; report: {out / 'report.csv'}", err=True)
    sys.exit(1 if failed else 0)
