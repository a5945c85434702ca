"""Grid artefacts in the blur maps: a 400 % crop per shipped model, and a number for the grid.

    python -m lab grid_figure [--data ../shared/data] [--photo out_of_focus0529] [--limit 100]
        [--also LABEL=WEIGHTS ...]   # trained runs beside the shipped models (weights stay in runs/)

A 2×2 transposed conv with stride 2 (the paper's upsampling) tends to leave a checkerboard with a
period of 2 px at the network's resolution (and 4, 8, 16 px from the deeper levels).  For each
shipped model this writes:

* ``reports/grid_zoom.png``: the photo, and for each model a 64×64 crop of its map at the network's
  working resolution (long side 256) enlarged 4× without smoothing — the "400 % zoom";
* ``reports/grid_zoom.md``: the *grid index* over the first ``--limit`` DUT test images — the share
  of the map's high-frequency power (periods under 8 px) that lies on the spectral lines of periods
  2 and 4 px (rows or columns at 1/2, 1/4, 3/4 of the sampling rate).  White noise scores about
  0.025 (the lines' share of the spectrum), a pure checkerboard 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.io import read_image
from msdunet.model.weights import shipped_models

CROP, ZOOM = 64, 4


def working_map(detector: BlurDetector, path: Path) -> np.ndarray:
    """P(blurred) at the network's working resolution (before resizing back to the photo)."""
    image = read_image(path)
    work = image.resize(detector.working_shape(*image.size), Image.BILINEAR)
    return detector.probability(np.asarray(work))


def grid_index(prob: np.ndarray) -> float:
    """Share of the high-frequency power (periods under 8 px) on the period-2 and period-4 lines."""
    power = np.abs(np.fft.fft2(prob - prob.mean())) ** 2
    h, w = power.shape
    fy, fx = np.abs(np.fft.fftfreq(h))[:, None], np.abs(np.fft.fftfreq(w))[None, :]
    high = np.maximum(fy, fx) >= 1 / 8
    rows = [round(h * f) % h for f in (0.25, 0.5, 0.75)]
    cols = [round(w * f) % w for f in (0.25, 0.5, 0.75)]
    on_lines = np.zeros_like(power, dtype=bool)
    on_lines[rows, :] = True
    on_lines[:, cols] = True
    return float(power[on_lines & high].sum() / max(power[high].sum(), 1e-20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--photo", default="out_of_focus0529", help="CUHK stem for the figure")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--also", nargs="*", default=[], metavar="LABEL=WEIGHTS", help="Trained runs to add.")
    args = parser.parse_args()
    models = {name: BlurDetector(name, bf16=False) for name in shipped_models()}
    for item in args.also:
        label, _, weights = item.partition("=")
        if not weights:
            parser.error(f"--also {item!r}: expected LABEL=WEIGHTS")
        models[label] = BlurDetector(weights, bf16=False)
    photo = next(s for s in dataset_samples("cuhk", "all", args.data) if s.stem == args.photo)

    maps = {name: working_map(d, photo.image) for name, d in models.items()}
    h, w = next(iter(maps.values())).shape
    y, x = (h - CROP) // 2, (w - CROP) // 2
    tile = CROP * ZOOM
    canvas = Image.new("RGB", (tile * (len(maps) + 1), tile + 20), "white")
    shown = read_image(photo.image).resize((w, h), Image.BILINEAR).crop((x, y, x + CROP, y + CROP))
    canvas.paste(shown.resize((tile, tile), Image.NEAREST), (0, 20))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 4), f"{photo.stem}, centre crop", fill="black")
    for i, (name, prob) in enumerate(maps.items(), start=1):
        crop = (prob[y : y + CROP, x : x + CROP] * 255 + 0.5).astype(np.uint8)
        canvas.paste(Image.fromarray(crop).resize((tile, tile), Image.NEAREST).convert("RGB"), (tile * i, 20))
        draw.text((tile * i + 4, 4), f"{name} (400 %)", fill="black")
    canvas.save(ROOT / "reports" / "grid_zoom.png")

    samples = dataset_samples("dut", "test", args.data)[: args.limit]
    lines = [
        "# Grid artefacts in the maps",
        "",
        f"Command: `python -m lab grid_figure --photo {args.photo} --limit {args.limit}"
        + (" --also " + " ".join(args.also) if args.also else "")
        + "`. "
        "Figure: `reports/grid_zoom.png` (map crops at the working resolution, 4× nearest-neighbour).",
        "",
        f"Grid index over the first {len(samples)} DUT test images: each map's power on the "
        "spectral lines of periods 2 and 4 px, as a share of its power at periods under 8 px (median over "
        "images; white noise 0.025, a pure checkerboard 1).",
        "",
        "| model | upsampling | grid index (median) |",
        "|---|---|---|",
    ]
    for name, detector in models.items():
        values = [grid_index(working_map(detector, s.image)) for s in samples]
        upsample = detector.card["config"].get("upsample", "transposed")
        lines.append(f"| {name} | {upsample} | {np.median(values):.4f} |")
    (ROOT / "reports" / "grid_zoom.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
