"""The paper's experiments at CPU scale (issue 13): Table 1's three settings, Tables 2–3, Sun-2019.

    python -m lab reproduce train            # train + score every missing run, in queue order
    python -m lab reproduce train --only kim_unet_s1
    python -m lab reproduce baselines        # HiFST (PyPI blur_detector, [bench] extra) per setting
    python -m lab reproduce table1|table2|sun|figures   # write a report from the scores on disk
    python -m lab reproduce all              # all of the above, what is missing only

Every faithful run uses one recipe and one budget (``src/msdunet/training/configs/repro_cpu.toml``: the
paper's architecture at width 16, 12 epochs) and differs only in its training pack, its variant and
its seed.  Runs are resumable run by run (weights in ``runs/repro_*``, never committed); each
finished run is scored by ``msdunet evaluate`` on its setting's test split and its scores are
written to ``reports/reproduce/RUN.json`` (scores and PR/F curves), which the reports are built
from (``lab/studies/reproduce_report.py``): ``reports/reproduce_{table1,table2,sun}.md``, the curves of
every method per setting (the paper's Figs 7–8) in ``reports/reproduce_curves_SETTING.png`` and
grids of photo / ground truth / published maps / ours (Figs 5–6) in ``reports/reproduce_grid_*.png``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from lab.studies import reproduce_report as report
from lab.studies.study_runs import ROOT, score, train

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
RUNS.update({f"kim_{v}_s2": _faithful("kim", v, 2) for v in VARIANTS})
RUNS.update({f"{s}_lite0_s0": _lite0(s) for s in ("cuhk_star", "sun", "dut", "kim")})


def train_all(names: list[str], data: str) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        setting, config, overrides = RUNS[name]
        out = train(f"repro_{name}", config, overrides)
        dataset_split = SETTINGS[setting][1]
        score(name, out, data=data, test_sets={setting: dataset_split}, report_dir=REPORT_DIR, curves=True)


def baselines(data: str) -> None:
    """HiFST's maps (the PyPI port, as lab/bench/compare_baselines.py runs it) scored per setting."""
    from lab.bench.compare_baselines import hifst
    from msdunet.data.sources import dataset_samples
    from msdunet.io import read_image, read_mask
    from msdunet.scoring.evaluate import floor_results, score_pairs
    from msdunet.scoring.metrics import to_uint8_map

    def curves(r: dict) -> dict:
        return {k: [round(float(x), 4) for x in r[k]] for k in ("precision", "recall", "f_curve")}

    for setting, (_, (dataset, split), _) in SETTINGS.items():
        path = REPORT_DIR / f"hifst_{setting}.json"
        if path.exists():
            continue
        print(f"HiFST on {dataset}/{split}", flush=True)
        samples = dataset_samples(dataset, split, data)
        masks = [read_mask(s.mask) for s in samples]
        maps = [to_uint8_map(hifst(np.asarray(read_image(s.image)))).astype(np.float64) for s in samples]
        r, floor = score_pairs(zip(maps, masks, strict=True)), floor_results(masks)
        scores = {k: round(float(r[k]), 4) for k in ("maxF", "meanF", "MAE")}
        scores.update(floor_maxF=round(float(floor["maxF"]), 4), floor_MAE=round(float(floor["MAE"]), 4))
        scores.update(curves=curves(r), floor_curves=curves(floor))
        path.write_text(json.dumps({"run": f"HiFST on {dataset}/{split}", setting: scores}, indent=1) + "\n")


def figures() -> None:
    """Figs 7–8 (PR and F curves of every method, per setting) and Figs 5–6 (grids)."""
    from msdunet.scoring.evaluate import plot_curves

    for setting, (_, _, label) in SETTINGS.items():
        curves = report.setting_curves(setting)
        if setting == "sun":
            curves = {**report.sun_table()[1], **{k: v for k, v in curves.items() if k == report.FLOOR}}
        if curves:
            as_arrays = {
                k: {m: np.asarray(v[m]) for m in ("precision", "recall", "f_curve")} for k, v in curves.items()
            }
            path = ROOT / "reports" / f"reproduce_curves_{setting}.png"
            plot_curves(as_arrays, path, title=f"{label}: PR and F curves (paper's Figs 7–8)")
            print(f"wrote {path}")
    from lab.studies import reproduce_grids

    reproduce_grids.make_grids()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "baselines", "table1", "table2", "sun", "figures", "all"])
    parser.add_argument("--only", nargs="+", choices=list(RUNS), help="These runs only, in this order.")
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args()
    if args.what in ("train", "all"):
        train_all(args.only or list(RUNS), args.data)
    if args.what in ("baselines", "all"):
        baselines(args.data)
    if args.what in ("table1", "all"):
        report.write("table1", report.table1(SETTINGS, args.data))
    if args.what in ("table2", "all"):
        report.write("table2", report.table2(SETTINGS))
    if args.what in ("sun", "all"):
        report.write("sun", report.sun_table()[0])
    if args.what in ("figures", "all"):
        figures()


if __name__ == "__main__":
    main()
