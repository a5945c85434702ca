"""Numbers behind the README's scale-policy paragraph (the tests assert looser bounds):

1. one synthetic scene with a known blurred half at 512×512 and at 6000×4000 (texture and blur scale
   with the frame): share of pixels classified right, mean P(blurred) on each half;
2. tiled vs whole-image inference at native resolution (640×480, 320-px tiles, 96 overlap).

    python -m lab scale_demo [--weights W]
"""

from __future__ import annotations

import argparse

import numpy as np

from msdunet.inference.detector import BlurDetector
from tests.conftest import half_blurred


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=None)
    args = parser.parse_args()
    detector = BlurDetector(args.weights)
    for width, height in ((512, 512), (6000, 4000)):
        image, mask = half_blurred(width, height, seed=7, cell=max(1, width // 256), radius=width / 128)
        blur = detector(image)
        print(
            f"{width}×{height}: {100 * np.mean((blur >= 0.5) == mask):.1f} % of pixels right; mean P(blurred) "
            f"sharp half {blur[:, : width // 2].mean():.3f}, blurred half {blur[:, width // 2 :].mean():.3f}"
        )
    image, _ = half_blurred(640, 480, seed=3, cell=2, radius=5)
    whole = BlurDetector(args.weights, working_size=None, tile=1024, bf16=False)(image)
    tiled = BlurDetector(args.weights, working_size=None, tile=320, tile_overlap=96, bf16=False)(image)
    diff = np.abs(whole - tiled)
    print(f"tiled vs whole (640×480, tiles 320/96): max |Δ| {diff.max():.3f}, mean {diff.mean():.4f}")


if __name__ == "__main__":
    main()
