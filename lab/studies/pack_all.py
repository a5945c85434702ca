"""Build the training/test packs of the paper's three settings and the Sun-2019 split into cache/.

python -m lab pack_all [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from lab import ROOT

PACKS = (  # (dataset, split, pack name)
    ("dut", "train", "dut_train"),
    ("dut", "test", "dut_test"),
    ("cuhk", "kim_train", "kim_train"),
    ("cuhk", "kim_test", "kim_test"),
    ("cuhk", "defocus_train", "defocus_train"),
    ("cuhk", "defocus_test", "defocus_test"),
    ("cuhk", "sun_train", "sun_train"),
    ("cuhk", "sun_test", "sun_test"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args()
    cache = ROOT / "cache"
    cache.mkdir(exist_ok=True)
    for dataset, split, name in PACKS:
        cmd = [sys.executable, "-m", "msdunet", "data", "pack", "--data", args.data, "--dataset", dataset]
        subprocess.run([*cmd, "--split", split, "-o", str(cache / f"{name}.npz")], check=True, cwd=ROOT)
    total = sum(p.stat().st_size for p in cache.glob("*.npz"))
    print(f"cache/*.npz: {total / 1e9:.2f} GB")
