"""``msdunet evaluate``: score a folder of maps, or a model on a dataset split as detect runs it, under
both protocols."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from msdunet.cli.options import model_geometry, model_option, working_size_options
from msdunet.data.sources import DATASETS

_working_size, _keep_aspect = working_size_options("With --dataset: the geometry detect uses. ")

if TYPE_CHECKING:
    from msdunet.scoring.evaluate import Evaluation


@click.command("evaluate")
@click.option(
    "--pred",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of maps (white = blurred), matched to masks by stem; detect's <stem>_blur.png too.",
)
@click.option("--gt", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Folder of masks.")
@click.option(
    "--split",
    default=None,
    help="With --pred: a stems file. With --dataset: a split name (dut: train/test; cuhk: kim_test, ...).",
)
@click.option("--dataset", type=click.Choice(DATASETS), help="Evaluate a model on this dataset.")
@click.option("--data", default=None, help="Data root (default $MSDUNET_DATA or ../shared/data).")
@model_option("With --dataset: a shipped model's name or a weights file (default: the default model).")
@click.option("--flip-tta", is_flag=True, help="With --dataset: average with the mirrored image.")
@_working_size
@_keep_aspect
@click.option(
    "--bf16/--fp32",
    default=None,
    help="With --dataset: the torch engine's precision (default: as detect, bf16 where the CPU has it natively).",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "onnx", "torch"]),
    default="auto",
    show_default=True,
    help="With --dataset: the engine, as detect's --backend.",
)
@click.option(
    "--protocol",
    type=click.Choice(["maxf", "fixed", "both"]),
    default="both",
    show_default=True,
    help="The table's columns: maxf (maxF, meanF, adpF over 256 thresholds, MAE; the map min-max scaled), "
    "fixed (D-DFFNet's: fixedF with the raw map blurred above 0.5, fixedMAE), or both. The JSON has both.",
)
@click.option("--name", default=None, help="Row name in the table (default: folder or weights name).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write scores and curves as JSON.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Write PR/F curves as CSV.")
@click.option("--markdown", type=click.Path(path_type=Path), help="Write the table as markdown.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path),
    help='Write PR and F curves as PNG (needs matplotlib: pip install torch==2.13.0 -e ".[plots]").',
)
def command(
    pred, gt, split, dataset, data, weights, flip_tta, working_size, keep_aspect, bf16, backend, protocol, name,
    json_path, csv_path, markdown, plot,
):  # fmt: skip
    """Score blur maps under two protocols (β² = 0.3 in both): maxF, meanF, adaptive F, MAE and the
    256-threshold curves; fixedF and fixedMAE at the fixed threshold 0.5.

    With --dataset the model runs as detect runs it (the same geometry, engine and precision); the
    paper's protocol is the same square in fp32. Every table has the floor row: a map calling every
    pixel blurred, on the same masks.
    """
    from msdunet.model.weights import WeightsError
    from msdunet.scoring.evaluate import markdown_table, plot_curves, write_results

    if (pred is None) == (dataset is None):
        raise click.UsageError("give either --pred MAPS --gt MASKS, or --dataset NAME --split SPLIT")
    try:
        if pred is not None:
            evaluation, label, extra = _score_folder(pred=pred, gt=gt, split=split)
        else:
            evaluation, label, extra = _score_model(
                dataset=dataset,
                split=split,
                data=data,
                weights=weights,
                geometry=model_geometry(working_size, keep_aspect),
                precision={"bf16": bf16, "backend": backend},
                flip_tta=flip_tta,
            )
        rows = evaluation.rows(name or label)
        click.echo(markdown_table(rows, protocol))
        write_results(rows, json_path=json_path, curves_csv=csv_path, markdown=markdown, extra=extra, protocol=protocol)
        if plot:
            plot_curves(rows, plot, title=str(extra.get("split") or ""))
    except (FileNotFoundError, ValueError, WeightsError) as exc:
        raise click.ClickException(str(exc)) from exc


def _score_folder(*, pred: Path, gt: Path | None, split: str | None) -> tuple[Evaluation, str, dict]:
    """(scores of a folder of maps, its row name, what the JSON records about the run)."""
    from msdunet.data.sources import read_stems
    from msdunet.scoring.evaluate import evaluate_folder

    if gt is None:
        raise click.UsageError("--pred needs --gt")
    evaluation = evaluate_folder(pred, gt, stems=read_stems(split) if split else None)
    return evaluation, pred.name, {"pred": str(pred), "gt": str(gt), "split": split}


def _score_model(
    *,
    dataset: str,
    split: str | None,
    data: str | None,
    weights: str | None,
    geometry: dict,
    precision: dict,
    flip_tta: bool,
) -> tuple[Evaluation, str, dict]:
    """(scores of a model on a dataset split, its row name, what the JSON records about the run)."""
    from tqdm import tqdm

    from msdunet.data.sources import dataset_samples
    from msdunet.inference.detector import BlurDetector
    from msdunet.scoring.evaluate import evaluate_detector

    if split is None:
        raise click.UsageError("--dataset needs --split")
    samples = dataset_samples(dataset, split, data)
    detector = BlurDetector(weights, **geometry, **precision, flip_tta=flip_tta)
    progress = lambda s: tqdm(s, file=sys.stderr, disable=None)  # noqa: E731
    evaluation = evaluate_detector(detector, samples, progress=progress)
    label = Path(str(detector.weights_path)).stem if detector.weights_path else "model"
    extra = {
        "dataset": dataset,
        "split": split,
        "weights": str(detector.weights_path),
        "working_size": detector.working_size,
        "square": detector.square,
        "bf16": detector.bf16,
        "backend": detector.backend,
        "flip_tta": flip_tta,
    }
    return evaluation, label, extra
