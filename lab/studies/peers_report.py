"""The eight published methods on the Sun-2019 CUHK test split (200), with the floor: table, curves, figure.

    python -m lab peers_report [--data ../shared/data] [--out reports/peers_sun2019]

Writes OUT.md (table), OUT.json (scores + curves), OUT.csv (curves), OUT.png (PR and F curves, like
the paper's Figs. 7–8).  Both protocols of `msdunet evaluate` (maxF and fixed); tests/test_metrics.py checks
these numbers against the reference table in the data's peers/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from msdunet.data.sources import read_stems
from msdunet.scoring.evaluate import FLOOR, evaluate_folder, markdown_table, plot_curves, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("reports/peers_sun2019"))
    args = parser.parse_args()
    results = score_peers(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_results(
        results,
        json_path=args.out.with_suffix(".json"),
        curves_csv=args.out.with_suffix(".csv"),
        markdown=args.out.with_suffix(".md"),
        extra={"split": "bd_efpn_sun2019_test200_inferred", "protocol": "msdunet.scoring.metrics (py_sod_metrics)"},
    )
    plot_curves(results, args.out.with_suffix(".png"), title="CUHK, Sun-2019 test split (200 images)")
    print(markdown_table(results))


def score_peers(data: Path) -> dict[str, dict]:
    """{method: full results (both protocols)} of the peers' maps, best maxF first, the floor last."""
    peers = data / "peers" / "cuhk_sun2019_test200"
    stems = read_stems(data / "cuhk" / "splits" / "bd_efpn_sun2019_test200_inferred.txt")
    results, floor = {}, None
    for method in sorted(p.name for p in peers.iterdir() if p.is_dir()):
        scored = evaluate_folder(peers / method, data / "cuhk" / "gt", stems=stems)
        results[method], floor = scored.method, scored.floor
    return dict(sorted(results.items(), key=lambda kv: -kv[1]["maxF"])) | {FLOOR: floor}


if __name__ == "__main__":
    main()
