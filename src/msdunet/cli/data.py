"""``msdunet data pack``: resized images + masks of a split in one compact ``.npz``."""

from __future__ import annotations

from pathlib import Path

import click

from msdunet.data.pack import JPEG_QUALITY
from msdunet.data.sources import DATASETS


@click.group("data")
def command() -> None:
    """Dataset tools."""


@command.command("pack")
@click.option("--dataset", type=click.Choice(DATASETS), required=True)
@click.option("--split", required=True, help="dut: train/test; cuhk: kim_train, defocus_test, ...; folder: all.")
@click.option("--data", default=None, help="Data root (default $MSDUNET_DATA or ../shared/data).")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="Pack file (.npz).")
@click.option("--size", default=256, show_default=True, help="Side of the square images and masks.")
@click.option(
    "--format",
    "image_format",
    type=click.Choice(["jpeg", "raw"]),
    default="jpeg",
    show_default=True,
    help=f"jpeg (quality {JPEG_QUALITY}, 4:4:4): ~7× smaller; raw: lossless uint8.",
)
@click.option("--white-is-sharp", is_flag=True, help="Masks are white = sharp (the original DUT release's BMPs).")
def pack(dataset, split, data, out, size, image_format, white_is_sharp):
    """Pack one split; prints what was done to defective masks (nothing is skipped silently)."""
    from tqdm import tqdm

    from msdunet.data.pack import build_pack
    from msdunet.data.sources import dataset_samples

    samples = dataset_samples(dataset, split, data)
    summary = build_pack(
        samples,
        out,
        size=size,
        image_format=image_format,
        white_is_blurred=not white_is_sharp,
        progress=lambda s: tqdm(s, desc=f"{dataset}/{split}", disable=None),
    )
    for line in summary.lines():
        click.echo(line)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
