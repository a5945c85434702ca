"""Parameters, weights size and forward GFLOPs per 256² image of every variant, at two widths.

    python -m lab model_size [--widths 16 64] [--size 256]

GFLOPs are counted by torch's FlopCounterMode (2 FLOPs per multiply-add, convolutions and
transposed convolutions), not timed, so the table is the same on every machine.
"""

from __future__ import annotations

import argparse

from msdunet.model import VARIANTS, ModelConfig, MSDUNet, count_parameters, gflops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    print(f"| variant | width | parameters | fp32 MB | GFLOPs / {args.size}² |")
    print("|---|---|---|---|---|")
    for width in args.widths:
        for variant in VARIANTS:
            model = MSDUNet(ModelConfig(variant=variant, width=width))
            n = count_parameters(model)
            print(
                f"| {variant} | {width} | {n:,} | {n * 4 / 1e6:.1f} | {gflops(model, size=args.size):.2f} |", flush=True
            )


if __name__ == "__main__":
    main()
