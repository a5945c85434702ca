"""The README's picture: input, blur map, overlay for two bundled examples, as docs/example.png.

python -m lab readme_figure [--weights W]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from lab import ROOT
from msdunet.detect import overlay
from msdunet.inference.detector import BlurDetector
from msdunet.io import read_image
from msdunet.scoring.metrics import to_uint8_map

EXAMPLES = ("defocus_portrait", "motion_band")
TILE_W = 320


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "example.png")
    args = parser.parse_args()
    detector = BlurDetector(args.weights)
    rows = []
    for name in EXAMPLES:
        photo = read_image(ROOT / "examples" / f"{name}.jpg")
        blur = detector(photo)
        map_image = Image.fromarray(to_uint8_map(blur)).convert("RGB")
        panels = [photo, map_image, overlay(photo, blur)]
        h = round(photo.height * TILE_W / photo.width)
        rows.append([p.resize((TILE_W, h), Image.BILINEAR) for p in panels])
    h = rows[0][0].height
    sheet = Image.new("RGB", (3 * TILE_W + 20, len(rows) * (h + 24) + 4), "white")
    draw = ImageDraw.Draw(sheet)
    for j, title in enumerate(("input", "blur map (white = blurred)", "overlay")):
        draw.text((5 + j * (TILE_W + 5), 4), title, fill="black")
    for i, panels in enumerate(rows):
        for j, panel in enumerate(panels):
            sheet.paste(panel, (5 + j * (TILE_W + 5), 20 + i * (h + 24)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(args.out)


if __name__ == "__main__":
    main()
