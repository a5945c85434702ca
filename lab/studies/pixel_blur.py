"""Blur in pixels: the judgement's constants fitted on synthetic blur, the two estimators' error on
held-out synthetic blur beside the classical baseline, and their verdicts on real photos.

    python -m lab pixel_blur_data          # first: the synthetic patches (cache/pixel_blur/)
    python -m lab pixel_blur [--data ../shared/data] [--parts synthetic realworld sensitivity]

The estimators (``msdunet.focus.limits.ESTIMATORS``): ``classical`` (``msdunet.focus.sharpness``:
re-blur ladder, per direction, calibrated) and ``learned`` (``msdunet.focus.learned``: the shipped CNN,
trained by ``python -m lab pixel_blur_train`` on other patches of the fitting photos).

1. **Fit**, per estimator (fitting photos of ``pixel_blur_data`` only): ``floor``, the raw σ a perfectly
   sharp edge reads, minimises the median |error| of ``calibrated`` σ on patches with σ ≤ 3 px;
   ``limit_px`` is the estimate that best separates patches blurred by σ ≤ 0.5 px (invisible at
   100 %: keep) from those blurred by σ ≥ 1 px (plainly soft: reject), by balanced accuracy; ``motion_from``
   the major / minor ratio that best separates streaks (kernel anisotropy ≥ 2) from Gaussian and disk
   blur, among patches blurred by σ ≥ 1 px.  Each rounded to 0.05.
2. **Held-out synthetic error** in px per σ bin and per kernel kind: both estimators against the
   classical baseline (Zhuo & Sim: one re-blur σ0 = 1.4, median over all edges of the patch) and the
   trivial floor (the fitting patches' median σ).
3. **Real photos** (never fitted on): keep / reject per label on ``realworld/mxagar_blur300``, for the
   judgement, pixels alone (each estimator) and the blur map's verdict alone; the sensitivity curve on
   camera-size photos: ``lab.studies.pixel_blur_photos``.
4. **Streak evidence** (``msdunet.focus.streaks``): ``streak_below`` fitted on synthetic shake of whole
   fitting photos, at their size and resized as a web photo is: ``lab.studies.pixel_blur_streaks``.

Writes reports/pixel_blur.json and reports/pixel_blur.md.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import ndimage

from lab import ROOT
from lab.studies.pixel_blur_data import CACHE
from lab.studies.pixel_blur_photos import realworld_confusion, scene_check, sensitivity
from lab.studies.pixel_blur_streaks import streak_study
from msdunet.focus import limits
from msdunet.focus.sharpness import across_directions, calibrated, edge_pixels, estimate, gradients

BINS = ((0.0, 0.01), (0.01, 0.6), (0.6, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 4.1))
BASELINE_REBLUR = 1.4
# At 100 % a Gaussian blur of σ = 0.5 px keeps 73 % of the contrast at a quarter of the sampling
# frequency (exp(−2π²σ²f²)), σ = 1 px only 29 %: the first is invisible, the second plainly soft.
KEEP_UP_TO, REJECT_FROM = 0.5, 1.0


def load_patches() -> dict[str, np.ndarray]:
    files = sorted(CACHE.glob("seed*.npz"))
    if not files:
        raise SystemExit(f"no synthetic patches in {CACHE}: run python -m lab pixel_blur_data first")
    parts = [dict(np.load(f)) for f in files]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def baseline(patches: np.ndarray) -> np.ndarray:
    """Zhuo & Sim: σ from one re-blur, median over every edge pixel of the patch (NaN: too few)."""
    out = np.full(len(patches), np.nan, dtype=np.float32)
    for start in range(0, len(patches), 256):
        chunk = patches[start : start + 256]
        edges, _, magnitude = edge_pixels(chunk)
        blurred = ndimage.gaussian_filter(chunk, sigma=(0, BASELINE_REBLUR, BASELINE_REBLUR), truncate=3.0)
        by, bx = gradients(blurred)
        ratio = magnitude[edges] / np.maximum(np.hypot(bx[edges], by[edges]), 1e-6)
        sigma = np.clip(BASELINE_REBLUR / np.sqrt(np.maximum(ratio * ratio - 1, 1e-8)), 0.05, 60)
        index = np.nonzero(edges)[0]
        for i in np.unique(index):
            values = sigma[index == i]
            if len(values) >= 20:
                out[start + i] = np.median(values)
    return out


def measured(patches: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw (major, minor) σ per patch by ``estimator`` (NaN without texture)."""
    parts = [estimate(patches[s : s + 256], estimator) for s in range(0, len(patches), 256)]
    by_direction = np.concatenate([p[0] for p in parts])
    textured = np.concatenate([p[1] for p in parts])
    return across_directions(by_direction, textured, np.fmax.reduce), across_directions(
        by_direction, textured, np.fmin.reduce
    )


def best_split(low: np.ndarray, high: np.ndarray) -> float:
    """The threshold t (step 0.05) maximising balanced accuracy of ``low ≤ t < high``."""
    grid = np.round(np.arange(0.05, 10.0, 0.05), 2)
    scores = [(np.mean(low <= t) + np.mean(high > t)) / 2 for t in grid]
    return float(grid[int(np.argmax(scores))])


def fit(truth: np.ndarray, major: np.ndarray, minor: np.ndarray, kinds: np.ndarray, ratio_truth: np.ndarray) -> dict:
    ok = np.isfinite(major)
    small = ok & (truth <= 3)
    floors = np.round(np.arange(0.0, 1.21, 0.05), 2)
    errors = [float(np.median(np.abs(calibrated(major[small], floor=f) - truth[small]))) for f in floors]
    floor = float(floors[int(np.argmin(errors))])
    reading = calibrated(major, floor=floor)
    limit = best_split(reading[ok & (truth <= KEEP_UP_TO)], reading[ok & (truth >= REJECT_FROM)])
    ratio = major / np.maximum(minor, 1e-3)
    blurred = ok & (truth >= 1.0)
    defocus = blurred & np.isin(kinds, ["gaussian", "disk"])
    streak = blurred & np.isin(kinds, ["linear", "curved"]) & (ratio_truth >= 2)
    motion_from = best_split(ratio[defocus], ratio[streak])
    return {"floor": floor, "limit_px": limit, "motion_from": motion_from, "patches": int(ok.sum())}


def errors_by_bin(truth: np.ndarray, estimates: dict[str, np.ndarray]) -> list[dict]:
    rows = []
    for lo, hi in BINS:
        inside = (truth >= lo) & (truth < hi)
        row = {"sigma_from": lo, "sigma_to": hi, "patches": int(inside.sum())}
        for name, est in estimates.items():
            ok = inside & np.isfinite(est)
            row[name] = round(float(np.mean(np.abs(est[ok] - truth[ok]))), 3) if ok.any() else None
        rows.append(row)
    return rows


def kind_accuracy(major: np.ndarray, minor: np.ndarray, *, motion_from: float, is_motion: np.ndarray) -> float:
    said_motion = major / np.maximum(minor, 1e-3) >= motion_from
    return round(float(np.mean(said_motion == is_motion)), 3)


def errors_by_kind(truth: np.ndarray, kinds: np.ndarray, estimates: dict[str, np.ndarray]) -> list[dict]:
    rows = []
    for kind in ("none", "gaussian", "disk", "linear", "curved"):
        inside = kinds == kind
        row = {"kind": kind, "patches": int(inside.sum())}
        for name, est in estimates.items():
            ok = inside & np.isfinite(est)
            row[name] = round(float(np.mean(np.abs(est[ok] - truth[ok]))), 3) if ok.any() else None
        rows.append(row)
    return rows


def synthetic(data: dict[str, np.ndarray]) -> dict:
    patches = data["patch"].astype(np.float32) / 255.0
    truth, kinds, held = data["major"], data["kind"], data["heldout"].astype(bool)
    ratio_truth = data["major"] / np.maximum(data["minor"], 1e-3)
    read = {name: measured(patches, name) for name in limits.ESTIMATORS}
    fitted = {
        name: fit(truth[~held], major[~held], minor[~held], kinds[~held], ratio_truth[~held])
        for name, (major, minor) in read.items()
    }
    textured = np.isfinite(read["classical"][0])
    h = held & textured
    estimates = {}
    for name, (major, _) in read.items():
        estimates[name] = calibrated(major, floor=fitted[name]["floor"])[h]
    estimates["zhuo_sim"] = baseline(patches[h])
    estimates["trivial"] = np.full(int(h.sum()), float(np.median(truth[~held])), dtype=np.float32)
    blurred = h & (truth >= 1.0) & (np.isin(kinds, ["gaussian", "disk"]) | (ratio_truth >= 2))
    is_motion = (ratio_truth >= 2)[blurred]
    kind_right = {
        name: kind_accuracy(
            major[blurred], minor[blurred], motion_from=fitted[name]["motion_from"], is_motion=is_motion
        )
        for name, (major, minor) in read.items()
    }
    keep, reject = truth[h] <= KEEP_UP_TO, truth[h] >= REJECT_FROM
    split = {
        name: round(
            float(
                (np.mean(estimates[name][keep] <= f["limit_px"]) + np.mean(estimates[name][reject] > f["limit_px"])) / 2
            ),
            3,
        )
        for name, f in fitted.items()
    }
    return {
        "fit": fitted,
        "patches": {"fitting": int((~held).sum()), "held_out": int(held.sum()), "held_out_textured": int(h.sum())},
        "held_out_limit_accuracy": split,
        "held_out_error_px": errors_by_bin(truth[h], estimates),
        "held_out_error_by_kind_px": errors_by_kind(truth[h], kinds[h], estimates),
        "held_out_mae_px": {k: round(float(np.nanmean(np.abs(v - truth[h]))), 3) for k, v in estimates.items()},
        "held_out_kind_accuracy": kind_right,
        "held_out_kind_trivial": round(float(max(is_motion.mean(), 1 - is_motion.mean())), 3),
        "held_out_kind_patches": int(blurred.sum()),
    }


# The benchmarks' masks do not label photos as a whole: even a mask 95 % white leaves the sharp subject
# (a flower on bokeh, a panned car) that a photographer keeps, so they are no set to score keep / reject.
PARTS = ("synthetic", "streaks", "scene", "realworld", "sensitivity")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab pixel_blur", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    parser.add_argument(
        "--parts", nargs="+", choices=PARTS, default=list(PARTS),
        help="parts to run again; the others are kept from reports/pixel_blur.json",
    )  # fmt: skip
    args = parser.parse_args()
    out = ROOT / "reports" / "pixel_blur.json"
    report = json.loads(out.read_text()) if out.exists() and set(args.parts) != set(PARTS) else {}
    runs = {
        "synthetic": lambda: synthetic(load_patches()),
        "streaks": lambda: streak_study(args.data),
        "scene": scene_check,
        "realworld": lambda: realworld_confusion(args.data),
        "sensitivity": lambda: sensitivity(args.data),
    }
    for part in args.parts:
        report[part] = runs[part]()
    report["shipped"] = {"estimator": limits.ESTIMATOR, "fitted": limits.FITTED, "streak_below": limits.STREAK_BELOW,
                         "streak_binned_below": limits.STREAK_BINNED_BELOW}  # fmt: skip
    out.write_text(json.dumps(report, indent=1) + "\n")
    from lab.studies.pixel_blur_markdown import write_markdown

    speed = ROOT / "reports" / "judge_speed.json"
    write_markdown(
        report, ROOT / "reports" / "pixel_blur.md", speed=json.loads(speed.read_text()) if speed.exists() else None
    )
    print(json.dumps(report["synthetic"]["fit"]), "→", out)


if __name__ == "__main__":
    main()
