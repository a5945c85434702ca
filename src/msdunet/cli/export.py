"""``msdunet export``: weights → ONNX with dynamic height and width."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.option("--weights", default=None, help="Weights to export (default: the shipped model).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def command(weights, out):
    """Export to ONNX (input: normalised float32 N×3×H×W, H and W multiples of 16; output: P(blurred))."""
    from msdunet.inference.onnx_export import export_onnx

    report = export_onnx(weights, out)
    click.echo(f"wrote {out}; max |onnx - torch| = {report['max_abs_diff']:.2e} on sizes {report['sizes']}")
