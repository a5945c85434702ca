"""The paper's Figs 5–6 at CPU scale: photo, ground truth, the published methods' maps, ours.

    python -m lab reproduce_grids [--data ../shared/data]     (also run by reproduce.py figures)

Cases come from the Sun-2019 CUHK test split, the one split for which the eight published methods'
maps are available (``../shared/data/peers``): four defocus cases (Fig. 5) and four motion cases
(Fig. 6), evenly spaced through the sorted stems so that nobody picks flattering ones.  Our columns
are the runs trained on the Sun-2019 train split (held out from these images) by reproduce.py, when
they exist, under the paper's protocol (256×256 input).  Writes ``reports/reproduce_grid_defocus.png``
and ``reports/reproduce_grid_motion.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.io import read_image, read_mask

CELL = 128
CASES = 4
OURS = {"MSDU-net (CPU)": "repro_sun_msdunet_s0", "Lite0 U-net": "repro_sun_lite0_s0"}


def pick(stems: list[str], prefix: str) -> list[str]:
    chosen = sorted(s for s in stems if s.startswith(prefix))
    step = len(chosen) / CASES
    return [chosen[int(step * (i + 0.5))] for i in range(CASES)]


def thumb(image: Image.Image) -> Image.Image:
    return image.convert("RGB").resize((CELL, CELL), Image.Resampling.BILINEAR)


def grid(rows: list[list[Image.Image]], header: list[str], path: Path) -> None:
    top = 18
    sheet = Image.new("RGB", (CELL * len(header), top + CELL * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for c, name in enumerate(header):
        draw.text((c * CELL + 3, 3), name[:20], fill="black")
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            sheet.paste(thumb(image), (c * CELL, top + r * CELL))
    sheet.save(path)
    print(f"wrote {path}")


def make_grids(data: str = "../shared/data") -> None:
    root = Path(data)
    samples = {s.stem: s for s in dataset_samples("cuhk", "sun_test", data)}
    peers_dir = root / "peers" / "cuhk_sun2019_test200"
    peers = sorted(p.name for p in peers_dir.iterdir() if p.is_dir())
    ours = {label: ROOT / "runs" / run / "model.safetensors" for label, run in OURS.items()}
    detectors = {label: BlurDetector.paper_protocol(path) for label, path in ours.items() if path.exists()}
    header = ["photo", "ground truth", *peers, *detectors]
    for kind, prefix in (("defocus", "out_of_focus"), ("motion", "motion")):
        rows = []
        for stem in pick(sorted(samples), prefix):
            photo = read_image(samples[stem].image)
            row = [photo, Image.fromarray(read_mask(samples[stem].mask).astype(np.uint8) * 255)]
            row += [Image.open(next((peers_dir / p).glob(f"{stem}.*"))) for p in peers]
            row += [Image.fromarray((d(photo) * 255).round().astype(np.uint8)) for d in detectors.values()]
            rows.append(row)
        grid(rows, header, ROOT / "reports" / f"reproduce_grid_{kind}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data")
    make_grids(parser.parse_args().data)


if __name__ == "__main__":
    main()
