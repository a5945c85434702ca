"""Blur-detection metrics as small accumulators: ``step(map, mask)`` per image, ``results()`` at the end.

The protocol is the common salient-object one (``py_sod_metrics``), which the blur-detection
literature and ``../shared/data/peers`` use; it is cross-checked against that package in the tests:

* a map (8-bit, 0..255) is scaled to [0, 1] by min–max (a constant map is only divided by 255);
  the mask is binary, True = blurred;
* per image, precision and recall of the blurred region at the 256 thresholds t = 0..255, the
  map quantised as ``floor(map·255)`` and called blurred where ≥ t — one histogram and a cumulative
  sum, not 256 passes;
* F_β = (1+β²)·P·R / (β²·P + R), β² = 0.3, per image and threshold, averaged over images into one
  F curve: **maxF** = its maximum, **meanF** = its mean; **adpF** = F at the per-image adaptive
  threshold min(2·mean(map), 1); **MAE** = mean |map − mask|, averaged over images.

Curves here are indexed by threshold (index t = threshold t).  py_sod_metrics stores them in the
opposite order (index 0 = threshold 255); the values are the same.

The **fixed** protocol is D-DFFNet's (Jin et al., ICME 2023; its ``test1.py``, with which it scored the
published methods of its README table), on the raw map, not min–max scaled:

* a pixel is blurred where map/255 > 0.5 (8-bit level ≥ 128); **fixedF** = F_β (β² = 0.3) of that
  binary map per image (0 where nothing is both predicted and blurred), averaged over images;
* **fixedMAE** = mean |map/255 − mask| per image, averaged over images.

py_sod_metrics computes the same with ``FmeasureV2(FmeasureHandler(with_binary=True))`` and
``MAE`` given ``normalize=False`` (the tests check it).  ``PROTOCOLS`` names each protocol's scores.
"""

from __future__ import annotations

import numpy as np

BETA2 = 0.3
THRESHOLDS = 256
FIXED_LEVEL = 0.5  # the fixed protocol's threshold on map/255 (strictly above: blurred)
PROTOCOLS = {"maxf": ("maxF", "meanF", "adpF", "MAE"), "fixed": ("fixedF", "fixedMAE")}
SCORE_KEYS = ("n", *PROTOCOLS["maxf"], *PROTOCOLS["fixed"])  # the scalars of every table, in order


def normalize_map(blur_map: np.ndarray) -> np.ndarray:
    """0..255 map → float64 in [0, 1], min–max scaled (as MATLAB's mapminmax(im2double(...)))."""
    pred = np.asarray(blur_map, dtype=np.float64) / 255.0
    lo, hi = pred.min(), pred.max()
    if hi != lo:
        pred = (pred - lo) / (hi - lo)
    return pred


def to_uint8_map(prob: np.ndarray) -> np.ndarray:
    """Float probability map in [0, 1] → the 8-bit map that would be saved as PNG (rounded)."""
    return np.clip(np.rint(np.asarray(prob, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def f_beta(precision: np.ndarray, recall: np.ndarray, beta2: float = BETA2) -> np.ndarray:
    numerator = (1 + beta2) * precision * recall
    denominator = np.where(numerator == 0, 1.0, beta2 * precision + recall)
    return numerator / denominator


class FMeasure:
    """Precision/recall/F curves over 256 thresholds, and the adaptive F."""

    def __init__(self, beta2: float = BETA2) -> None:
        self.beta2 = beta2
        self.precisions: list[np.ndarray] = []
        self.recalls: list[np.ndarray] = []
        self.fs: list[np.ndarray] = []
        self.adaptive: list[float] = []

    def step(self, pred: np.ndarray, mask: np.ndarray) -> None:
        """``pred``: normalised map in [0, 1]; ``mask``: bool, True = blurred."""
        levels = (pred * 255).astype(np.uint8)
        fg = np.bincount(levels[mask], minlength=THRESHOLDS)
        bg = np.bincount(levels[~mask], minlength=THRESHOLDS)
        tp = np.cumsum(fg[::-1])[::-1]  # blurred pixels with level >= t
        predicted = tp + np.cumsum(bg[::-1])[::-1]
        precision = tp / np.where(predicted == 0, 1, predicted)
        recall = tp / max(int(np.count_nonzero(mask)), 1)
        self.precisions.append(precision)
        self.recalls.append(recall)
        self.fs.append(f_beta(precision, recall, self.beta2))
        self.adaptive.append(self._adaptive(pred, mask))

    def _adaptive(self, pred: np.ndarray, mask: np.ndarray) -> float:
        binary = pred >= min(2 * pred.mean(), 1.0)
        hit = np.count_nonzero(binary & mask)
        if hit == 0:
            return 0.0
        p, r = hit / np.count_nonzero(binary), hit / np.count_nonzero(mask)
        return float((1 + self.beta2) * p * r / (self.beta2 * p + r))

    def results(self) -> dict:
        f_curve = np.mean(self.fs, axis=0)
        return {
            "maxF": float(f_curve.max()),
            "meanF": float(f_curve.mean()),
            "adpF": float(np.mean(self.adaptive)),
            "f_curve": f_curve,
            "precision": np.mean(self.precisions, axis=0),
            "recall": np.mean(self.recalls, axis=0),
        }


class FixedThreshold:
    """The fixed protocol (D-DFFNet's): the raw map binarised at ``FIXED_LEVEL``, F per image; raw MAE."""

    def __init__(self, beta2: float = BETA2, level: float = FIXED_LEVEL) -> None:
        self.beta2, self.level = beta2, level
        self.fs: list[float] = []
        self.maes: list[float] = []

    def step(self, raw: np.ndarray, mask: np.ndarray) -> None:
        """``raw``: the map / 255, not rescaled; ``mask``: bool, True = blurred."""
        binary = raw > self.level
        tp = np.count_nonzero(binary & mask)
        precision = tp / max(int(np.count_nonzero(binary)), 1)
        recall = tp / max(int(np.count_nonzero(mask)), 1)
        self.fs.append(float(f_beta(np.array(precision), np.array(recall), self.beta2)))
        self.maes.append(float(np.mean(np.abs(raw - mask))))

    def results(self) -> dict:
        return {"fixedF": float(np.mean(self.fs)), "fixedMAE": float(np.mean(self.maes))}


class MAE:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, pred: np.ndarray, mask: np.ndarray) -> None:
        self.values.append(float(np.mean(np.abs(pred - mask))))

    def results(self) -> dict:
        return {"MAE": float(np.mean(self.values))}


class BlurMetrics:
    """Everything the project reports (both protocols), in one accumulator. ``step`` takes an 8-bit map (0..255)."""

    def __init__(self) -> None:
        self.fmeasure = FMeasure()
        self.mae = MAE()
        self.fixed = FixedThreshold()
        self.n = 0

    def step(self, blur_map: np.ndarray, mask: np.ndarray) -> None:
        if blur_map.shape != mask.shape:
            raise ValueError(f"map shape {blur_map.shape} differs from mask shape {mask.shape}")
        pred = normalize_map(blur_map)
        mask = np.asarray(mask, dtype=bool)
        self.fmeasure.step(pred, mask)
        self.mae.step(pred, mask)
        self.fixed.step(np.asarray(blur_map, dtype=np.float64) / 255.0, mask)
        self.n += 1

    def results(self) -> dict:
        if self.n == 0:
            raise ValueError("no image was scored")
        return {"n": self.n, **self.fmeasure.results(), **self.mae.results(), **self.fixed.results()}


def scores(results: dict) -> dict:
    """The scalar part of ``BlurMetrics.results()`` (for tables and JSON lines)."""
    return {k: results[k] for k in SCORE_KEYS if k in results}
