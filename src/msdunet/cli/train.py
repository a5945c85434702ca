"""``msdunet train``: the paper's recipe by default; a TOML config and/or options override it."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("train", context_settings={"show_default": True})
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of training options (see configs/).",
)
@click.option("--train", "train_packs", multiple=True, help="Training pack(s) from `msdunet data pack`.")
@click.option("--val", default=None, help="Validation pack, scored after each epoch.")
@click.option("--out", default=None, help="Run folder: config.json, log.jsonl, checkpoint.pt, model.safetensors.")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue OUT's run exactly, from its config.json (--set may change e.g. epochs, not the architecture).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override any option, read as its type, e.g. --set width=16 --set optimizer=adamw --set crop=none.",
)
def command(config_file, train_packs, val, out, resume, overrides):
    """Train MSDU-net. Defaults: SGD 0.9, wd 5e-4, lr 0.01 ×0.1 every 25 epochs, batch 16, 256², 100 epochs."""
    import tomllib

    from msdunet.training.run_folder import RunFolderError, resume_options
    from msdunet.training.train import TrainConfig, TrainingDiverged, fit

    options: dict = tomllib.loads(config_file.read_text()) if config_file else {}
    if train_packs:
        options["train"] = list(train_packs)
    if val:
        options["val"] = val
    if out:
        options["out"] = out
    try:
        for item in overrides:
            if "=" not in item:
                raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
            key, value = (part.strip() for part in item.split("=", 1))
            options[key] = TrainConfig.parse_option(key, value)
        if resume:
            options = resume_options(Path(options.get("out", TrainConfig.out)), options)
        cfg = TrainConfig.from_dict(options)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    if not cfg.train:
        raise click.UsageError("no training data: give --train PACK (build one with `msdunet data pack`)")
    missing = [pack for pack in [*cfg.train, *([cfg.val] if cfg.val else [])] if not Path(pack).is_file()]
    if missing:
        names = ", ".join(map(str, missing))
        raise click.UsageError(f"no such pack file: {names} (build one with `msdunet data pack`)")
    try:
        fit(cfg, resume=resume)
    except RunFolderError as exc:
        raise click.UsageError(str(exc)) from exc
    except TrainingDiverged as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
