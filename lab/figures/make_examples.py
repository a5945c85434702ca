"""Make the example photos shipped in examples/: procedural scenes drawn here, no dataset images.

Each scene is a textured "world" (shapes, stripes, text, fine noise); parts are blurred the way
cameras blur them: a defocused background behind a sharp subject, a motion-smeared strip, a photo
that is sharp everywhere, one that is blurred everywhere.  Deterministic: rerun to regenerate.

    python -m lab make_examples
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lab import ROOT

HERE = ROOT / "examples"
W, H = 640, 427


def world(seed: int, w: int = W, h: int = H) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 200, 3)
    image = Image.new("RGB", (w, h), tuple(int(c) for c in base))
    draw = ImageDraw.Draw(image)
    for _ in range(160):
        x, y = rng.integers(-40, w), rng.integers(-40, h)
        s = int(rng.integers(6, 70))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = rng.integers(0, 4)
        if kind == 0:
            draw.ellipse([x, y, x + s, y + s], fill=colour, outline=(0, 0, 0))
        elif kind == 1:
            draw.rectangle([x, y, x + s, y + s // 2], fill=colour)
        elif kind == 2:
            for k in range(0, s, 4):
                draw.line([x + k, y, x + k, y + s], fill=colour, width=2)
        else:
            draw.text((x, y), "msdunet", fill=colour)
    noise = rng.normal(0, 14, (h, w, 3))
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8))


def motion_blur(image: Image.Image, length: int) -> Image.Image:
    """Horizontal box smear of ``length`` pixels (camera panning)."""
    a = np.asarray(image, dtype=np.float64)
    kernel = np.ones(length) / length
    out = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 1, a)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def subject_mask(w: int = W, h: int = H) -> Image.Image:
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse([w * 0.3, h * 0.15, w * 0.7, h * 0.95], fill=255)
    return mask


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    scenes = {}
    # 1. portrait-style: sharp subject, defocused background
    background = world(1).filter(ImageFilter.GaussianBlur(6))
    scenes["defocus_portrait"] = Image.composite(world(2), background, subject_mask())
    # 2. a motion-smeared band across the middle of a sharp scene
    sharp = world(3)
    band = Image.new("L", (W, H), 0)
    ImageDraw.Draw(band).rectangle([0, H // 3, W, 2 * H // 3], fill=255)
    scenes["motion_band"] = Image.composite(motion_blur(sharp, 25), sharp, band)
    # 3. sharp everywhere; 4. blurred everywhere
    scenes["all_sharp"] = world(4)
    scenes["all_blurred"] = world(5).filter(ImageFilter.GaussianBlur(5))
    for name, image in scenes.items():
        image.save(HERE / f"{name}.jpg", quality=90)
        print(HERE / f"{name}.jpg")


if __name__ == "__main__":
    main()
