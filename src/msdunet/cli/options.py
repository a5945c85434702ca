"""Options that several CLI verbs share, written once."""

from __future__ import annotations

import click


def model_option(help_text: str):
    """``-m/--model`` (alias ``--weights``): a shipped model's name or a weights file."""
    return click.option("-m", "--model", "--weights", "weights", default=None, help=help_text)
