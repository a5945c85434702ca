"""Issue 24's levers beside the pretrained study: Kim test by blur kind, and CPU time per image.

    python -m lab pretrained_levers                  # kinds + speed of the study's finished runs
    python -m lab pretrained_levers --only kinds     # or: speed

``kinds``: each finished run of ``pretrained_study`` (and the shipped default, by name) on CUHK Kim
test's motion-blurred and defocused photos apart (the file names say which; paper protocol, as
``reports/accuracy_kinds.md``) → ``reports/pretrained_study/kinds.json`` (cached per model).
``speed``: median ms per 256² image (``BlurDetector`` on the torch engine for every model, batch 1,
this CPU's threads), the default and each run interleaved over the same 40 Kim test photos resized to 256², 5
rounds → ``reports/pretrained_study/speed.json`` with the load average before it.  Time it with
nothing else running: ``flock /tmp/cpu.lock python -m lab pretrained_levers --only speed``.
The default has no run folder here, so ``kinds`` also scores it on DUT test and Kim test whole
(same protocol and code as ``msdunet evaluate``).  ``pretrained_study`` puts it all into its
report's accuracy-against-speed table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
from PIL import Image

from lab import ROOT
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.model.weights import DEFAULT_MODEL
from msdunet.scoring.evaluate import evaluate_detector

REPORT_DIR = ROOT / "reports" / "pretrained_study"
KINDS = {"motion": "motion", "defocus": "out_of_focus"}  # CUHK file-name prefixes
SPEED_IMAGES, SPEED_ROUNDS = 40, 5


def finished_runs() -> dict[str, str]:
    """Model label → weights: the shipped default by name, then every scored run whose weights are here."""
    found = {DEFAULT_MODEL: DEFAULT_MODEL}
    for path in sorted(REPORT_DIR.glob("*.json")):
        if path.stem in ("kinds", "speed"):
            continue
        weights = ROOT / "runs" / path.stem / "model.safetensors"
        if weights.exists():
            found[path.stem] = str(weights)
    return found


def score_kinds(models: dict[str, str], data: str) -> dict:
    """{model: {kind: {maxF, MAE, fixedF, n}, KIND_floor: ...}}, cached in kinds.json; missing ones scored."""
    path = REPORT_DIR / "kinds.json"
    done = json.loads(path.read_text()) if path.exists() else {}
    kim = dataset_samples("cuhk", "kim_test", data)
    parts = {kind: [s for s in kim if s.stem.startswith(prefix)] for kind, prefix in KINDS.items()}
    whole = {"dut_test": dataset_samples("dut", "test", data), "kim_test": kim}
    for label, weights in models.items():
        if label in done:
            continue
        detector, scored = BlurDetector.paper_protocol(weights), {}
        for kind, samples in (parts | whole if label == DEFAULT_MODEL else parts).items():
            result = evaluate_detector(detector, samples)
            scored[kind] = {k: round(result.method[k], 4) for k in ("maxF", "MAE", "fixedF")} | {"n": len(samples)}
            scored[f"{kind}_floor"] = {k: round(result.floor[k], 4) for k in ("maxF", "MAE", "fixedF")}
        done[label] = scored
        print(label, scored, flush=True)
        path.write_text(json.dumps(done, indent=2) + "\n")
    return done


def time_models(models: dict[str, str], data: str) -> dict:
    """Median ms per 256² image of each model, interleaved image by image (see the module's docstring)."""
    kim = dataset_samples("cuhk", "kim_test", data)[:SPEED_IMAGES]
    images = [Image.open(s.image).convert("RGB").resize((256, 256), Image.BILINEAR) for s in kim]
    # one engine for all: torch (bf16 where the CPU has it), which runs any weights file; the shipped
    # default may run on another engine in detect (onnx), which a run's weights do not have
    detectors = {label: BlurDetector(weights, backend="torch") for label, weights in models.items()}
    load_before = os.getloadavg()
    for detector in detectors.values():
        detector(images[0])  # warm-up
    times: dict[str, list[float]] = {label: [] for label in detectors}
    for _ in range(SPEED_ROUNDS):
        for image in images:
            for label, detector in detectors.items():
                start = time.perf_counter()
                detector(np.asarray(image))
                times[label].append(time.perf_counter() - start)
    ms = {label: round(statistics.median(t) * 1e3, 2) for label, t in times.items()}
    import torch

    result = {"ms_per_image": ms, "load_before": [round(x, 2) for x in load_before], "threads": torch.get_num_threads()}
    result["engine"] = "torch, bf16" if next(iter(detectors.values())).bf16 else "torch, fp32"
    result["images"], result["rounds"] = len(images), SPEED_ROUNDS
    (REPORT_DIR / "speed.json").write_text(json.dumps(result, indent=2) + "\n")
    print(result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--only", nargs="+", choices=("kinds", "speed"), default=["kinds", "speed"])
    args = parser.parse_args()
    models = finished_runs()
    if "kinds" in args.only:
        score_kinds(models, args.data)
    if "speed" in args.only:
        time_models(models, args.data)
    from lab.studies.pretrained_study import write_report

    write_report()


if __name__ == "__main__":
    main()


def cell(scores: dict | None, key: str) -> str:
    return f"{scores[key]:.3f}" if scores and key in scores else "–"


def levers_table(runs: dict[str, str]) -> list[str]:
    """The accuracy-against-speed table of the default and RUNS ({run: label}, one row each) with the floor, from
    the run JSONs, kinds.json and speed.json; [] before anything is measured."""
    kinds_path, speed_path = REPORT_DIR / "kinds.json", REPORT_DIR / "speed.json"
    kinds = json.loads(kinds_path.read_text()) if kinds_path.exists() else {}
    speed = json.loads(speed_path.read_text()) if speed_path.exists() else {"ms_per_image": {}}
    if DEFAULT_MODEL not in kinds:
        return []
    ms = speed["ms_per_image"]
    rows = {f"{DEFAULT_MODEL} (shipped default)": (DEFAULT_MODEL, kinds[DEFAULT_MODEL])}
    for run, label in runs.items():
        path = REPORT_DIR / f"{run}.json"
        if path.exists():
            rows[f"{label} (`{run}`)"] = (run, json.loads(path.read_text()) | kinds.get(run, {}))
    sets = (("dut_test", ("maxF", "MAE", "fixedF")), ("kim_test", ("maxF", "MAE", "fixedF")))
    lines = [
        "| network | ms per 256² image | × default | DUT maxF | DUT MAE | DUT fixed F | Kim maxF | Kim MAE "
        "| Kim fixed F | Kim motion (60) maxF | Kim defocus (140) maxF |",
        "|---|" + "---|" * 10,
    ]
    base = ms.get(DEFAULT_MODEL)
    for label, (key, scores) in rows.items():
        time_cells = [f"{ms[key]:.1f}", f"{ms[key] / base:.2f}"] if key in ms and base else ["–", "–"]
        cells = [cell(scores.get(s), k) for s, keys in sets for k in keys]
        cells += [cell(scores.get("motion"), "maxF"), cell(scores.get("defocus"), "maxF")]
        lines.append(f"| {label} | " + " | ".join(time_cells + cells) + " |")
    floor = kinds[DEFAULT_MODEL]
    cells = [cell(floor.get(f"{s}_floor"), k) for s, keys in sets for k in keys]
    cells += [cell(floor.get("motion_floor"), "maxF"), cell(floor.get("defocus_floor"), "maxF")]
    lines.append('| floor (every pixel "blurred") | | | ' + " | ".join(cells) + " |")
    if ms:
        lines += [
            "",
            f"Time: median over {speed['images']} Kim test photos at 256² × {speed['rounds']} rounds, batch 1, "
            f"{speed['threads']} torch threads, every model on one engine ({speed['engine']}; detect runs the "
            "shipped default on onnxruntime, which a run's weights do not have), models interleaved, under the "
            f"CPU lock; load average (1 min) before: {speed['load_before'][0]}.",
        ]
    return lines
