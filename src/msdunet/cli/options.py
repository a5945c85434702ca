"""Options that several CLI verbs share, written once: ``-m/--model``, the model's run options, and
``msdunet detect``'s option group, which builds one frozen ``DetectOptions``."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from msdunet.focus.limits import ESTIMATOR, ESTIMATORS, FITTED
from msdunet.inference.options import ModelOptions
from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE, MAP_SIZE

if TYPE_CHECKING:
    from msdunet.detect.options import DetectOptions


def model_option(help_text: str):
    """``-m/--model`` (alias ``--weights``): a shipped model's name or a weights file."""
    return click.option("-m", "--model", "--weights", "weights", default=None, help=help_text)


THREADS_HELP = "The network's CPU threads (default: the cores other work leaves idle at the start, at least 1)."
THREADS = click.IntRange(min=1)  # --threads: a count, never 0 or negative
MIN_WORKING_SIZE = 32  # px: the deepest layer of every model (16× or 32× down) still sees one pixel


def check_working_size(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """click callback: ``--working-size`` is 0 (native size, tiled) or a side of at least
    ``MIN_WORKING_SIZE`` px; anything else is a usage error (exit 2)."""
    if value is not None and value != 0 and value < MIN_WORKING_SIZE:
        raise click.BadParameter(f"{value} is neither 0 (native size) nor a side of at least {MIN_WORKING_SIZE}")
    return value


def working_size_options(first: str = ""):
    """``--working-size`` and ``--keep-aspect``, the geometry detect, evaluate and serve share
    (``msdunet.inference.protocol``); FIRST opens the size's help."""
    return (
        click.option(
            "--working-size", default=None, type=int, callback=check_working_size,
            help=f"{first}Side of the square the network sees, whatever the photo's aspect, as the model was "
            f"trained (default {DEFAULT_WORKING_SIZE}; 0 = native size, tiled).",
        ),
        click.option(
            "--keep-aspect", is_flag=True,
            help="Keep the photo's aspect: the working size is then its long side (scored lower: reports/geometry.md).",
        ),
    )  # fmt: skip


def model_geometry(working_size: int | None, keep_aspect: bool) -> dict:
    """``ModelOptions`` / ``BlurDetector`` keywords of ``--working-size`` and ``--keep-aspect``."""
    size = DEFAULT_WORKING_SIZE if working_size is None else (working_size or None)
    return {"working_size": size, "square": DEFAULT_SQUARE and not keep_aspect}


# msdunet detect's options after PATHS, in --help order; the group turns them into ``options``
DETECT_OPTIONS = (
    click.option(
        "-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
        help="Folder for maps, overlays and the report (created if needed); mirrors the input folders.",
    ),
    click.option("-r", "--recursive", is_flag=True, help="Search folders recursively."),
    model_option("A shipped model's name (`msdunet models`) or a weights file (.safetensors with its .json card)."),
    click.option(
        "--threshold", default=0.5, show_default=True, type=click.FloatRange(0, 1),
        help="P(blurred) at which a pixel counts as blurred in the report.",
    ),
    click.option(
        "--judge-at", default="full", show_default=True, callback=lambda ctx, param, value: judge_at_value(value),
        help="Long side (px) the photos will be seen at, or full: the verdict's blur limit holds at that size.",
    ),
    click.option(
        "--limit-px", default=None, type=click.FloatRange(min=0.05),
        help="Largest blur (σ, px at the judged size) a sharp subject may have [default: the estimator's, "
        + ", ".join(f"{name} {fitted['limit_px']}" for name, fitted in FITTED.items()) + "].",
    ),
    click.option(
        "--estimator", default=ESTIMATOR, show_default=True, type=click.Choice(ESTIMATORS),
        help="What reads the blur in pixels: the gradient ratio at edges, or a small CNN on the patches.",
    ),
    click.option(
        "--faces", is_flag=True,
        help='Judge portraits on the largest face (its eyes where found): pip install torch==2.13.0 -e ".[faces]".',
    ),
    click.option(
        "--streaks/--no-streaks", default=True, show_default=True,
        help="Reject a long camera shake, which reads sharp along its streak: the photo's edges across one "
        "direction are gone, though the contrast across it is still there (reports/pixel_blur.md). "
        "--no-streaks: judge by the blur in px and the map only.",
    ),
    click.option("--no-overlay", is_flag=True, help="Write only the blur maps, no overlays."),
    click.option(
        "--map-size", default=str(MAP_SIZE), show_default=True, metavar="N|full",
        callback=lambda ctx, param, value: map_size_value(value),
        help="Long side (px) of the blur maps at most, the overlays' size; full: each photo's own size.",
    ),
    click.option("--skip-existing", is_flag=True, help="Reuse maps already in OUT (resume a big folder)."),
    *working_size_options(),
    click.option("--threads", default=None, type=THREADS, help=THREADS_HELP),
    click.option(
        "--bf16/--fp32", default=None,
        help="The torch engine's precision (default: bf16 where the CPU has it natively, else fp32); "
        "--bf16 picks the torch engine. The onnx engine computes in fp32.",
    ),
    click.option(
        "--backend", type=click.Choice(["auto", "onnx", "torch"]), default="auto", show_default=True,
        help="The engine: auto runs the model's shipped ONNX graph with onnxruntime (no torch to load) when "
        "there is one, else torch.",
    ),
    click.option(
        "--workers", default=2, show_default=True, type=click.IntRange(0, 16),
        help="Decode threads running ahead of the network (0: decode, detect, write in turn).",
    ),
    click.option("--flip-tta", is_flag=True, help="Average with the mirrored image (test-time augmentation; slower)."),
    click.option(
        "--max-pixels", default=None, type=click.IntRange(min=0),
        help="Refuse images over N pixels (Pillow's decompression-bomb guard, default 89,478,485; 0 = no limit).",
    ),
    click.option(
        "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
        help='ray: Ray Data, one model per actor, here or on a cluster: pip install torch==2.13.0 -e ".[ray]"',
    ),
    click.option(
        "--address", default=None,
        help="Ray cluster to join (host:port); default: one started on this machine, else Ray starts here.",
    ),
    click.option(
        "--ray-actors", default=None, type=click.IntRange(min=1),
        help="Ray actors (default: cluster CPUs / --ray-cpus).",
    ),
    click.option(
        "--ray-cpus", default=1.0, show_default=True, type=click.FloatRange(min=0.01), help="CPUs per Ray actor."
    ),
    click.option("--ray-batch", default=8, show_default=True, type=click.IntRange(min=1), help="Images per Ray task."),
)  # fmt: skip
_GROUP_NAMES = (
    "recursive", "weights", "threshold", "judge_at", "limit_px", "estimator", "faces", "streaks", "no_overlay",
    "map_size",
    "skip_existing",
    "working_size", "keep_aspect",
    "threads", "bf16", "backend",
    "workers", "flip_tta", "max_pixels", "engine", "address", "ray_actors", "ray_cpus", "ray_batch",
)  # fmt: skip


def detect_options(command):
    """The option group of ``msdunet detect``: ``command`` gets ``out`` and ``options``
    (``DetectOptions``) instead of one parameter per option."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name in _GROUP_NAMES}
        return command(*args, options=build_detect_options(**values), **kwargs)

    for option in reversed(DETECT_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def judge_at_value(value: str | int | None) -> int | None:
    """``--judge-at``: ``full`` (None) or a long side of at least 64 px; else a usage error."""
    return side_or_full(value)


def map_size_value(value: str | int | None) -> int | None:
    """``--map-size``: ``full`` (None) or a long side of at least 64 px; else a usage error."""
    return side_or_full(value)


def side_or_full(value: str | int | None, *, least: int = 64) -> int | None:
    """``full`` (None) or a long side of at least ``least`` px; else ``click.BadParameter``."""
    if value is None or str(value).strip().lower() == "full":
        return None
    try:
        side = int(value)
    except ValueError:
        side = 0
    if side < least:
        raise click.BadParameter(f"{value!r} is neither 'full' nor a long side of at least {least} px")
    return side


def build_detect_options(**values) -> DetectOptions:
    """``DetectOptions`` from the group's values (``--working-size 0``: native size; ``--keep-aspect``)."""
    from msdunet.detect.options import DetectOptions, RayOptions  # the detect package: not for --help
    from msdunet.focus.judgement import JudgeOptions

    model = ModelOptions(
        weights=values["weights"], **model_geometry(values["working_size"], values["keep_aspect"]),
        threads=values["threads"], bf16=values["bf16"], backend=values["backend"], flip_tta=values["flip_tta"],
    )  # fmt: skip
    ray = RayOptions(
        address=values["address"], actors=values["ray_actors"], cpus=values["ray_cpus"], batch_size=values["ray_batch"]
    )
    return DetectOptions(
        model=model, threshold=values["threshold"], with_overlay=not values["no_overlay"], map_size=values["map_size"],
        skip_existing=values["skip_existing"], recursive=values["recursive"], workers=values["workers"],
        max_pixels=values["max_pixels"], engine=values["engine"], ray=ray,
        judging=JudgeOptions(
            judge_at=values["judge_at"], limit_px=values["limit_px"], faces=values["faces"],
            estimator=values.get("estimator") or ESTIMATOR, streaks=values.get("streaks", True),
        ),
    )  # fmt: skip


def detector_or_exit(options: ModelOptions):
    """``load_detector(options)``, or exit 2 with one line when the weights or the backend are not there."""
    from msdunet.inference.options import load_detector
    from msdunet.model.weights import WeightsError

    try:
        return load_detector(options)
    except ImportError as exc:
        click.echo(
            "error: the onnx backend needs onnxruntime (and, for weights that ship no graph, onnxscript): "
            f'pip install torch==2.13.0 -e ".[onnx]" ({exc})',
            err=True,
        )
        sys.exit(2)
    except WeightsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
