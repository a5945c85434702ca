"""Accuracy checks behind three defaults, on DUT test (500) and CUHK Kim test (200), with the floor:

1. scale policy — what the network sees: 256×256 squashed (paper) vs long side 256/320/384/512
   with the aspect ratio kept (decides `detect`'s default working size);
2. bf16 autocast vs fp32 on this CPU (bf16 is a default only if maxF drops by ≤ 0.002);
3. JPEG (quality ``msdunet.data.pack.JPEG_QUALITY``, 4:4:4) vs raw packs: the cost of the compact cache,
   scored at 256² on the packs;
4. flip test-time augmentation;
5. blur kinds: every shipped model on CUHK Kim test's motion-blurred and defocused photos apart
   (the file names say which), to see where the gap to the paper's CUHK score lies.

    python -m lab accuracy_checks [--weights W] [--data ../shared/data] [--only scale bf16 tta jpeg kinds]

Each check writes its own report: reports/accuracy_{scale,bf16,tta,jpeg,kinds}.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from msdunet.data.pack import build_pack, load_pack
from msdunet.data.sources import dataset_samples
from msdunet.inference.detector import BlurDetector
from msdunet.inference.protocol import PAPER_WORKING_SIZE
from msdunet.scoring.evaluate import evaluate_detector
from msdunet.training.train import evaluate_pack

SETS = {"DUT test": ("dut", "test"), "Kim test": ("cuhk", "kim_test")}
CHECKS = ("scale", "bf16", "tta", "jpeg", "kinds")
KINDS = {"motion blur": "motion", "defocus blur": "out_of_focus"}  # CUHK file-name prefixes


def row(label: str, scored: dict[str, dict]) -> str:
    cells = [f"{r['maxF']:.3f} / {r['MAE']:.3f}" for r in scored.values()]
    return f"| {label} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=None)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--only", nargs="+", choices=CHECKS, default=list(CHECKS))
    args = parser.parse_args()
    samples = {name: dataset_samples(d, s, args.data) for name, (d, s) in SETS.items()}
    header = "| setting | " + " | ".join(f"{n} maxF / MAE" for n in SETS) + " |\n|---|" + "---|" * len(SETS)
    intro = [
        f"Weights: `{BlurDetector(args.weights).weights_path.name}`. "
        "Command: `python -m lab accuracy_checks --only {}`.",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    if "scale" in args.only:
        check_scale(args, samples, header, intro)
    if "tta" in args.only:
        check_tta(args, samples, header, intro)
    if "bf16" in args.only:
        check_bf16(args, samples, header, intro)
    if "jpeg" in args.only:
        check_jpeg(args, samples, header, intro)
    if "kinds" in args.only:
        check_kinds(args, samples["Kim test"])


def write(args, name: str, lines: list[str]) -> None:
    path = args.out / f"accuracy_{name}.md"
    path.write_text("\n".join(lines).replace("{}", name) + "\n")
    print(f"wrote {path}")


def check_scale(args, samples, header, intro) -> None:
    lines = ["# Scale policy (fp32, scored at each mask's resolution)", "", *intro, header]
    floors = {}
    side = PAPER_WORKING_SIZE
    settings = [(f"{side}×{side} squashed (paper protocol)", BlurDetector.paper_protocol(args.weights, bf16=False))]
    for s in (256, 320, 384, 512):
        settings.append((f"long side {s}, aspect kept", BlurDetector(args.weights, working_size=s, bf16=False)))
    for label, detector in settings:
        scored = {}
        for name, smp in samples.items():
            result = evaluate_detector(detector, smp)
            scored[name], floors[name] = result.method, result.floor
        lines.append(row(label, scored))
        print(lines[-1], flush=True)
    lines.append(row("floor (every pixel blurred)", floors))
    write(args, "scale", lines)


def compare_detectors(args, samples, lines: list[str], name: str, settings: dict[str, dict]) -> None:
    """One row per setting: the paper-protocol detector built with that setting's options."""
    for label, options in settings.items():
        detector = BlurDetector.paper_protocol(args.weights, **options)
        scored = {n: evaluate_detector(detector, smp, with_floor=False).method for n, smp in samples.items()}
        lines.append(row(label, scored))
        print(lines[-1], flush=True)
    write(args, name, lines)


def check_bf16(args, samples, header, intro) -> None:
    lines = ["# bf16 autocast vs fp32 (256×256, paper protocol)", "", *intro, header]
    compare_detectors(args, samples, lines, "bf16", {"fp32": {"bf16": False}, "bf16 autocast": {"bf16": True}})


def check_tta(args, samples, header, intro) -> None:
    """Flip test-time augmentation (the mean over the image and its mirror image) against none."""
    lines = ["# Flip test-time augmentation (256×256, paper protocol, default precision)", "", *intro, header]
    compare_detectors(args, samples, lines, "tta", {"no TTA": {"flip_tta": False}, "flip TTA": {"flip_tta": True}})


def check_jpeg(args, samples, header, intro) -> None:
    from msdunet.data.pack import JPEG_QUALITY

    lines = [
        f"# JPEG (quality {JPEG_QUALITY}, 4:4:4) vs raw packs (fp32, scored on the 256² packs)",
        "",
        *intro,
        header,
    ]
    model = BlurDetector(args.weights, bf16=False, backend="torch").model
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("raw", "jpeg"):
            scored = {}
            for name, smp in samples.items():
                path = Path(tmp) / f"{name}_{fmt}.npz"
                build_pack(smp, path, image_format=fmt)
                pack = load_pack(path)
                scored[name] = evaluate_pack(
                    model, torch.from_numpy(pack.images), torch.from_numpy(pack.masks), torch.device("cpu"), amp=False
                )
                scored[name]["size_mb"] = path.stat().st_size / 1e6
            sizes = ", ".join(f"{n} {s['size_mb']:.1f} MB" for n, s in scored.items())
            lines.append(row(f"{fmt} ({sizes})", scored))
            print(lines[-1], flush=True)
    write(args, "jpeg", lines)


def check_kinds(args, kim: list) -> None:
    """Every shipped model (paper protocol, default precision) on Kim test's two blur kinds."""
    from msdunet.model.weights import DEFAULT_MODEL, shipped_models

    def by_kind(samples: list) -> dict[str, list]:
        return {label: [x for x in samples if x.stem.startswith(prefix)] for label, prefix in KINDS.items()}

    parts = by_kind(kim)
    dut_train = dataset_samples("dut", "train", args.data)
    kim_train = dataset_samples("cuhk", "kim_train", args.data)
    lines = [
        "# CUHK Kim test by blur kind (256×256, paper protocol, default precision)",
        "",
        "Command: `python -m lab accuracy_checks --only kinds`. The kind is the photo's CUHK file name",
        "(`motion*`, `out_of_focus*`); DUT-DBD is all defocus.",
        "",
        f"The shipped models were trained on DUT train ({len(dut_train)}, defocus) and CUHK Kim train "
        f"({len(kim_train)}: {', '.join(f'{len(v)} {k}' for k, v in by_kind(kim_train).items())}).",
        "",
        "| model | " + " | ".join(f"{label} ({len(smp)}) maxF / MAE" for label, smp in parts.items()) + " |",
        "|---|" + "---|" * len(parts),
    ]
    floors = {}
    for name in shipped_models():
        detector = BlurDetector.paper_protocol(name)
        scored = {}
        for label, smp in parts.items():
            result = evaluate_detector(detector, smp)
            scored[label], floors[label] = result.method, result.floor
        lines.append(row(f"{name}{' (default)' if name == DEFAULT_MODEL else ''}", scored))
        print(lines[-1], flush=True)
    lines.append(row("floor (every pixel blurred)", floors))
    write(args, "kinds", lines)


if __name__ == "__main__":
    main()
