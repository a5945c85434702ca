"""What comes back from a device call and what is made of it here.

* ``collect`` (there): ``$OUT/queue.json`` (every finished step's scores, PR/F curves and training log
  not yet ingested; each step's state and the rates measured; the device and torch) and, for a step
  whose model may be shipped, its weights as fp16 safetensors, split into parts when over
  ``part_bytes``.  At most 8 files of at most 16 MiB, 64 MiB in all (``check_out``); weights that do not
  fit wait for the next call.  Never a checkpoint.
* ``ingest`` (here): checks every file's sha256, writes ``reports/accelerator/STEP.json`` per result
  (that file marks the step done, also for the device), rebuilds the weights into ``runs/accel/STEP``.
* ``write_report`` (here): ``reports/accelerator.md``; a shippable step is scored by ``msdunet
  evaluate`` on the real test sets and compared with the CPU-trained default's card.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from accel_plan import BY_NAME, Step, Work, plan
from study_runs import ROOT, score

from msdunet.data.sources import CARD_TEST_SETS

MAX_FILES, MAX_FILE, MAX_TOTAL = 8, 16 << 20, 64 << 20
PART_BYTES = 15 << 20
NAME_OK = re.compile(r"^[A-Za-z0-9._-]+$")
# the default's comparison: its card's scores on the paper's two test sets
SHIP_TESTS = {k: (CARD_TEST_SETS[k].dataset, CARD_TEST_SETS[k].split) for k in ("dut_test", "kim_test")}
DEFAULT_CARD = ROOT / "src" / "msdunet" / "shipped" / "msdunet-lite0.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_out(folder: Path) -> list[str]:
    """What breaks the limits on the files that come back from a call (empty: nothing)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    problems = [f"{len(files)} files (at most {MAX_FILES})"] if len(files) > MAX_FILES else []
    problems += [
        f"{p.name}: {p.stat().st_size} bytes (at most {MAX_FILE})" for p in files if p.stat().st_size > MAX_FILE
    ]
    if sum(p.stat().st_size for p in files) > MAX_TOTAL:
        problems.append(f"{sum(p.stat().st_size for p in files)} bytes in all (at most {MAX_TOTAL})")
    for p in files:
        rel = p.relative_to(folder)
        if len(rel.parts) > 3 or not all(NAME_OK.match(x) for x in rel.parts):
            problems.append(f"{rel}: too deep or a name with other characters than letters, digits, . _ -")
    return problems


def export_weights(work: Work, name: str, out: Path, *, part_bytes: int, room: int) -> dict | None:
    """fp16 weights of run NAME into OUT as NAME.safetensors or NAME.safetensors.000, .001, …; None
    when they need more than ``room`` files."""
    from msdunet.weights import load_weights, save_weights

    model, card = load_weights(work.runs / name / "model.safetensors")
    meta = {k: v for k, v in card.items() if k not in ("config", "dtype", "sha256")}
    tmp = save_weights(model, work.runs / "_export" / f"{name}.safetensors", meta, half=True)
    data = tmp.read_bytes()
    chunks = [data[i : i + part_bytes] for i in range(0, len(data), part_bytes)]
    if len(chunks) > room:
        return None
    names = [f"{name}.safetensors"] if len(chunks) == 1 else [f"{name}.safetensors.{i:03d}" for i in range(len(chunks))]
    for file, chunk in zip(names, chunks, strict=True):
        (out / file).write_bytes(chunk)
    return {"files": names, "card": json.loads(tmp.with_suffix(".json").read_text())}


def collect(work: Work, steps: list[Step], out: Path, *, part_bytes: int = PART_BYTES) -> None:
    from accel_run import device_info, say

    out.mkdir(parents=True, exist_ok=True)
    plans = {s.name: plan(work, s) for s in steps}
    results = {n: work.read(work.scores / f"{n}.json") for n, p in plans.items() if p.state == "finished"}
    room = MAX_FILES - 1
    for name, record in results.items():
        if BY_NAME[name].ship:
            weights = export_weights(work, name, out, part_bytes=part_bytes, room=room)
            if weights is None:
                say(f"{name}: no room for its weights in this call's files; the next call brings them")
                continue
            record["weights"], room = weights, room - len(weights["files"])
    steps_now = {
        n: {"state": p.state, "epochs_done": p.epochs_done, "epochs": p.epochs, "images_per_s": round(p.rate, 1),
            "rate": p.rate_source, "device_minutes_left": round(p.eta_s / 60, 1)}
        for n, p in plans.items()
    }  # fmt: skip
    queue = {
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **device_info(),
        "steps": steps_now,
        "throughput": work.read(work.runs / "_throughput.json"),
        "results": results,
        "files": {p.name: sha256(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != "queue.json"},
    }
    (out / "queue.json").write_text(json.dumps(queue, indent=1) + "\n")
    problems = check_out(out)
    if problems:
        raise SystemExit(f"{out}: over the limits of what comes back: {'; '.join(problems)}")
    say(f"collected {len(list(out.iterdir()))} files into {out}: results of {sorted(results) or 'no step'}")


def ingest(work: Work, folder: Path) -> list[str]:
    """A call's files → ``reports/accelerator/`` and ``runs/accel/``; returns the steps ingested."""
    path = folder / "queue.json"
    if not path.exists():
        raise SystemExit(f"{folder}: no queue.json — not the files of an accelerator_queue.py call")
    queue = json.loads(path.read_text())
    for name, digest in queue["files"].items():
        if not (folder / name).exists() or sha256(folder / name) != digest:
            raise SystemExit(f"{folder / name}: missing or not the file the device wrote (sha256 differs)")
    work.reports.mkdir(parents=True, exist_ok=True)
    done = []
    for name, record in queue["results"].items():
        if (work.reports / f"{name}.json").exists():
            continue
        if BY_NAME[name].ship and "weights" not in record:
            continue  # its weights come with a later call
        if "weights" in record:
            weights, run = record["weights"], work.runs / name
            run.mkdir(parents=True, exist_ok=True)
            data = b"".join((folder / f).read_bytes() for f in weights["files"])
            if hashlib.sha256(data).hexdigest() != weights["card"]["sha256"]:
                raise SystemExit(f"{folder}: the parts of {name}'s weights do not give the file its card names")
            (run / "model.safetensors").write_bytes(data)
            (run / "model.json").write_text(json.dumps(weights["card"], indent=2) + "\n")
            (run / "log.jsonl").write_text("".join(json.dumps(x) + "\n" for x in record["log"]))
            record["weights"] = {"run": str(run.relative_to(work.root)), "card": weights["card"]}
        (work.reports / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        done.append(name)
    rates = work.read(work.reports / "throughput.json") | queue["throughput"]
    (work.reports / "throughput.json").write_text(json.dumps(rates, indent=1) + "\n")
    progress = {k: queue[k] for k in ("written", "device", "torch", "steps")}
    if progress["written"] >= work.read(work.reports / "progress.json").get("written", ""):  # folders in any order
        (work.reports / "progress.json").write_text(json.dumps(progress, indent=1) + "\n")
    print(f"ingested {done or 'no new result'} from {folder}")
    return done


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
    cpu = json.loads(DEFAULT_CARD.read_text())["metrics"]
    better = all(ours[t]["maxF"] > cpu[t]["maxF"] and ours[t]["MAE"] < cpu[t]["MAE"] for t in SHIP_TESTS)
    rows = [
        "| model | trained on | minutes | DUT test maxF | DUT MAE | Kim test maxF | Kim MAE |",
        "|---|---|---|---|---|---|---|",
        f"| `{step.name}` (fp16) | {record['device']} | {record['training_minutes']} | "
        + " | ".join(_f(ours[t][m]) for t in SHIP_TESTS for m in ("maxF", "MAE")) + " |",
        f"| `msdunet-lite0` (shipped) | CPU | {json.loads(DEFAULT_CARD.read_text())['training_minutes']} | "
        + " | ".join(_f(cpu[t][m]) for t in SHIP_TESTS for m in ("maxF", "MAE")) + " |",
    ]  # fmt: skip
    verdict = (
        "**Ship it**: higher maxF and lower MAE on both sets. `python scripts/ship_weights.py "
        f"{record['weights']['run']} --name msdunet-lite0 --config src/msdunet/configs/{step.config}`"
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


def dry_run(work: Work, steps: list[Step], *, data: str | None = None) -> None:
    """Everything on the CPU with tiny networks: synthetic data, pack, two calls of ``run`` (the first
    stops each step after an epoch, as a call out of time does; the second resumes), each collected
    into its own OUT folder, checked and ingested, then the report."""
    import subprocess
    import sys

    from accel_bundle import build_units, write_synthetic_data
    from accel_plan import DRY_SIZE

    work = Work(work.root, dry_run=True)
    os.environ["OMP_NUM_THREADS"] = "1"  # tiny networks: one thread each, and no stall on a busy machine
    if data is None:
        data = str(work.root / "data")
        if not Path(data).exists():
            write_synthetic_data(Path(data))
    units = list(dict.fromkeys(u for s in steps for u in s.units))
    build_units(units, work.bundle, data=data, size=DRY_SIZE, dry_run=True, force=False)
    script = Path(__file__).with_name("accelerator_queue.py")
    for call, stop in enumerate((True, False), start=1):
        out = work.root / f"out{call}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, str(script), "run", "--dry-run", "--work", str(work.root), "--out", str(out)]
        cmd += ["--steps", *[s.name for s in steps], "--part-mib", "2"] + (["--simulate-stop"] if stop else [])
        print(f"=== call {call}: {' '.join(cmd[2:])}", flush=True)
        subprocess.run(cmd, check=True)
        ingest(work, out)
    write_report(work, steps, data=data)


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
