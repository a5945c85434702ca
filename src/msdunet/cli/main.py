"""``msdunet`` entry point: a click group whose verbs live in their own modules (loaded lazily, so
``msdunet --version`` and ``--help`` answer without importing torch)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

import click

from msdunet import __version__

VERBS = {
    "detect": ("msdunet.cli.detect", "Blur maps, overlays and a report for images and folders."),
    "cull": ("msdunet.cli.cull", "Sort photos into folders by verdict, rate them in XMP sidecars; undo."),
    "frames": ("msdunet.cli.frames", "The sharpest frame of each window of a video."),
    "evaluate": ("msdunet.cli.evaluate", "Score maps (or a model) against ground-truth masks."),
    "train": ("msdunet.cli.train", "Train MSDU-net (paper recipe by default)."),
    "models": ("msdunet.cli.models", "List the shipped weights."),
    "data": ("msdunet.cli.data", "Pack dataset splits into training caches."),
    "export": ("msdunet.cli.export", "Export weights to ONNX."),
    "serve": ("msdunet.cli.serve", "A local web app: check photos, review an output folder."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in VERBS:
            return None
        module = importlib.import_module(VERBS[name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in VERBS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="msdunet")
def cli() -> None:
    """msdunet: per-pixel blur detection (defocus and motion) with MSDU-net."""


class WholeProcess:
    """``ctx.obj`` of the console entry point (``main``): this process ends when the verb does, so a
    verb may leave without Python's teardown (``exit_now``).  ``cli`` invoked in-process (the tests)
    has no such object."""


def main() -> None:
    cli(prog_name="msdunet", obj=WholeProcess())


def exit_now(code: int) -> NoReturn:
    """Exit with ``code``: when the process is this command (``main``), at once, its streams flushed
    and no interpreter teardown (a third of a second once torch is loaded); else ``sys.exit``.  For a
    verb whose files are all closed and whose threads are all done."""
    context = click.get_current_context(silent=True)
    if context is not None and isinstance(context.find_root().obj, WholeProcess):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
