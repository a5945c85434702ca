"""Reports of lab/studies/reproduce.py: Table 1, Tables 2–3, the Sun-2019 table, Figs 7–8 curves.

Everything is read from ``reports/reproduce/*.json`` (one file per trained run, one per baseline and
setting) and from the shipped default's own score files; nothing is trained or typed in here except
the paper's published numbers, quoted in ``PAPER`` with where they stand in the paper.
"""

from __future__ import annotations

import json
from pathlib import Path

from lab.studies.study_runs import ROOT, overlap, spread
from msdunet.model.weights import DEFAULT_MODEL, older_names
from msdunet.scoring.evaluate import FLOOR

REPORT_DIR = ROOT / "reports" / "reproduce"
METRICS = ("maxF", "MAE")
FAITHFUL = "MSDU-net, CPU scale (width 16, 12 epochs)"
VARIANT_LABELS = {
    "msdunet": "MSDU-net (ours)",
    "noskip": "no skip connections",
    "unet": "U-net (no extractors)",
    "nodilation": "5×5, no dilation",
}
# The paper's published F√0.3 and MAE ("MEA"), §4.2 Table 1 and §4.3 Tables 2–3.
PAPER = {
    "table1": {
        "HiFST": {"dut": (0.883, 0.203), "cuhk_star": (0.853, 0.179), "kim": (0.799, 0.207)},
        "MSDU-net": {"dut": (0.954, 0.075), "cuhk_star": (0.976, 0.032), "kim": (0.953, 0.042)},
    },
    "ablation": {"msdunet": (0.952, 0.042), "noskip": (0.851, 0.137), "unet": (0.843, 0.146)},
    "ablation_table3": {"msdunet": (0.950, 0.046), "nodilation": (0.956, 0.044), "unet": (0.843, 0.146)},
}
# The paper's ablation claims as (better variant, worse variant, the claim in words).
CLAIMS = [
    ("msdunet", "noskip", "Table 2: skip connections help (MSDU-net beats the same network without skips)."),
    ("msdunet", "unet", "Table 3: the multi-scale extractors help (MSDU-net beats the plain U-net)."),
    ("nodilation", "msdunet", "Table 3: 5×5 kernels without dilation do a bit better than the dilated 3×3 (paper)."),
]


def load_runs() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(REPORT_DIR.glob("*.json"))}


def runs_of(scored: dict[str, dict], prefix: str) -> list[dict]:
    """Finished runs named PREFIX_s<seed>, in seed order."""
    return [scored[k] for k in sorted(scored) if k.rsplit("_s", 1)[0] == prefix]


def cell(results: list[dict], setting: str, metric: str) -> str:
    return spread([r[setting][metric] for r in results]) if results else "–"


def shipped_scores(setting: str) -> dict | None:
    """The shipped default's scores on a setting's test split (from lab/studies/ship_weights.py's files)."""
    name = {"dut": "dut_test", "kim": "kim_test", "cuhk_star": "cuhk_star_test", "sun": "sun_test"}[setting]
    for model in (DEFAULT_MODEL, *older_names(DEFAULT_MODEL)):  # files written before a rename keep the old name
        path = ROOT / "reports" / f"{model}_{name}.json"
        if path.exists():
            return json.loads(path.read_text())["results"][model]
    return None


def table1(settings: dict, data: str) -> str:
    columns = ["dut", "cuhk_star", "kim"]
    scored = load_runs()
    head = "| method | " + " | ".join(f"{settings[s][2]} maxF | MAE" for s in columns) + " |"
    lines = [head, "|---" * (1 + 2 * len(columns)) + "|"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    floors = [
        next((r[s] for k, r in scored.items() if s in r and k.startswith((s + "_", "hifst_"))), None) for s in columns
    ]
    row(FLOOR, [f"{f[m]:.3f}" if f else "–" for f in floors for m in ("floor_maxF", "floor_MAE")])
    hifst = [scored.get(f"hifst_{s}", {}).get(s) for s in columns]
    row("HiFST (PyPI blur_detector), run here", [f"{h[m]:.3f}" if h else "–" for h in hifst for m in ("maxF", "MAE")])
    faithful = [runs_of(scored, f"{s}_msdunet") for s in columns]
    seeds = "/".join(str(len(r)) for r in faithful)
    row(f"{FAITHFUL}; seeds {seeds}", [cell(r, s, m) for r, s in zip(faithful, columns, strict=True) for m in METRICS])
    lite = [runs_of(scored, f"{s}_lite0") for s in columns]
    row("Lite0 U-net (the default's recipe), trained per setting", [
        cell(r, s, m) for r, s in zip(lite, columns, strict=True) for m in METRICS
    ])  # fmt: skip
    shipped, notes = [], []
    for s in columns:
        seen = overlap(settings[s][1], [("dut", "train"), ("cuhk", "kim_train")], data)
        scores = shipped_scores(s)
        if seen:
            notes.append(f"{settings[s][2]}: {seen} test images are in DUT train + Kim train.")
        shipped += [f"{scores['maxF']:.3f}{'†' if seen else ''}", f"{scores['MAE']:.3f}"] if scores else ["–", "–"]
    row(f"shipped default {DEFAULT_MODEL} (trained on DUT + Kim train)", shipped)
    for method, values in PAPER["table1"].items():
        row(f"paper: {method}", [f"{values[s][i]:.3f}" for s in columns for i in (0, 1)])
    text = [
        "# Table 1 at CPU scale: the paper's three settings",
        "",
        "Command: `python -m lab reproduce table1` (after `python -m lab reproduce train`).",
        "Each setting trains on its own training split and is scored on its test split by `msdunet evaluate`",
        "(paper protocol: 256×256 input, maxF with β² = 0.3 over 256 thresholds, MAE at the mask's size).",
        "Faithful runs: `src/msdunet/training/configs/repro_cpu.toml` "
        "(the paper's architecture at width 16, 12 epochs;",
        "the paper: width 64, 100 epochs). Cells: mean ± half the range over seeds (one value: one seed).",
        "",
        *lines,
        "",
    ]
    if notes:
        text += ["† not a held-out score: " + " ".join(notes), ""]
    return "\n".join(text)


def verdict(better: list[float], worse: list[float], higher_is_better: bool) -> str:
    """'holds' when every seed of BETTER beats every seed of WORSE, 'does not hold' when the reverse,
    else 'too close to call' (the ranges overlap)."""
    if len(better) < 2 or len(worse) < 2:
        return f"needs ≥ 2 seeds each (have {len(better)} and {len(worse)})"
    sign = 1 if higher_is_better else -1
    if min(sign * b for b in better) > max(sign * w for w in worse):
        return "holds"
    if max(sign * b for b in better) < min(sign * w for w in worse):
        return "does not hold"
    return "too close to call"


def table2(settings: dict) -> str:
    scored = load_runs()
    runs = {v: runs_of(scored, f"kim_{v}") for v in VARIANT_LABELS}
    lines = [
        "| network | seeds | maxF | MAE | paper F (T2) | paper MAE (T2) | paper F (T3) | paper MAE (T3) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant, label in VARIANT_LABELS.items():
        p2, p3 = PAPER["ablation"].get(variant), PAPER["ablation_table3"].get(variant)
        paper = [f"{p[i]:.3f}" if p else "–" for p in (p2, p3) for i in (0, 1)]
        r = runs[variant]
        lines.append(
            f"| {label} | {len(r)} | {cell(r, 'kim', 'maxF')} | {cell(r, 'kim', 'MAE')} | " + " | ".join(paper) + " |"
        )
    any_run = next((r[0] for r in runs.values() if r), None)
    if any_run:
        lines.append(f"| {FLOOR} | | {any_run['kim']['floor_maxF']:.3f} | {any_run['kim']['floor_MAE']:.3f} | | | | |")
    claims = ["", "| claim (paper) | by maxF | by MAE |", "|---|---|---|"]
    for better, worse, words in CLAIMS:
        f = verdict([r["kim"]["maxF"] for r in runs[better]], [r["kim"]["maxF"] for r in runs[worse]], True)
        m = verdict([r["kim"]["MAE"] for r in runs[better]], [r["kim"]["MAE"] for r in runs[worse]], False)
        claims.append(f"| {words} | {f} | {m} |")
    return "\n".join([
        "# Tables 2–3 at CPU scale: the ablations on CUHK (Kim 800 → 200)",
        "",
        "Command: `python -m lab reproduce table2`. Every network: `src/msdunet/training/configs/repro_cpu.toml`",
        "(width 16, 12 epochs on Kim train, the same budget), changed only in `variant` and `seed`; scored on",
        "Kim test by `msdunet evaluate`. Cells: mean ± half the range over seeds. The paper's Tables 2 and 3",
        "give different numbers for the same MSDU-net; both are quoted.",
        "",
        *lines,
        "",
        "A claim **holds** when every seed of the better network beats every seed of the worse one, **does",
        "not hold** when the reverse is true, and is **too close to call** when the seeds' ranges overlap.",
        *claims,
        "",
    ])  # fmt: skip


def sun_table() -> tuple[str, dict]:
    """Our Sun-2019 runs beside the eight published methods (their maps, the same evaluator)."""
    scored = load_runs()
    peers = json.loads((ROOT / "reports" / "peers_sun2019.json").read_text())["results"]
    rows = {}
    for name, label in (("sun_msdunet", FAITHFUL), ("sun_lite0", "Lite0 U-net (the default's recipe)")):
        runs = runs_of(scored, name)
        if runs:
            rows[f"{label}, trained here"] = runs
    lines = ["| method | seeds | maxF | meanF | MAE |", "|---|---|---|---|---|"]
    entries = [
        (k, len(v), [spread([r["sun"][m] for r in v]) for m in ("maxF", "meanF", "MAE")]) for k, v in rows.items()
    ]
    entries += [(k, "", [f"{v[m]:.3f}" for m in ("maxF", "meanF", "MAE")]) for k, v in peers.items() if k != FLOOR]
    entries.sort(key=lambda e: -float(e[2][0].split()[0]))
    for name, n, values in entries + [(FLOOR, "", [f"{peers[FLOOR][m]:.3f}" for m in ("maxF", "meanF", "MAE")])]:
        lines.append(f"| {name} | {n} | " + " | ".join(values) + " |")
    curves = {k: v[0]["sun"].get("curves") for k, v in rows.items()}
    curves.update({k: v["curves"] for k, v in peers.items()})
    text = "\n".join([
        "# Sun-2019 split: trained on its train 800, scored on its test 200, beside eight published methods",
        "",
        "Command: `python -m lab reproduce sun`. Published methods: their own maps from",
        "`../shared/data/peers` scored by the same evaluator "
        "(`reports/peers_sun2019.md`, `lab/studies/peers_report.py`).",
        "",
        *lines,
        "",
        "Figure: `reports/reproduce_curves_sun.png` (seed 0 of our runs; `python -m lab reproduce figures`).",
        "",
    ])  # fmt: skip
    return text, {k: v for k, v in curves.items() if v}


def setting_curves(setting: str) -> dict[str, dict]:
    """Curves of every method in a setting (seed 0 of our runs), floor last, for Figs 7–8."""
    scored = load_runs()
    curves = {}
    for prefix, label in ((f"{setting}_msdunet", FAITHFUL), (f"{setting}_lite0", "Lite0 U-net, trained per setting")):
        runs = runs_of(scored, prefix)
        if runs and "curves" in runs[0][setting]:
            curves[label] = runs[0][setting]["curves"]
    if setting in ("dut", "kim"):  # held out from the shipped default's training (DUT + Kim train)
        shipped = shipped_scores(setting)
        if shipped:
            curves[f"shipped default {DEFAULT_MODEL}"] = shipped["curves"]
    baseline = scored.get(f"hifst_{setting}", {}).get(setting)
    if baseline:
        curves["HiFST (blur_detector)"] = baseline["curves"]
        curves[FLOOR] = baseline["floor_curves"]
    return curves


def write(name: str, text: str) -> Path:
    path = ROOT / "reports" / f"reproduce_{name}.md"
    path.write_text(text)
    print(f"wrote {path}")
    return path
