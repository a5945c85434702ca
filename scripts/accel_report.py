"""The queue's report, made here from what ``accel_results.ingest`` put in ``reports/accelerator/``.

* ``write_report``: ``reports/accelerator.md``: each step against the paper's numbers; a shippable step
  is scored by ``msdunet evaluate`` on the real test sets and compared with the CPU-trained default's card.
* ``check_protocol``: how far scoring the accelerator's test units is from the paper protocol on the
  real splits (``reports/accelerator_protocol.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

from accel_plan import BY_NAME, Step, Work, plan
from study_runs import ROOT, score

from msdunet.data.sources import CARD_TEST_SETS
from msdunet.weights import DEFAULT_MODEL

# the default's comparison: its card's scores on the paper's two test sets
SHIP_TESTS = {k: (CARD_TEST_SETS[k].dataset, CARD_TEST_SETS[k].split) for k in ("dut_test", "kim_test")}
DEFAULT_CARD = ROOT / "src" / "msdunet" / "shipped" / f"{DEFAULT_MODEL}.json"


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def ship_section(work: Work, step: Step, data: str) -> list[str]:
    """The GPU-trained default against the CPU-trained one, both by ``msdunet evaluate`` (paper protocol)."""
    record = work.read(work.reports / f"{step.name}.json")
    if not record:
        return [f"`{step.name}`: not run yet."]
    ours = score(
        step.name, work.runs / step.name, data=data, test_sets=SHIP_TESTS, report_dir=work.reports / "protocol"
    )
    default_card = json.loads(DEFAULT_CARD.read_text())
    cpu = default_card["metrics"]
    cpu_minutes = default_card.get("training_minutes_total", default_card["training_minutes"])  # fine-tunes: all
    better = all(ours[t]["maxF"] > cpu[t]["maxF"] and ours[t]["MAE"] < cpu[t]["MAE"] for t in SHIP_TESTS)
    rows = [
        "| model | trained on | minutes | DUT test maxF | DUT MAE | Kim test maxF | Kim MAE |",
        "|---|---|---|---|---|---|---|",
        f"| `{step.name}` (fp16) | {record['device']} | {record['training_minutes']} | "
        + " | ".join(_f(ours[t][m]) for t in SHIP_TESTS for m in ("maxF", "MAE")) + " |",
        f"| `{DEFAULT_MODEL}` (shipped default) | CPU | {cpu_minutes} | "
        + " | ".join(_f(cpu[t][m]) for t in SHIP_TESTS for m in ("maxF", "MAE")) + " |",
    ]  # fmt: skip
    verdict = (
        "**Ship it**: higher maxF and lower MAE on both sets. `python scripts/ship_weights.py "
        f"{record['weights']['run']} --name msdunet-lite0-s2-gpu --half --config src/msdunet/configs/{step.config}`, "
        "then make it `DEFAULT_MODEL` in `src/msdunet/weights.py`"
        if better
        else "**Keep the CPU-trained default**: the GPU run does not beat it on both sets (maxF and MAE)."
    )
    return [*rows, "", verdict]


def table_rows(work: Work, names: list[str], paper: dict[str, tuple[float, float]], labels: dict) -> list[str]:
    rows = []
    for name in names:
        r, step = work.read(work.reports / f"{name}.json"), BY_NAME[name]
        s = r.get(step.test, {})
        unit = r.get("test_unit", {})
        resized = sum(v for k, v in unit.items() if k.startswith("resized"))
        cells = [_f(s.get("maxF")), _f(s.get("MAE")), *(_f(x) for x in paper.get(name, (None, None)))]
        cells += [_f(s.get("floor_maxF")), f"{resized}/{unit.get('images', '–')}"]
        cells += [r.get("device", "–"), str(r.get("training_minutes", "–"))]
        rows.append(f"| {labels.get(name, step.label)} | " + " | ".join(cells) + " |")
    return rows


def write_report(work: Work, steps: list[Step], *, data: str) -> Path:
    from reproduce_report import PAPER

    t1, t2, t3 = PAPER["table1"]["MSDU-net"], PAPER["ablation"], PAPER["ablation_table3"]
    paper = {"paper_dut": t1["dut"], "paper_cuhk": t1["kim"], "paper_cuhk_star": t1["cuhk_star"]}
    ablation = {"paper_cuhk": t2["msdunet"], "ablation_noskip": t2["noskip"], "ablation_unet": t2["unet"]}
    ablation |= {"ablation_nodilation": t3["nodilation"]}
    head = "| step | maxF | MAE | paper maxF | paper MAE | floor maxF | test images at 256² | device | train min |"
    names = [s.name for s in steps]
    shipped = [line for s in steps if s.ship for line in ship_section(work, s, data)]
    lines = [
        "# The accelerator queue (issue 14)",
        "",
        "Command: `python scripts/accelerator_queue.py report`, after the queue's calls (`run` on the device,",
        "`ingest` here). Table cells: `msdunet evaluate` (maxF with β² = 0.3 over 256 thresholds, MAE at the",
        "mask's size) on the device's copy of the test set; 'test images at 256²' counts the images that",
        "travelled resized to the network's 256×256 (the others as they are: the paper protocol exactly).",
        "",
        "| step | state | epochs | training images/s |",
        "|---|---|---|---|",
        *(f"| {p.step.name} | {p.state} | {p.epochs_done}/{p.epochs} | {p.rate:.0f} ({p.rate_source}) |"
          for p in (plan(work, s) for s in steps)),
        "",
        "## 1. The default model at a GPU budget",
        "",
        *(shipped or ["Not in this queue."]),
        "",
        "## 2. Table 1: MSDU-net, width 64, the paper's recipe",
        "",
        head,
        "|---" * 9 + "|",
        *table_rows(work, [n for n in names if n in paper], paper, {}),
        "",
        "## 3. Tables 2–3 on CUHK (Kim 800 → 200)",
        "",
        head,
        "|---" * 9 + "|",
        *table_rows(work, [n for n in names if n in ablation], ablation, {"paper_cuhk": "MSDU-net (Table 1's CUHK)"}),
        "",
        "Paper columns: Table 2 for MSDU-net, no skip and U-net; Table 3 for 5×5 (Table 3 gives MSDU-net "
        f"{t3['msdunet'][0]:.3f} / {t3['msdunet'][1]:.3f}).",
        "",
    ]  # fmt: skip
    path = work.root / "reports" / "accelerator.md"
    path.write_text("\n".join(lines))
    print(f"wrote {path}")
    return path


def check_protocol(work: Work, *, data: str, model: str = "msdunet-provisional") -> Path:
    """How far scoring a test unit (images resized to 256² as JPEGs where that is smaller) is from the
    paper protocol on the real split: one shipped model scored both ways → ``reports/accelerator_protocol.md``."""
    from accel_bundle import TEST_UNITS, unit_path
    from study_runs import evaluate

    lines = [
        "# Scoring on the accelerator's copy of a test set against the paper protocol",
        "",
        f"Command: `python scripts/accelerator_queue.py check-protocol` (model `{model}`, fp32, 256×256 input).",
        "'unit': `msdunet evaluate --dataset folder` on the copy in `accel/`; 'real': on the split in the data.",
        "",
        "| test set | images resized to 256² | unit maxF | real maxF | unit MAE | real MAE |",
        "|---|---|---|---|---|---|",
    ]
    tmp = work.root / "reports" / ".protocol.json"
    for unit, (dataset, split) in TEST_UNITS.items():
        folder = unit_path(work.bundle, unit)
        if not folder.exists():
            continue
        manifest = work.read(folder / "manifest.json")
        resized = sum(v for k, v in manifest.items() if k.startswith("resized"))
        ours = evaluate(model, dataset="folder", split="all", data=str(folder), name=model, tmp=tmp)
        real = evaluate(model, dataset=dataset, split=split, data=data, name=model, tmp=tmp)
        cells = [f"{resized}/{manifest['images']}", *(_f(x[m]) for m in ("maxF", "MAE") for x in (ours, real))]
        lines.append(f"| {unit} | " + " | ".join(cells) + " |")
    path = work.root / "reports" / "accelerator_protocol.md"
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")
    return path
