"""Shared fixtures: small synthetic images and datasets made here, a tiny model saved as weights, the data
root, and ``invoke`` for the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image, ImageFilter

# One torch/OpenMP thread unless the caller says otherwise (inherited by the CLI and training subprocesses).
# The tests run tiny networks on tiny images, where a second thread brings nothing, and on a 2-core machine
# with anything else running it stalls at every parallel region's barrier (tests/test_model.py under load:
# 78 s with 2 threads, 6 s with 1). ``OMP_NUM_THREADS=2 python -m pytest`` runs them multi-threaded.
os.environ.setdefault("OMP_NUM_THREADS", "1")

DATA = Path(os.environ.get("MSDUNET_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA / "README.md").exists(), reason=f"benchmark data not found at {DATA}")


def textured(width: int, height: int, seed: int = 0, cell: int = 1) -> np.ndarray:
    """Random sharp texture: noise in cells of ``cell`` px (cell scales the texture with the image)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(1, height // cell), max(1, width // cell), 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.NEAREST))


def half_blurred(
    width: int, height: int, seed: int = 0, cell: int = 1, radius: float = 4.0
) -> tuple[Image.Image, np.ndarray]:
    """Sharp texture whose right half is Gaussian-blurred; returns (image, mask True = blurred)."""
    sharp = Image.fromarray(textured(width, height, seed, cell))
    blurred = sharp.filter(ImageFilter.GaussianBlur(radius))
    mask = np.zeros((height, width), dtype=bool)
    mask[:, width // 2 :] = True
    image = Image.composite(blurred, sharp, Image.fromarray(mask.astype(np.uint8) * 255))
    return image, mask


def write_folder_dataset(root: Path, stems: list[str], width: int, height: int) -> Path:
    """``root/image/<stem>.jpg`` (half-blurred texture) + ``root/gt/<stem>.png`` (its grey mask)."""
    (root / "image").mkdir(parents=True)
    (root / "gt").mkdir()
    for i, stem in enumerate(stems):
        image, mask = half_blurred(width, height, seed=i)
        image.save(root / "image" / f"{stem}.jpg")
        Image.fromarray(mask.astype(np.uint8) * 255).save(root / "gt" / f"{stem}.png")
    return root


def invoke(args: list, **kwargs) -> Result:
    """Run ``msdunet ARGS...`` in-process (arguments are str()-ed)."""
    from msdunet.cli.main import cli

    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    """A randomly initialised width-4 MSDU-net saved with its card (fast, deterministic)."""
    import torch

    from msdunet.model import ModelConfig, MSDUNet
    from msdunet.model.weights import save_weights

    torch.manual_seed(0)
    model = MSDUNet(ModelConfig(variant="msdunet", width=4, norm="batch"))
    return save_weights(model, tmp_path_factory.mktemp("weights") / "tiny.safetensors", meta={"note": "test"})


@pytest.fixture()
def photo_dir(tmp_path) -> Path:
    """A folder of three small good photos of different kinds."""
    folder = tmp_path / "photos"
    folder.mkdir()
    image, _ = half_blurred(96, 64, seed=1)
    image.save(folder / "a.jpg")
    image.convert("L").save(folder / "b.png")
    image.resize((50, 70)).save(folder / "c.webp")
    return folder


@pytest.fixture()
def folder_dataset(tmp_path):
    """image/ + gt/ with the defects the real data has: RGB and RGBA masks, a smaller mask of the
    same aspect, a misaligned mask, an all-white mask, mixed extensions."""
    root = write_folder_dataset(tmp_path / "ds", [f"s{i}" for i in range(5)], 80, 60)
    (root / "image" / "s1.jpg").rename(root / "image" / "s1.JPG")
    grey = np.asarray(Image.open(root / "gt" / "s0.png"))  # all five share the half-blurred mask
    Image.fromarray(np.stack([grey] * 3, -1)).save(root / "gt" / "s0.png")
    Image.fromarray(np.stack([grey] * 3 + [np.full_like(grey, 255)], -1)).save(root / "gt" / "s1.png")
    Image.fromarray(grey).resize((40, 30), Image.NEAREST).save(root / "gt" / "s2.png")
    Image.fromarray(grey).resize((60, 60)).save(root / "gt" / "s3.png")
    Image.fromarray(np.full_like(grey, 255)).save(root / "gt" / "s4.png")
    return root
