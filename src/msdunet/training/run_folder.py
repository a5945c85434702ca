"""A training run's folder: ``--resume`` starts from the run's own config.json, and a fresh run never
lands on an old one (it would overwrite the config and append to the log)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from msdunet.model import ModelConfig
from msdunet.training.config import MODEL_KEYS, MODEL_PREFIX, canonical_options

ARCHITECTURE = MODEL_KEYS  # what the checkpoint's tensors depend on
RUN_FILES = ("checkpoint.pt", "log.jsonl")


class RunFolderError(ValueError):
    """A run folder used the wrong way; the message says what to do instead."""


def check_fresh(out: Path) -> None:
    """Refuse a fresh run into a folder that already holds a run."""
    found = [name for name in RUN_FILES if (out / name).exists()]
    if found:
        raise RunFolderError(
            f"{out} already holds a training run ({', '.join(found)}): continue it with --resume, "
            "or train into another --out"
        )


def check_architecture(saved: Mapping, options: Mapping, where: Path) -> None:
    """Refuse ``options`` that change the architecture ``saved`` was trained with (either may spell
    it as a ``model`` table, as ``model.KEY``s or as the older bare ``KEY``s)."""
    saved, options = canonical_options(saved), canonical_options(options)
    defaults = ModelConfig().to_dict()
    before = {key: saved.get(MODEL_PREFIX + key, defaults[key]) for key in ARCHITECTURE}
    given = {key: options[MODEL_PREFIX + key] for key in ARCHITECTURE if MODEL_PREFIX + key in options}
    changed = [f"{k}={v} (was {before[k]})" for k, v in given.items() if v != before[k]]
    if changed:
        raise RunFolderError(
            f"{where}: a resumed run keeps its architecture ({', '.join(ARCHITECTURE)}); "
            f"drop {', '.join(changed)}, or train into another --out"
        )


def resume_options(out: Path, options: dict) -> dict:
    """The run's saved config.json with ``options`` over it (under full names, ``model.KEY`` for the
    architecture); the architecture cannot change."""
    path = out / "config.json"
    if not path.exists():
        if (out / "checkpoint.pt").exists():
            return options  # a run from before config.json was saved; fit checks the checkpoint
        raise RunFolderError(f"nothing to resume in {out}: it has no config.json (start it without --resume)")
    saved = json.loads(path.read_text())
    check_architecture(saved, options, path)
    return {**canonical_options(saved), **canonical_options(options)}
