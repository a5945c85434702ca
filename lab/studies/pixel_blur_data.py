"""Synthetic blur with known kernels on sharp benchmark content: the data ``msdunet.focus`` is fitted
and checked on.

    python -m lab pixel_blur_data [--seeds 0 1 ... 7] [--data ../shared/data]

Content: the *sharp* regions (mask black) of DUT train (600) and CUHK Kim train (800) — never the
test splits, never ``realworld/``.  Each photo is first reduced (box) by ×1.5–3 when its long side
exceeds 1024 px, by ×1.1–1.8 otherwise, so that what the annotators called sharp is sharp at the
pixel scale too (the benchmarks' "sharp" regions are often soft at 100 %).  Up to six 176-px squares
lying wholly in the sharp region, with texture, are cut from each photo, then:

- blurred by a kernel of ``msdunet.training.synthetic_blur``: none 15 %, Gaussian 25 %, disk
  (defocus) 25 %, straight streak 20 %, curved shake path 15 %; σ_major log-uniform 0.2–4 px (the
  range one patch is read at: larger blur is read on the halved photo, see ``msdunet.focus.judgement``);
- recorded as a camera does: shot and read noise (≤ 1.2 % at white), JPEG quality 70–96;
- cut to the central 128 px (the patch size of ``msdunet.focus.tiles``).

A photo is held out (``heldout``) when crc32 of its name % 5 == 0, so no held-out patch shares a
photo with a fitting one.  Written to ``cache/pixel_blur/seed{N}.npz`` (not tracked).
"""

from __future__ import annotations

import argparse
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.focus.sharpness import patch_blur
from msdunet.focus.tiles import grey
from msdunet.io import read_image, read_mask
from msdunet.training import synthetic_blur as sb

SOURCES = (("dut", "train"), ("cuhk", "kim_train"))
CROP, PATCH = 176, 128
KIND_SHARES = {"none": 0.15, "gaussian": 0.25, "disk": 0.25, "linear": 0.20, "curved": 0.15}
SIGMA_RANGE = (0.2, 4.0)
CACHE = ROOT / "cache" / "pixel_blur"


def sharp_squares(
    sharp: np.ndarray, rng: np.random.Generator, count: int = 6, *, crop: int = CROP, apart: int | None = None
) -> list[tuple[int, int]]:
    """Top-left corners of up to ``count`` ``crop``-squares lying wholly in ``sharp`` (integral image),
    ``apart`` px apart at least (default: not overlapping)."""
    h, w = sharp.shape
    apart = crop if apart is None else apart
    if h < crop or w < crop:
        return []
    integral = np.pad(sharp.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    inside = integral[crop:, crop:] - integral[:-crop, crop:] - integral[crop:, :-crop] + integral[:-crop, :-crop]
    ys, xs = np.nonzero(inside == crop * crop)
    if len(ys) == 0:
        return []
    picks = rng.choice(len(ys), size=min(count * 8, len(ys)), replace=False)
    chosen: list[tuple[int, int]] = []
    for i in picks:
        y, x = int(ys[i]), int(xs[i])
        if all(abs(y - cy) >= apart or abs(x - cx) >= apart for cy, cx in chosen):
            chosen.append((y, x))
        if len(chosen) == count:
            break
    return chosen


def reduced(sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Grey image and sharp mask, reduced as the module's docstring says."""
    image = read_image(sample.image).convert("L")
    blurred = read_mask(sample.mask)
    factor = rng.uniform(1.5, 3.0) if max(image.size) > 1024 else rng.uniform(1.1, 1.8)
    size = (max(1, round(image.width / factor)), max(1, round(image.height / factor)))
    mask = Image.fromarray(~blurred).resize(image.size, Image.NEAREST).resize(size, Image.NEAREST)
    return grey(np.asarray(image.resize(size, Image.BOX))), np.asarray(mask)


def one_patch(crop: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str, float, float]:
    kind = str(rng.choice(list(KIND_SHARES), p=list(KIND_SHARES.values())))
    if kind == "none":
        out, major, minor = crop, 0.0, 0.0
    else:
        sigma = float(np.exp(rng.uniform(*np.log(SIGMA_RANGE))))
        kernel = sb.make_kernel(kind, sigma, rng)
        out = sb.blur(crop, kernel)
        major, minor = kernel.sigmas
    out = sb.camera(out, rng, noise=float(rng.uniform(0, 0.012)), quality=int(rng.integers(70, 97)))
    m = (CROP - PATCH) // 2
    return out[m : m + PATCH, m : m + PATCH], kind, major, minor


def generate(seed: int, data: str | None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in ("patch", "kind", "major", "minor", "heldout", "name")}
    for dataset, split in SOURCES:
        for sample in dataset_samples(dataset, split, data):
            image, sharp = reduced(sample, rng)
            for y, x in sharp_squares(sharp, rng):
                crop = image[y : y + CROP, x : x + CROP]
                m = (CROP - PATCH) // 2
                if not patch_blur(crop[None, m : m + PATCH, m : m + PATCH]).textured[0]:
                    continue
                patch, kind, major, minor = one_patch(crop, rng)
                name = f"{dataset}/{sample.stem}"
                held = zlib.crc32(name.encode()) % 5 == 0
                for key, value in zip(rows, (patch, kind, major, minor, held, name), strict=True):
                    rows[key].append(value)
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["patch"] = np.round(out["patch"] * 255).astype(np.uint8)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab pixel_blur_data", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        path: Path = CACHE / f"seed{seed}.npz"
        if path.exists():
            print(f"{path}: exists")
            continue
        made = generate(seed, args.data)
        np.savez_compressed(path, **made)
        print(f"{path}: {len(made['patch'])} patches, {int(made['heldout'].sum())} held out")


if __name__ == "__main__":
    main()
