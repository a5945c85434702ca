"""What comes back from a device call: collected there, checked and ingested here.

* ``collect`` (there): ``$OUT/queue.json`` (every finished step's scores, PR/F curves and training log
  not yet ingested; each step's state and the rates measured; the device and torch) and, for a step
  whose model may be shipped, its weights as fp16 safetensors, split into parts when over
  ``part_bytes``.  At most 8 files of at most 16 MiB, 64 MiB in all (``check_out``); weights that do not
  fit wait for the next call.  Never a checkpoint.
* ``ingest`` (here): checks every file's sha256, writes ``reports/accelerator/STEP.json`` per result
  (that file marks the step done, also for the device), rebuilds the weights into ``runs/accel/STEP``.

The report made of them is ``accel_report``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

from accel_plan import BY_NAME, Step, Work, plan

MAX_FILES, MAX_FILE, MAX_TOTAL = 8, 16 << 20, 64 << 20
PART_BYTES = 15 << 20
NAME_OK = re.compile(r"^[A-Za-z0-9._-]+$")


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
