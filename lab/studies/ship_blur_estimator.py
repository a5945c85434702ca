"""Ship a trained blur-estimator run as package weights, with its card (one command, rerunnable).

    python -m lab ship_blur_estimator [runs/blur_estimator] [--name blur-estimator]

Copies ``RUN/model.safetensors`` to ``src/msdunet/shipped/focus/NAME.safetensors`` and writes
``NAME.json`` (the run's card: channels, offset, sha256, the epoch picked on the validation photos,
with the data and training provenance) and ``NAME.md``, a model card.  Its scores are in
reports/pixel_blur.md (``python -m lab pixel_blur``, run after shipping).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
from pathlib import Path

from lab import ROOT

FOCUS_WEIGHTS = ROOT / "src" / "msdunet" / "shipped" / "focus"
TRAINED_ON = (
    "cache/pixel_blur_train (python -m lab pixel_blur_train_data): 128-px grey patches of the sharp regions of "
    "DUT train and CUHK Kim train, fitting photos only (none of the held-out photos of reports/pixel_blur.md), "
    "blurred by Gaussian, disk, straight and curved-shake kernels of σ 0.15-8 px, noise, phone sharpening, JPEG"
)


def card_text(card: dict) -> str:
    return "\n".join([
        f"# {card['name']}: the learned blur estimator", "",
        "A small CNN (trained as `msdunet.training.blur_estimator.PatchBlurNet`, run in NumPy by "
        "`msdunet.focus.learned`; "
        f"channels {card['channels']}) that reads a 128-px grey patch at native resolution and answers the blur σ "
        "across each of four edge directions, in px. Used by the judgement with `--estimator learned` "
        "(`msdunet.focus.judgement`; the default when reports/pixel_blur.md's rule says so).", "",
        f"- trained on: {card['trained_on']}",
        f"- trained with: `{card['trained_with']}`; {card['epochs_done']} epochs, {card['training_minutes']} min on "
        "2 CPU cores; the epoch with the lowest validation error kept",
        f"- picked: epoch {card['epoch']}, validation mean |error| {card['val_mae_px']} px (directions with σ ≤ 4 px, "
        f"{card['val_patches']} patches of the validation photos; {card['train_patches']} training patches)",
        f"- sha256: `{card['sha256']}` (checked on load)",
        "- scores on held-out synthetic blur and on real photos: reports/pixel_blur.md", "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab ship_blur_estimator", description=__doc__.split("\n")[0])
    parser.add_argument("run", nargs="?", type=Path, default=ROOT / "runs" / "blur_estimator")
    parser.add_argument("--name", default="blur-estimator")
    args = parser.parse_args()
    run_card = json.loads((args.run / "model.json").read_text())
    log = [json.loads(line) for line in (args.run / "log.jsonl").read_text().splitlines()]
    FOCUS_WEIGHTS.mkdir(parents=True, exist_ok=True)
    target = FOCUS_WEIGHTS / f"{args.name}.safetensors"
    shutil.copyfile(args.run / "model.safetensors", target)
    if hashlib.sha256(target.read_bytes()).hexdigest() != run_card["sha256"]:
        raise SystemExit(f"{args.run}/model.safetensors does not match its card's sha256")
    card = {
        **run_card, "name": args.name, "date": datetime.date.today().isoformat(), "trained_on": TRAINED_ON,
        "trained_with": "python -m lab pixel_blur_train", "epochs_done": len(log),
        "training_minutes": round(sum(x["seconds"] for x in log) / 60, 1),
    }  # fmt: skip
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    target.with_suffix(".md").write_text(card_text(card))
    print(f"{target}: epoch {card['epoch']}, validation {card['val_mae_px']} px")


if __name__ == "__main__":
    main()
