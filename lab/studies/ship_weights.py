"""Ship a trained run as package weights, with its model card and scores (one command, rerunnable).

    python -m lab ship_weights runs/provisional --name msdunet-w16 \
        --config src/msdunet/training/configs/provisional_cpu.toml --recipe "..." --data-root ../shared/data

Copies ``RUN/model.safetensors`` into ``src/msdunet/shipped/NAME.safetensors``, scores it with
``msdunet evaluate`` (paper protocol: 256×256 input, scored at each mask's resolution; floor beside
it) on DUT test (500) and CUHK Kim test (200), and — for comparison with published work — on CUHK*
(BTBNet defocus test 100) and the Sun-2019 test 200, stating how many of their images the training
splits contain.  Writes the scores into the card (``NAME.json``), a model card ``NAME.md``, and the
evaluation JSON/markdown/PR figure into ``reports/``.  ``--onnx``: the ONNX graph too (``ship_onnx``),
before scoring, so that the card's scores are those of the engine detect runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
from pathlib import Path

from lab.studies import ship_onnx
from lab.studies.study_runs import ROOT, evaluate, overlap
from msdunet.data.sources import CARD_TEST_SETS
from msdunet.model import ModelConfig
from msdunet.model.weights import graph_path, load_weights, read_card, save_weights
from msdunet.scoring.metrics import SCORE_KEYS

WEIGHTS = ROOT / "src" / "msdunet" / "shipped"
TRAINING_SPLITS = (("dut", "train"), ("cuhk", "kim_train"))  # what the shipped recipes train on


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--recipe", default="", help="One paragraph: what was trained how, and why.")
    parser.add_argument("--config", required=True, help="The training config the run used (named in the card).")
    parser.add_argument("--half", action="store_true", help="Store tensors as fp16 (half the size; scored as stored).")
    parser.add_argument("--onnx", action="store_true", help="Ship its ONNX graph too (lab ship_onnx), before scoring.")
    parser.add_argument("--trained-with", default=None, help="The command that trained the run (default: --config's).")
    parser.add_argument("--trained-on", default="DUT-DBD train (600, 599 used) + CUHK Kim train (800)")
    args = parser.parse_args()

    run_card = json.loads((args.run / "model.json").read_text())
    target = WEIGHTS / f"{args.name}.safetensors"
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    if args.half:
        model, _ = load_weights(args.run / "model.safetensors")
        meta = {k: v for k, v in run_card.items() if k not in ("config", "dtype", "sha256")}
        save_weights(model, target, meta=meta, half=True)
        run_card = read_card(target)
    else:
        shutil.copyfile(args.run / "model.safetensors", target)
    log = [json.loads(x) for x in (args.run / "log.jsonl").read_text().splitlines()]
    minutes = sum(x["seconds"] for x in log) / 60
    source = run_card.get("started_from", {})  # a fine-tune's source, recorded when the run began
    card = {
        **run_card,
        "name": args.name,
        "date": datetime.date.today().isoformat(),
        "trained_on": args.trained_on,
        "recipe": args.recipe,
        "training_minutes": round(minutes, 1),
        # with what the model it was fine-tuned from took
        "epochs_total": run_card["epochs_done"] + (source.get("epochs_done") or 0),
        "training_minutes_total": round(minutes + (source.get("training_minutes") or 0), 1),
        "training_images_per_s_median": sorted(x["images_per_s"] for x in log)[len(log) // 2],
    }
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")  # sha256 kept from run_card
    graph_path(target).unlink(missing_ok=True)  # a graph of earlier weights: never shipped beside new ones
    if args.onnx:  # scored below as detect runs it: on this graph
        card["onnx"] = ship_onnx.ship(args.name)

    metrics, rows = {}, []
    data = str(Path(args.data_root).resolve())  # study_runs runs the CLI from the repository root
    for key, test in CARD_TEST_SETS.items():
        report = ROOT / "reports" / f"{args.name}_{key}"
        m = evaluate(
            str(target),
            dataset=test.dataset,
            split=test.split,
            data=data,
            name=args.name,
            keys=SCORE_KEYS,
            report=report,
        )
        m["in_training_set"] = seen = overlap((test.dataset, test.split), TRAINING_SPLITS, args.data_root)
        metrics[key] = m
        rows.append(
            f"| {test.label} ({m['n']}) | {m['maxF']:.3f} | {m['meanF']:.3f} | {m['MAE']:.3f} | "
            f"{m['floor_maxF']:.3f} | {m['floor_MAE']:.3f} | {seen} |"
        )
    # DUT test 181's mask is all white though the image has a sharp region: show its effect.
    from msdunet.data.sources import dataset_samples
    from msdunet.inference.detector import BlurDetector
    from msdunet.scoring.evaluate import evaluate_detector

    without = [x for x in dataset_samples("dut", "test", args.data_root) if x.stem != "181"]
    scored = evaluate_detector(BlurDetector.paper_protocol(target), without)
    model, floor = scored.method, scored.floor
    rows.append(
        f"| DUT-DBD test without 181 (499) | {model['maxF']:.3f} | {model['meanF']:.3f} | {model['MAE']:.3f} | "
        f"{floor['maxF']:.3f} | {floor['MAE']:.3f} | 0 |"
    )
    card["metrics"] = metrics
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")

    c, t = card["config"], card["training"]
    arch = f"{ModelConfig.from_dict(c).describe()}, {c['upsample']} upsampling"
    encoder_lr = f" (encoder {t['encoder_lr']})" if t.get("encoder_lr") else ""
    start = f"fine-tuned from `{t['init_weights']}`" if t.get("init_weights") else "trained from its initialisation"
    half = (" --half" if args.half else "") + (" --onnx" if args.onnx else "")
    where = "the 2-core CPU" if t["device"] in ("auto", "cpu") else t["device"]
    fine_tuned = card["training_minutes_total"] != card["training_minutes"]
    total = f" ({card['training_minutes_total']} min with the model it was fine-tuned from)" if fine_tuned else ""
    trained_with = args.trained_with or f"msdunet train --config {args.config} --out {args.run}"
    md = f"""# Model card: {args.name}

- Architecture: {arch}
  ({target.stat().st_size / 1e6:.1f} MB, {card["dtype"]}); sha256 `{card["sha256"]}`.
- Trained on: {args.trained_on}. Never a DUT test or CUHK Kim test image; the last column below
  counts the test images that the training splits contain (CUHK* and Sun-2019 overlap Kim train).
- Recipe (`{args.config}`, {start}): optimizer {t["optimizer"]} lr {t["lr"]}{encoder_lr} ({t["schedule"]} schedule,
  warm-up {t["warmup_epochs"]}),
  weight decay {t["weight_decay"]}, batch {t["batch_size"]}, {card["epochs_done"]} of {t["epochs"]} planned epochs,
  crops {t["crop"]} of the 256² pack images, dihedral augmentation ({
        "all 8 per epoch" if t["expand"] else "one random transform per image per epoch"
    }), bf16 autocast = {t["amp"]}, seed {t["seed"]}.
- {args.recipe}
- Training time: {card["training_minutes"]} min{total} on {where}
  (median {card["training_images_per_s_median"]:.1f} images/s).
- Date: {card["date"]}.

## Scores (paper protocol: input resized to 256×256, map scored at the mask's resolution)

| test set | maxF | meanF | MAE | floor maxF | floor MAE | test images in training set |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

The floor is a map that calls every pixel blurred. Regenerate with:
`python -m lab ship_weights {args.run} --name {args.name} --config {args.config}{half}` (after training
the run with `{trained_with}`).
"""
    target.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
