"""The paper's experiments at CPU scale (issue 13): Table 1's three settings, Tables 2–3, Sun-2019.

    python scripts/reproduce.py train            # train + score every missing run, in queue order
    python scripts/reproduce.py train --only kim_unet_s1
    python scripts/reproduce.py table1|table2|sun|figures   # write a report from the scores on disk
    python scripts/reproduce.py all              # train what is missing, then every report

Every faithful run uses one recipe and one budget (``src/msdunet/configs/repro_cpu.toml``: the
paper's architecture at width 16, 12 epochs) and differs only in its training pack, its variant and
its seed.  Runs are resumable run by run (weights in ``runs/repro_*``, never committed); each
finished run is scored by ``msdunet evaluate`` on its setting's test split and its scores are
written to ``reports/reproduce/RUN.json``, which the reports are built from.
"""

from __future__ import annotations

import argparse

from study_runs import ROOT, score, train

REPORT_DIR = ROOT / "reports" / "reproduce"

# setting → (training pack, test split as (dataset, split), label)
SETTINGS = {
    "dut": ("cache/dut_train.npz", ("dut", "test"), "DUT (600 → 500)"),
    "kim": ("cache/kim_train.npz", ("cuhk", "kim_test"), "CUHK (Kim 800 → 200)"),
    "cuhk_star": ("cache/defocus_train.npz", ("cuhk", "defocus_test"), "CUHK* (BTBNet 604 → 100)"),
    "sun": ("cache/sun_train.npz", ("cuhk", "sun_test"), "Sun-2019 (800 → 200)"),
}
VARIANTS = ("msdunet", "unet", "noskip", "nodilation")


def _faithful(setting: str, variant: str, seed: int) -> tuple[str, str, dict]:
    pack = SETTINGS[setting][0]
    return setting, "repro_cpu.toml", {"train": pack, "variant": variant, "seed": seed}


def _lite0(setting: str) -> tuple[str, str, dict]:
    return setting, "lite0_unet_cpu.toml", {"train": SETTINGS[setting][0], "seed": 0}


# run name → (setting, config, --set overrides), in the order the queue trains them
RUNS: dict[str, tuple[str, str, dict]] = {}
for _seed in (0, 1):
    RUNS.update({f"kim_{v}_s{_seed}": _faithful("kim", v, _seed) for v in VARIANTS})
    if _seed == 0:
        RUNS.update({f"{s}_msdunet_s0": _faithful(s, "msdunet", 0) for s in ("dut", "cuhk_star")})
RUNS["sun_msdunet_s0"] = _faithful("sun", "msdunet", 0)
RUNS.update({f"{s}_lite0_s0": _lite0(s) for s in ("cuhk_star", "dut", "kim")})
RUNS.update({f"kim_{v}_s2": _faithful("kim", v, 2) for v in VARIANTS})


def train_all(names: list[str], data: str) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        setting, config, overrides = RUNS[name]
        out = train(f"repro_{name}", config, overrides)
        dataset_split = SETTINGS[setting][1]
        score(name, out, data=data, test_sets={setting: dataset_split}, report_dir=REPORT_DIR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "all"])
    parser.add_argument("--only", nargs="+", choices=list(RUNS), help="These runs only, in this order.")
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args()
    if args.what in ("train", "all"):
        train_all(args.only or list(RUNS), args.data)


if __name__ == "__main__":
    main()
