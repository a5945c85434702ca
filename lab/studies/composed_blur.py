"""Composed blur (issue 24, lever b): training samples whose blur is known to the pixel.

    python -m lab composed_blur                      # cache/composed_train.npz from DUT + Kim train
    python -m lab composed_blur --n 700 --seed 0 --out cache/composed_train.npz

Each sample takes one training image (256² from its pack) that is at most half blurred (259 of the
1399; each is used about 2.7 times, with other masks and kernels) and the blur mask of *another*
training image (a real object's shape, in a random dihedral transform, covering 15–60 % of the
frame; the label's blurred share then averages ≈ .6, near the training packs' .66), and
blurs the image inside that mask by a known kernel (``msdunet.training.synthetic_blur``): a straight
or curved shake path, a disk (defocus) or a Gaussian, σ_major 1.5–5 px at the pack's scale, shake
kernels more often (the training data are short of motion blur: reports/accuracy_kinds.md).  Its
label is the image's own mask OR the pasted region: what was blurred stays blurred.  Then sensor
noise and a JPEG pass over the whole frame, so that the pasted region does not betray itself by
having lost its noise.  Only training images are used (DUT train, CUHK Kim train), no test image.
The pack holds raw pixels; it joins the training packs by ``msdunet train --train``.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

import numpy as np

from lab import ROOT
from msdunet.data.pack import Pack, concat_packs, load_pack
from msdunet.training.synthetic_blur import blur_through_mask, camera, make_kernel

PACKS = ("cache/dut_train.npz", "cache/kim_train.npz")
KINDS = {"linear": 0.3, "curved": 0.3, "disk": 0.25, "gaussian": 0.15}  # kernel → probability
SIGMA = (1.5, 5.0)  # σ_major, px at 256²
REGION_SHARE = (0.15, 0.6)  # of the frame, for a mask to lend its shape
SOURCE_SHARE = 0.5  # the most of a source image that is blurred already
NOISE, QUALITY = (0.003, 0.015), (80, 96)


def region_from(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A borrowed mask in one of the 8 dihedral transforms, as bool."""
    region = np.rot90(mask, int(rng.integers(4)))
    return (region[:, ::-1] if rng.random() < 0.5 else region).astype(bool)


def compose(pack: Pack, i: int, rng: np.random.Generator, *, lenders: np.ndarray) -> tuple[np.ndarray, ...]:
    """Image i blurred inside a lender's mask → (uint8 image, uint8 label, kernel kind)."""
    region = region_from(pack.masks[int(rng.choice(lenders))], rng)
    kind = str(rng.choice(list(KINDS), p=list(KINDS.values())))
    kernel = make_kernel(kind, float(rng.uniform(*SIGMA)), rng)
    image = blur_through_mask(pack.images[i].astype(np.float32) / 255.0, region, kernel)
    image = camera(image, rng, noise=float(rng.uniform(*NOISE)), quality=int(rng.integers(*QUALITY)))
    label = (pack.masks[i].astype(bool) | region).astype(np.uint8)
    return np.round(image * 255).astype(np.uint8), label, kind


def build(packs: list[str], out: Path, *, n: int, seed: int) -> Counter:
    """Write N composed samples to OUT; returns how many of each kernel kind."""
    pack = concat_packs([load_pack(ROOT / p) for p in packs])
    rng = np.random.default_rng(seed)
    shares = pack.masks.reshape(len(pack.masks), -1).mean(1)
    lenders = np.flatnonzero((shares >= REGION_SHARE[0]) & (shares <= REGION_SHARE[1]))
    sources = rng.choice(np.flatnonzero(shares <= SOURCE_SHARE), size=n, replace=True)
    images, masks, stems, kinds = [], [], [], Counter()
    for j, i in enumerate(sources):
        image, label, kind = compose(pack, int(i), rng, lenders=lenders)
        images.append(image)
        masks.append(label)
        stems.append(f"composed{j}_{kind}_{pack.stems[i]}")
        kinds[kind] += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    arrays = {"stems": np.array(stems, dtype=str), "masks": np.stack(masks), "images": np.stack(images)}
    np.savez_compressed(tmp, **arrays, size=np.array(pack.images.shape[1]))
    os.replace(tmp, out)
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=700, help="Samples (half the 1399 training images by default).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "cache" / "composed_train.npz")
    args = parser.parse_args()
    kinds = build(list(PACKS), args.out, n=args.n, seed=args.seed)
    print(f"wrote {args.out}: {sum(kinds.values())} samples, kernels {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    main()
