"""``msdunet models``: what weights are shipped, with their architecture and scores."""

from __future__ import annotations

import click


@click.command("models")
def command() -> None:
    """List the weights shipped in the package (the first one marked * is the default)."""
    from msdunet.weights import DEFAULT_MODEL, read_card, shipped_models

    shipped = shipped_models()
    if not shipped:
        click.echo("no weights are installed with this copy of msdunet")
        return
    for name, path in shipped.items():
        card = read_card(path)
        c = card["config"]
        mark = "*" if name == DEFAULT_MODEL else " "
        size = path.stat().st_size / 1e6
        click.echo(f"{mark} {name}: {c['variant']} width {c['width']} norm {c['norm']}, {size:.1f} MB, {path}")
        for split, s in card.get("metrics", {}).items():
            click.echo(f"    {split}: maxF {s['maxF']:.3f}, MAE {s['MAE']:.3f} (floor maxF {s['floor_maxF']:.3f})")
