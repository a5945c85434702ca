"""Scoring blur maps against masks: folders of maps, or a model on a dataset split.

Both protocols (``msdunet.scoring.metrics``: maxF, the peers' one; fixed, D-DFFNet's) score at each
mask's own resolution: a map of another size is resized to the mask bilinearly (8-bit).  Every table carries the trivial
floor — a map that calls every pixel blurred — scored on the same masks.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.data.sources import Sample, pair_folder
from msdunet.io import read_map, read_mask
from msdunet.scoring.metrics import PROTOCOLS, SCORE_KEYS, BlurMetrics, scores, to_uint8_map

FLOOR = 'floor (every pixel "blurred")'
COLUMNS = SCORE_KEYS
PROTOCOL_CHOICES = (*PROTOCOLS, "both")
MAP_TAG = "_blur"  # msdunet detect writes <stem>_blur.png


def fit_to_mask(blur_map: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """8-bit map resized (bilinear) to the mask's (H, W) when they differ."""
    if blur_map.shape == shape:
        return blur_map
    image = Image.fromarray(np.clip(blur_map + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(image.resize((shape[1], shape[0]), Image.BILINEAR), dtype=np.float64)


def score_pairs(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict:
    """(8-bit map, bool mask) pairs → full results (scalars and curves)."""
    metrics = BlurMetrics()
    for blur_map, mask in pairs:
        metrics.step(fit_to_mask(blur_map, mask.shape), mask)
    return metrics.results()


def floor_results(masks: Iterable[np.ndarray]) -> dict:
    """Results of the trivial map that calls every pixel blurred."""
    return score_pairs((np.full(m.shape, 255.0), m) for m in masks)


@dataclass(frozen=True)
class Evaluation:
    """One method's full results (scalars and curves) and the floor's on the same masks (None when
    not asked for); ``rows(name)`` is the mapping that tables, JSON, CSV and plots take."""

    method: dict
    floor: dict | None = None

    def rows(self, name: str) -> dict[str, dict]:
        """{name: method results, FLOOR: floor results} (the floor row only when scored)."""
        return {name: self.method} | ({FLOOR: self.floor} if self.floor is not None else {})


def evaluate_folder(
    pred_dir: str | os.PathLike, gt_dir: str | os.PathLike, *, stems: list[str] | None = None, with_floor: bool = True
) -> Evaluation:
    """Score a folder of maps against a folder of masks, matched by stem: a map may be named like
    its mask or ``<stem>_blur.*`` and lie in a subfolder (``msdunet detect``'s mirrored outputs);
    every mask (or every stem of STEMS) needs its map."""
    pairs = pair_folder(Path(pred_dir), Path(gt_dir), stems, tag=MAP_TAG, recursive=True, every_mask=True)
    masks = [read_mask(p.mask) for p in pairs]
    method = score_pairs((read_map(p.image), m) for p, m in zip(pairs, masks, strict=True))
    return Evaluation(method, floor_results(masks) if with_floor else None)


def evaluate_detector(
    detector: Callable[[Path], np.ndarray],
    samples: list[Sample],
    *,
    progress: Callable[[list[Sample]], Iterable[Sample]] | None = None,
    with_floor: bool = True,
) -> Evaluation:
    """Run ``detector`` on each sample's image and score its 8-bit map against the mask."""
    masks = []

    def pairs():
        for sample in progress(samples) if progress else samples:
            mask = read_mask(sample.mask)
            masks.append(mask)
            yield to_uint8_map(detector(sample.image)).astype(np.float64), mask

    method = score_pairs(pairs())
    return Evaluation(method, floor_results(masks) if with_floor else None)


def protocol_columns(protocol: str = "both") -> tuple[str, ...]:
    """The table's columns under a protocol of ``PROTOCOL_CHOICES``: n, then its scores (both: all)."""
    if protocol not in PROTOCOL_CHOICES:
        raise ValueError(f"protocol is one of {PROTOCOL_CHOICES}, not {protocol!r}")
    return COLUMNS if protocol == "both" else ("n", *PROTOCOLS[protocol])


def markdown_table(results: dict[str, dict], protocol: str = "both") -> str:
    """One row per method: n, then the protocol's scores to three decimals."""
    columns = protocol_columns(protocol)
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, r in results.items():
        cells = [str(r["n"])] + [f"{r[c]:.3f}" for c in columns[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_json(results: dict[str, dict], extra: dict | None = None) -> dict:
    """Scalars and curves (threshold-indexed lists) of every row."""
    rows = {}
    for name, r in results.items():
        curves = {k: np.round(r[k], 6).tolist() for k in ("precision", "recall", "f_curve")}
        rows[name] = {**scores(r), "curves": curves}
    return {**(extra or {}), "results": rows}


def write_results(
    results: dict[str, dict],
    *,
    json_path: str | os.PathLike | None = None,
    curves_csv: str | os.PathLike | None = None,
    markdown: str | os.PathLike | None = None,
    extra: dict | None = None,
    protocol: str = "both",
) -> None:
    """Write the rows as JSON (every score and the curves), as a markdown table (the protocol's
    columns) and/or as a curves CSV."""
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(to_json(results, extra), indent=1) + "\n")
    if markdown:
        Path(markdown).write_text(markdown_table(results, protocol) + "\n")
    if curves_csv:
        with open(curves_csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["method", "threshold", "precision", "recall", "f"])
            for name, r in results.items():
                for t in range(len(r["f_curve"])):
                    writer.writerow(
                        [name, t, f"{r['precision'][t]:.6f}", f"{r['recall'][t]:.6f}", f"{r['f_curve'][t]:.6f}"]
                    )


def plot_curves(results: dict[str, dict], path: str | os.PathLike, *, title: str = "") -> None:
    """PR curves and F curves side by side, like the paper's Figs. 7–8 (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (pr, fc) = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, r in results.items():
        style = {"linestyle": "--", "color": "grey"} if name == FLOOR else {}
        pr.plot(r["recall"], r["precision"], label=name, **style)
        fc.plot(np.arange(len(r["f_curve"])), r["f_curve"], label=name, **style)
    pr.set(xlabel="recall", ylabel="precision", title="precision–recall", xlim=(0, 1), ylim=(0, 1.02))
    fc.set(xlabel="threshold", ylabel="F (β²=0.3)", title="F-measure", xlim=(0, 255), ylim=(0, 1.02))
    fc.legend(fontsize=8, loc="lower left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
