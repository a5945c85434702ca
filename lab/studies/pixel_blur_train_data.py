"""Training patches for the learned blur estimator: synthetic blur of known kernel on sharp content.

    python -m lab pixel_blur_train_data [--parts 0 1 ... 11] [--data ../shared/data]

Made as ``lab.studies.pixel_blur_data`` makes the fitting and held-out patches (the sharp regions of
DUT train and CUHK Kim train, reduced so that they are sharp at the pixel scale), with these changes:

- **fitting photos only**: a photo held out there (crc32 of its name % 5 == 0) is never used, so the
  learned estimator is scored on the same held-out patches as the classical one and shares no photo
  with them; of the rest, crc32 % 5 == 1 is the validation part (``val``: picks the epoch, nothing else);
- more of each photo: up to ``SQUARES`` 128-px squares wholly sharp per photo and part, half a square
  apart, cut with 32 px around them (the photo mirrored at its border) for the kernel to reach, each
  blurred ``VARIANTS`` times by independent kernels (none 12 %, Gaussian 22 %, disk 24 %, straight
  streak 22 %, curved shake 20 %), σ_major log-uniform 0.15–8 px (beyond what one patch should read,
  so that the estimate tells when to read the photo halved);
- recorded with noise ≤ 1.5 % at white, JPEG 65–97 and, on 40 %, a phone's unsharp masking;
- the truth is the kernel's σ **across each edge direction** (0°, 45°, 90°, 135° of the normal, as
  ``msdunet.focus.sharpness.DIRECTIONS``): √(uᵀ C u) of the kernel's covariance C.

Written to ``cache/pixel_blur_train/part{N}.npz`` (not tracked).
"""

from __future__ import annotations

import argparse
import zlib

import numpy as np

from lab import ROOT
from lab.studies.pixel_blur_data import SOURCES, reduced, sharp_squares
from msdunet.data.sources import dataset_samples
from msdunet.focus.sharpness import patch_blur
from msdunet.training import synthetic_blur as sb

CROP, PATCH = 192, 128
SQUARES, VARIANTS = 8, 3
KIND_SHARES = {"none": 0.12, "gaussian": 0.22, "disk": 0.24, "linear": 0.22, "curved": 0.20}
SIGMA_RANGE = (0.15, 8.0)
CACHE = ROOT / "cache" / "pixel_blur_train"
# unit vectors (y, x) of the four edge normals: 0° = across a vertical edge (along x)
NORMALS = np.array([[0.0, 1.0], [0.5**0.5, 0.5**0.5], [1.0, 0.0], [0.5**0.5, -(0.5**0.5)]])


def split_of(name: str) -> str:
    """held out (never used here), val, or train: by photo."""
    rest = zlib.crc32(name.encode()) % 5
    return "heldout" if rest == 0 else "val" if rest == 1 else "train"


def directional(kernel: sb.Kernel | None) -> np.ndarray:
    """The kernel's σ across each of the four edge directions (zeros for no blur)."""
    if kernel is None:
        return np.zeros(len(NORMALS), dtype=np.float32)
    cyy, cxx, cxy = kernel.covariance
    cov = np.array([[cyy, cxy], [cxy, cxx]])
    return np.sqrt(np.maximum(np.einsum("di,ij,dj->d", NORMALS, cov, NORMALS), 0)).astype(np.float32)


def one_variant(crop: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str, np.ndarray]:
    kind = str(rng.choice(list(KIND_SHARES), p=list(KIND_SHARES.values())))
    kernel = None
    if kind != "none":
        kernel = sb.make_kernel(kind, float(np.exp(rng.uniform(*np.log(SIGMA_RANGE)))), rng)
    out = crop if kernel is None else sb.blur(crop, kernel)
    sharpen = float(rng.uniform(0.2, 1.0)) if rng.random() < 0.4 else 0.0
    out = sb.camera(out, rng, noise=float(rng.uniform(0, 0.015)), quality=int(rng.integers(65, 98)), sharpen=sharpen)
    m = (CROP - PATCH) // 2
    return out[m : m + PATCH, m : m + PATCH], kind, directional(kernel)


def generate(part: int, data: str | None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1000 + part)  # not the seeds of pixel_blur_data
    rows: dict[str, list] = {k: [] for k in ("patch", "kind", "directional", "val", "name")}
    m = (CROP - PATCH) // 2
    for dataset, split in SOURCES:
        for sample in dataset_samples(dataset, split, data):
            name = f"{dataset}/{sample.stem}"
            if split_of(name) == "heldout":
                continue
            image, sharp = reduced(sample, rng)
            image = np.pad(
                image, m, mode="reflect"
            )  # the patch must be sharp; what the kernel reaches around it may be mirrored
            for y, x in sharp_squares(sharp, rng, count=SQUARES, crop=PATCH, apart=PATCH // 2):
                crop = image[y : y + CROP, x : x + CROP]
                if not patch_blur(crop[None, m : m + PATCH, m : m + PATCH]).textured[0]:
                    continue
                for _ in range(VARIANTS):
                    patch, kind, truth = one_variant(crop, rng)
                    for key, value in zip(rows, (patch, kind, truth, split_of(name) == "val", name), strict=True):
                        rows[key].append(value)
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["patch"] = np.round(np.clip(out["patch"], 0, 1) * 255).astype(np.uint8)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab pixel_blur_train_data", description=__doc__.split("\n")[0])
    parser.add_argument("--parts", type=int, nargs="+", default=list(range(12)))
    parser.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    for part in args.parts:
        path = CACHE / f"part{part}.npz"
        if path.exists():
            print(f"{path}: exists")
            continue
        made = generate(part, args.data)
        np.savez_compressed(path, **made)
        print(f"{path}: {len(made['patch'])} patches, {int(made['val'].sum())} for validation", flush=True)


if __name__ == "__main__":
    main()
