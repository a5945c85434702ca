"""What both web app test files need: a detect output folder made by ``msdunet detect`` itself."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from .conftest import half_blurred, invoke, textured


def make_photos(root: Path) -> Path:
    """``root/photos``: photos at the top and two folders down, one blurred all over, and a broken one."""
    photos = root / "photos"
    (photos / "trip" / "day 2").mkdir(parents=True)
    image, _ = half_blurred(120, 80, seed=3, cell=2)
    image.save(photos / "half.jpg")
    Image.fromarray(textured(100, 70, seed=4, cell=2)).save(photos / "trip" / "sharp.png")
    image.resize((90, 60)).save(photos / "trip" / "day 2" / "small.jpg")
    (photos / "trip" / "broken.jpg").write_bytes(b"not an image at all")
    return photos


def make_detect_out(root: Path, weights: Path) -> Path:
    """``root/out``: what ``msdunet detect root/photos -r -o root/out`` writes (exit 1: one photo is broken)."""
    photos, out = make_photos(root), root / "out"
    result = invoke(["detect", photos, "-r", "-o", out, "--weights", weights, "-q"])
    assert result.exit_code == 1, result.output
    return out
