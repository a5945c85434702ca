"""Published blur-detection results beside ours, protocol by protocol and test set by test set.

    python -m lab published_table [--data ../shared/data] [--model NAME] [--out reports/published]

Reads ``lab/studies/published.toml`` (published numbers, each with its source and whether it was read
there), scores the peers' maps of ``../shared/data/peers`` (eight methods on the Sun-2019 split) under
both protocols, and scores the default model on the path users get — ``msdunet detect``'s detector
(``ModelOptions()``: its working geometry and precision) — on the four test sets of the model cards,
with the floor.  Writes OUT.json (every row, with its source) and OUT.md (a table per test set and
protocol, sources and notes below).  The goals of issue 24 are shown as a row, not as a result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import tomllib

from lab.studies.peers_report import score_peers
from lab.studies.ship_weights import TRAINING_SPLITS
from lab.studies.study_runs import overlap
from msdunet.data.sources import CARD_TEST_SETS, dataset_samples
from msdunet.inference.options import ModelOptions, load_detector
from msdunet.scoring.evaluate import FLOOR, evaluate_detector
from msdunet.scoring.metrics import PROTOCOLS

SOURCE = Path(__file__).with_name("published.toml")
F_AND_MAE = {protocol: (keys[0], keys[-1]) for protocol, keys in PROTOCOLS.items()}  # maxF/MAE, fixedF/fixedMAE
PROTOCOL_NAMES = {"maxf": "maxF protocol", "fixed": "fixed protocol (D-DFFNet's, threshold 0.5)"}


def row(method: str, scores: list[float] | tuple, **about) -> dict:
    """One table row: F and MAE (MAE None where the source gives none) and what is known about it."""
    return {"method": method, "F": scores[0], "MAE": scores[1] if len(scores) > 1 else None, **about}


def published_rows(book: dict) -> dict[tuple[str, str], list[dict]]:
    """{(test set, protocol): rows} of the published numbers in the TOML."""
    sections: dict[tuple[str, str], list[dict]] = {}
    for entry in book["result"]:
        source = book["sources"][entry["source"]]
        about = {
            "year": entry["year"],
            "trained_on": entry["trained_on"],
            "source": entry["source"],
            "verified": source["verified"],
            "note": entry.get("note", ""),
        }
        for test, scores in entry["scores"].items():
            sections.setdefault((test, entry["protocol"]), []).append(row(entry["method"], scores, **about))
    return sections


def peer_rows(book: dict, data: Path) -> dict[tuple[str, str], list[dict]]:
    """{("sun_test", protocol): rows} of the peers' maps, scored here."""
    peers = book["peers"]
    scored = {k: v for k, v in score_peers(data).items() if k != FLOOR}
    sections = {}
    for protocol, (f, mae) in F_AND_MAE.items():
        sections[("sun_test", protocol)] = [
            row(
                method,
                (r[f], r[mae]),
                year=peers["years"].get(method, ""),
                trained_on=peers["trained_on"].get(method, peers["default_trained_on"]),
                source="peers",
                verified=True,
                note="its released maps, scored here",
            )
            for method, r in scored.items()
        ]
    return sections


def our_rows(model: str | None, data: Path) -> tuple[dict[tuple[str, str], list[dict]], dict]:
    """{(test set, protocol): [ours, floor]} on detect's path, and how that path was set."""
    detector = load_detector(ModelOptions(weights=model))
    name = Path(str(detector.weights_path)).stem
    sections = {}
    for key, test in CARD_TEST_SETS.items():
        seen = overlap((test.dataset, test.split), TRAINING_SPLITS, str(data))
        scored = evaluate_detector(detector, dataset_samples(test.dataset, test.split, data))
        label = f"ours: {name}, detect's path" + (f" † ({seen} of {scored.method['n']} in training)" if seen else "")
        for protocol, (f, mae) in F_AND_MAE.items():
            ours = row(label, (scored.method[f], scored.method[mae]), year="", source="this study", verified=True)
            ours["n"] = scored.method["n"]
            ours["trained_on"] = "DUT train 600 (599 used) + CUHK Kim train 800"
            floor = row(FLOOR, (scored.floor[f], scored.floor[mae]), year="", source="this study", verified=True)
            sections[(key, protocol)] = [ours, floor | {"trained_on": ""}]
        print(f"{test.label}: maxF {scored.method['maxF']:.3f}, fixedF {scored.method['fixedF']:.3f}", flush=True)
    path = {"weights": name, "working_size": detector.working_size, "square": detector.square, "bf16": detector.bf16}
    return sections, path | {"n": {key: rows[0]["n"] for (key, _), rows in sections.items()}}


def merge(*parts: dict) -> list[dict]:
    """Sections in the cards' test-set order, maxF protocol first; rows best F first, the floor last."""
    merged: dict[tuple[str, str], list[dict]] = {}
    for part in parts:
        for key, rows in part.items():
            merged.setdefault(key, []).extend(rows)
    sections = []
    for test in CARD_TEST_SETS:
        for protocol in F_AND_MAE:
            rows = merged.get((test, protocol))
            if rows:
                ranked = sorted((r for r in rows if r["method"] != FLOOR), key=lambda r: -r["F"])
                floor = [r for r in rows if r["method"] == FLOOR]
                sections.append({"test": test, "protocol": protocol, "rows": ranked + floor})
    return sections


def goal_row(book: dict, test: str, protocol: str) -> dict | None:
    goal = book.get("goals", {}).get(protocol, {}).get(test)
    return row("goal (issue 24)", goal, year="", trained_on="", source="goals", verified=True) if goal else None


def cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def markdown(book: dict, sections: list[dict], path: dict) -> str:
    lines = [
        "# Published blur-detection results beside ours",
        "",
        "Command: `python -m lab published_table` (numbers and sources: `lab/studies/published.toml`). "
        f"Ours: `{path['weights']}` as `msdunet detect` runs it (working size {path['working_size']}, "
        f"{'square' if path['square'] else 'aspect kept'}, {'bf16' if path['bf16'] else 'fp32'}), scored by "
        "`msdunet.scoring` at each mask's resolution. F is maxF or fixedF, MAE the protocol's. "
        "† marks test images the model was trained on: not a held-out score. Unverified numbers are in italics.",
    ]
    for section in sections:
        label = CARD_TEST_SETS[section["test"]].label + (f" ({path['n'][section['test']]})" if "n" in path else "")
        lines += ["", f"## {label}, {PROTOCOL_NAMES[section['protocol']]}", ""]
        lines += ["| method | year | trained on | F | MAE | source |", "|---|---|---|---|---|---|"]
        goal = goal_row(book, section["test"], section["protocol"])
        for r in ([goal] if goal else []) + section["rows"]:
            f, mae = cell(r["F"]), cell(r["MAE"])
            if not r["verified"]:
                f, mae = f"*{f}*", f"*{mae}*"
            lines.append(f"| {r['method']} | {r['year']} | {r['trained_on']} | {f} | {mae} | {r['source']} |")
    lines += ["", "## Sources", ""]
    for key, source in book["sources"].items():
        state = "read there" if source["verified"] else "**not verified**"
        lines.append(f"- `{key}` ({state}): {source['cite']}; {source['where']}. {source['protocol_note']}")
        if source.get("note"):
            lines.append(f"  {source['note']}")
    lines.append(f"- `peers` (scored here): {book['peers']['cite']}.")
    notes = {(r["method"], r["note"]) for s in sections for r in s["rows"] if r.get("note") and r["source"] != "peers"}
    lines += ["", "## Notes", ""] + [f"- {method}: {note}" for method, note in sorted(notes)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", default=None, help="Shipped model or weights (default: the default model).")
    parser.add_argument("--out", type=Path, default=Path("reports/published"))
    args = parser.parse_args()
    book = tomllib.loads(SOURCE.read_text())
    ours, path = our_rows(args.model, args.data)
    sections = merge(ours, published_rows(book), peer_rows(book, args.data))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"ours": path, "goals": book.get("goals", {}), "sources": book["sources"], "sections": sections}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    args.out.with_suffix(".md").write_text(markdown(book, sections, path))
    print(f"wrote {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
