"""The full-scale queue for a lent accelerator (issue 14): one entry point, each step resumable.

    python scripts/accelerator_queue.py pack                  # here (CPU): data units → accel/ (ignored)
    python scripts/accelerator_queue.py status                # here or there: steps, states, next call
    python scripts/accelerator_queue.py run --out "$OUT"      # there: train/score for ≤ 9 min, collect
    python scripts/accelerator_queue.py ingest DIR            # here: a call's files → reports/accelerator/
    python scripts/accelerator_queue.py report                # here: reports/accelerator.md (+ ship verdict)
    python scripts/accelerator_queue.py check-protocol        # here: scoring the test units vs the real splits
    python scripts/accelerator_queue.py dry-run --work DIR    # all of it on the CPU, tiny (tests/)

Steps, in order: (1) the default model (Lite0 U-net, output at stride 2) at a GPU budget, its weights brought back as
fp16 and shipped only if they beat the CPU-trained default on DUT and Kim test; (2) Table 1: the
faithful MSDU-net, width 64, the paper's recipe on DUT, CUHK (Kim) and CUHK*; (3) Tables 2–3 on CUHK:
no skip, plain U-net, 5×5 without dilation.  Every step is ``msdunet train`` of a config in
``src/msdunet/configs`` with ``--resume`` and a ``max_minutes`` that ends it, at an epoch boundary,
before the call's limit; the next call continues it.

State (files decide it; no other memory): a step is *done* once ``reports/accelerator/STEP.json`` is
in the tree (ingested from a call's files; it travels with the tree, so the device skips it);
*finished* on the device once ``runs/accel/_scores/STEP.json`` exists (its results go out with every
call until ingested); *trained* when its run has all its epochs but is not scored yet; *running* when
its run folder holds a checkpoint; else *pending*.  Checkpoints never come back (a width-64 one is
324 MB): a machine given back loses the running step, which then starts again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from accel_bundle import MIB, TRAVEL_LIMIT, TRAVEL_MARGIN, size_of, tree_bytes, unit_path
from accel_plan import BY_NAME, COLLECT_S, DRY_SIZE, ROOT, STEPS, Step, Work, plan


def selected(names: list[str] | None) -> list[Step]:
    return [BY_NAME[n] for n in names] if names else list(STEPS)


def next_carry(work: Work, steps: list[Step]) -> tuple[list[str], int]:
    """Units for the next call: those of the first unfinished step, then of the following ones while
    the tree and the units stay within the travel limit; (carry paths, bytes that would travel)."""
    total, carry = tree_bytes(ROOT), []
    for step in steps:
        if plan(work, step).state in ("done", "finished"):
            continue
        extra = [u for u in step.units if u not in carry]
        size = sum(size_of(unit_path(work.bundle, u)) for u in extra)
        if carry and total + size > TRAVEL_LIMIT - TRAVEL_MARGIN:
            break
        carry, total = carry + extra, total + size
    return [str(unit_path(work.bundle, u).relative_to(work.root)) for u in carry], total


def print_status(work: Work, steps: list[Step], *, carry: bool = True) -> None:
    last = work.read(work.reports / "progress.json")
    print("| step | state | epochs | images/s | rate | device min left |\n|---|---|---|---|---|---|")
    for step in steps:
        p = plan(work, step)
        state = p.state
        seen = last.get("steps", {}).get(step.name, {})
        if state == "pending" and seen.get("state") in ("running", "trained", "finished"):
            state = (
                f"pending here; {seen['state']} on the device at {last.get('written', '?')} ({seen['epochs_done']} ep.)"
            )
        cells = [step.name, state, f"{p.epochs_done}/{p.epochs}", f"{p.rate:.0f}", p.rate_source, f"{p.eta_s / 60:.1f}"]
        print("| " + " | ".join(cells) + " |")
    left = sum(plan(work, s).eta_s for s in steps) / 60
    print(f"\ndevice minutes still needed (estimate): {left:.0f}")
    if not carry:
        return
    carry, total = next_carry(work, steps)
    if not carry:
        print("nothing left to run" if left == 0 else "nothing packed yet: run `pack` first")
        return
    missing = [c for c in carry if not (work.root / c).exists()]
    print(
        f"next call carries {len(carry)} paths, {total / MIB:.1f} MiB with the tree (limit {TRAVEL_LIMIT // MIB} MiB):"
    )
    print(json.dumps(carry))
    if missing:
        print(f"missing here, build them with `pack`: {missing}")
    print('command: python3 scripts/accelerator_queue.py run --out "$OUT" --session-minutes MINUTES_LEFT')


def write_plan_report(work: Work, steps: list[Step]) -> Path:
    """``reports/accelerator_plan.md``: the units' sizes, what each step carries, and its estimated
    device time at the rates known (assumed until the device measured them)."""
    manifest, tree = work.read(work.bundle / "manifest.json"), tree_bytes(ROOT)
    lines = [
        "# The accelerator queue's plan: what travels, and the device time each step needs",
        "",
        "Command: `python scripts/accelerator_queue.py pack` (units in `accel/`, ignored by git). Each call",
        f"sends the working tree ({tree / MIB:.1f} MiB when packed) and its carried units "
        f"(limit {TRAVEL_LIMIT // MIB} MiB).",
        "",
        "| unit | MiB | images | notes |",
        "|---|---|---|---|",
    ]
    for unit, entry in manifest.items():
        notes = ", ".join(f"{k} {v}" for k, v in entry.items() if k not in ("bytes", "images", "size", "notes"))
        lines.append(f"| `{unit}` | {entry['bytes'] / MIB:.1f} | {entry.get('images', '')} | {notes} |")
    lines += [
        "",
        "| step | carries | MiB with the tree | epochs × images | training images/s | device minutes |",
        "|---|---|---|---|---|---|",
    ]
    for step in steps:
        p = plan(work, step)
        size = tree + sum(size_of(unit_path(work.bundle, u)) for u in step.units)
        lines.append(
            f"| {step.name} | {', '.join(step.units)} | {size / MIB:.1f} | {p.epochs} × {p.images_per_epoch} | "
            f"{p.rate:.0f} ({p.rate_source}) | {p.eta_s / 60:.0f} |"
        )
    total = sum(plan(work, s).eta_s for s in steps) / 60
    lines += [
        "",
        f"All steps: about {total:.0f} device minutes. Assumed rates (until calibration or training measures",
        "them on the device): an effective 100 TFLOP/s for the width-64 networks (3× the forward GFLOPs of",
        "`reports/model_size.md` per training image), 1000 images/s for the Lite0 U-net; 0.25 s per test",
        "image to score on the device's CPU, 45 s to start each training process.",
        "",
    ]
    path = work.root / "reports" / "accelerator_plan.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    print(f"wrote {path}")
    return path


def dry_run(work: Work, steps: list[Step], *, data: str | None = None) -> None:
    """Everything on the CPU with tiny networks: synthetic data, pack, two calls of ``run`` (the first
    stops each step after an epoch, as a call out of time does; the second resumes), each collected
    into its own OUT folder, checked and ingested, then the report."""
    from accel_bundle import build_units, write_synthetic_data
    from accel_report import write_report
    from accel_results import ingest

    work = Work(work.root, dry_run=True)
    os.environ["OMP_NUM_THREADS"] = "1"  # tiny networks: one thread each, and no stall on a busy machine
    if data is None:
        data = str(work.root / "data")
        if not Path(data).exists():
            write_synthetic_data(Path(data))
    units = list(dict.fromkeys(u for s in steps for u in s.units))
    build_units(units, work.bundle, data=data, size=DRY_SIZE, dry_run=True, force=False)
    script = Path(__file__)
    for call, stop in enumerate((True, False), start=1):
        out = work.root / f"out{call}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, str(script), "run", "--dry-run", "--work", str(work.root), "--out", str(out)]
        cmd += ["--steps", *[s.name for s in steps], "--part-mib", "2"] + (["--simulate-stop"] if stop else [])
        print(f"=== call {call}: {' '.join(cmd[2:])}", flush=True)
        subprocess.run(cmd, check=True)
        ingest(work, out)
    write_report(work, steps, data=data)


def main() -> None:
    from accel_report import check_protocol, write_report
    from accel_results import collect, ingest
    from accel_run import calibrate, run_queue

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "what", choices=["pack", "status", "run", "collect", "ingest", "report", "check-protocol", "dry-run"]
    )
    parser.add_argument("folder", nargs="?", type=Path, help="ingest: the call's files (the reply's files_at).")
    parser.add_argument("--steps", nargs="+", choices=list(BY_NAME), help="These steps only, in this order.")
    parser.add_argument("--data", default="../shared/data", help="Data root (pack, report).")
    parser.add_argument("--work", type=Path, default=ROOT, help="Root of accel/, runs/accel, reports/accelerator.")
    parser.add_argument("--out", type=Path, help="run/collect: the folder that comes back ($OUT).")
    parser.add_argument("--minutes", type=float, default=9.0, help="run: stop training and collect by then.")
    parser.add_argument("--session-minutes", type=float, help="run: device minutes this session has left.")
    parser.add_argument("--simulate-stop", action="store_true", help="run: stop each step after one epoch.")
    parser.add_argument("--part-mib", type=float, default=15, help="run/collect: split weights into parts this big.")
    parser.add_argument("--force", action="store_true", help="pack: rebuild units that exist.")
    parser.add_argument("--dry-run", action="store_true", help="Tiny networks on the CPU (as `dry-run` does).")
    args = parser.parse_args()
    work, steps = Work(args.work.resolve(), args.dry_run), selected(args.steps)
    if args.what == "pack":
        from accel_bundle import build_units

        units = list(dict.fromkeys(u for s in steps for u in s.units))
        size = DRY_SIZE if args.dry_run else 256
        build_units(units, work.bundle, data=args.data, size=size, dry_run=args.dry_run, force=args.force)
        write_plan_report(work, steps)
        print_status(work, steps)
    elif args.what == "status":
        print_status(work, steps)
    elif args.what == "run":
        started = time.monotonic()
        calibrate(work, steps, deadline=started + args.minutes * 60 - COLLECT_S)
        run_queue(work, steps, started=started, minutes=args.minutes, session=args.session_minutes,
                  simulate_stop=args.simulate_stop)  # fmt: skip
        if args.out:
            collect(work, steps, args.out, part_bytes=int(args.part_mib * MIB))
        print_status(work, steps, carry=False)
    elif args.what == "collect":
        collect(work, steps, args.out, part_bytes=int(args.part_mib * MIB))
    elif args.what == "ingest":
        ingest(work, args.folder)
        print_status(work, steps)
    elif args.what == "report":
        write_report(work, steps, data=args.data)
    elif args.what == "check-protocol":
        check_protocol(work, data=args.data)
    else:
        dry_run(work, steps)


if __name__ == "__main__":
    main()
