"""``msdunet models``: what weights are shipped, with their architecture and scores."""

from __future__ import annotations

import click


@click.command("models")
def command() -> None:
    """List the weights shipped in the package (* marks the default); pass a name to --model."""
    from msdunet.data.sources import CARD_TEST_SETS
    from msdunet.model import ModelConfig
    from msdunet.model.weights import DEFAULT_MODEL, older_names, read_card, shipped_models

    shipped = shipped_models()
    if not shipped:
        click.echo("no weights are installed with this copy of msdunet")
        return
    for name, path in shipped.items():
        card = read_card(path)
        mark = "*" if name == DEFAULT_MODEL else " "
        size = path.stat().st_size / 1e6
        formerly = f" (formerly {', '.join(older_names(name))})" if older_names(name) else ""
        described = ModelConfig.from_dict(card["config"]).describe()
        click.echo(f"{mark} {name}{formerly}: {described}, {size:.1f} MB, {path}")
        for split, s in card.get("metrics", {}).items():
            seen = s.get("in_training_set")
            note = f"; {seen} of {s['n']} images in its training set" if seen else ""
            label = CARD_TEST_SETS[split].label if split in CARD_TEST_SETS else split
            click.echo(
                f"    {label}: maxF {s['maxF']:.3f}, MAE {s['MAE']:.3f} "
                f"(floor maxF {s['floor_maxF']:.3f}, MAE {s['floor_MAE']:.3f}){note}"
            )
