"""What the box-reduction of large photos (``msdunet.inference.decoding``) does to their maps, beside
what bf16 autocast does, on the camera folder's photos (``python -m lab camera_folder``'s maps part).

Per photo, at the map size detect writes (1600 px): the default map (detect's engine, onnxruntime
fp32) against the map of the photo resized bilinear from full size, as detect did before (the same
network); and, as the yardstick, the default map against torch bf16, detect's engine before (both
with the box-reduction).  Each as the
largest and the mean |ΔP| per pixel, and whether the map's verdict (``msdunet.focus.summarize_focus``)
stays the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.detect.outputs import MAP_SIZE, bounded
from msdunet.focus import summarize_focus
from msdunet.inference.detector import BlurDetector
from msdunet.scoring.metrics import to_uint8_map


def compare(folder: Path) -> dict:
    """Per photo and over the folder: |ΔP| of the box-reduction and of bf16, and verdicts kept."""
    detector, bf16 = BlurDetector(), BlurDetector(backend="torch", bf16=True)  # detect's engine; torch bf16
    rows = []
    for path in sorted(folder.iterdir()):
        rgb, size = detector.load(path)
        at = {"map_size": bounded(size, MAP_SIZE)}
        default = detector.map_for(rgb, size, **at)
        before = detector.map_for(rgb.resize(detector.working_shape(*size), Image.BILINEAR), size, **at)
        halved = bf16.map_for(rgb, size, **at)
        rows.append({"photo": path.name, "reduction": detector.decoding.reduction(*size),
                     "reduce": _delta(default, before), "bf16": _delta(default, halved)})  # fmt: skip
    summary = {}
    for key in ("reduce", "bf16"):
        summary[key] = {
            "max": max(r[key]["max"] for r in rows),
            "mean": round(float(np.mean([r[key]["mean"] for r in rows])), 4),
            "verdicts_kept": sum(r[key]["same_verdict"] for r in rows),
        }
    summary["reduce"]["photos_over_bf16"] = sum(r["reduce"]["max"] > r["bf16"]["max"] for r in rows)
    return {"photos": len(rows), "summary": summary, "rows": rows}


def _delta(a: np.ndarray, b: np.ndarray) -> dict:
    diff = np.abs(a - b)
    same = summarize_focus(to_uint8_map(a)).verdict == summarize_focus(to_uint8_map(b)).verdict
    return {"max": round(float(diff.max()), 3), "mean": round(float(diff.mean()), 4), "same_verdict": bool(same)}


def markdown(maps: dict) -> list[str]:
    s = maps["summary"]
    lines = [
        "## What the box-reduction does to the maps",
        "",
        f"The JPEG folder's {maps['photos']} photos, maps at detect's size (lab/bench/camera_maps.py): the "
        "default map (detect's engine: onnxruntime fp32) against the photo resized bilinear from full size as "
        "before, beside the default map against torch bf16 (detect's engine before).",
        "",
        "| change | largest abs ΔP | mean abs ΔP (mean over photos) | map verdicts kept |",
        "| --- | --- | --- | --- |",
    ]
    for key, label in (("reduce", "box-reduced first vs bilinear from full size"), ("bf16", "onnx fp32 vs torch bf16")):
        kept = f"{s[key]['verdicts_kept']} of {maps['photos']}"
        lines.append(f"| {label} | {s[key]['max']} | {s[key]['mean']} | {kept} |")
    over = s["reduce"]["photos_over_bf16"]
    return lines + ["", f"On {over} of {maps['photos']} photos the box-reduction's largest ΔP exceeds bf16's.", ""]
