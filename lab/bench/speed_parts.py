"""Where the default's time goes, and what a 2× speed-up over the provisional model would need.

    python -m lab speed_parts [--size 256] [--repeats 21] [--rounds 5] [--write]

The accuracy issue asks the default to be 2× faster per image than the provisional MSDU-net.  This
times, on one 256×256 working image (batch 1, channels-last, as ``detect`` runs the network), in
fp32 and in bf16 autocast (``detect``'s default where the CPU has native bf16):

* the provisional model (``msdunet-w16``), ``unet-lite0`` (output at stride 1) and the default (``output_stride=2``:
  no full-resolution decoder level, logits resized ×2), whole, as trained (every BatchNorm a
  separate pass, as ``detect`` ran them before ``msdunet.model.fold``) and with BatchNorm folded
  into the convs (as ``detect`` runs them now);
* the ImageNet encoder alone (input affine + EfficientNet-Lite0 taps), folded — a floor for any
  decoder on this encoder at this working size.

Ratios are given against the provisional model in both forms.  With ``--write`` the table goes to
``reports/speed_parts.md``.  Time it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics

import torch

from lab.bench.common import cpu_info, emit_report, measured_peak, median_seconds
from msdunet.model import fold_batchnorm
from msdunet.model.weights import DEFAULT_MODEL, load_weights, resolve_weights

PROVISIONAL = "msdunet-w16, BatchNorm unfolded (as detect ran it before folding)"
PROVISIONAL_FOLDED = "msdunet-w16, BatchNorm folded (as detect runs it now)"


def folded(model: torch.nn.Module) -> torch.nn.Module:
    return fold_batchnorm(model).to(memory_format=torch.channels_last)


def encoder_only(model: torch.nn.Module):
    def run(x: torch.Tensor) -> object:
        return model.encoder(x)  # its input affine included

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median round is kept")
    parser.add_argument("--write", action="store_true", help="write reports/speed_parts.md")
    args = parser.parse_args()

    def load(name: str) -> torch.nn.Module:
        return load_weights(resolve_weights(name))[0].eval().to(memory_format=torch.channels_last)

    default, full, provisional = load(DEFAULT_MODEL), load("unet-lite0"), load("msdunet-w16")
    variants = {
        PROVISIONAL: provisional.forward_padded,
        PROVISIONAL_FOLDED: folded(provisional).forward_padded,
        "unet-lite0 (output at stride 1), BatchNorm unfolded": full.forward_padded,
        "unet-lite0 (output at stride 1), BatchNorm folded": folded(full).forward_padded,
        f"{DEFAULT_MODEL} (default, output at stride 2), BatchNorm unfolded": default.forward_padded,
        f"{DEFAULT_MODEL} (default, output at stride 2), BatchNorm folded": folded(default).forward_padded,
        "the ImageNet encoder alone, BatchNorm folded": encoder_only(folded(default)),
    }
    x = torch.randn(1, 3, args.size, args.size).contiguous(memory_format=torch.channels_last)
    rounds: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.rounds):  # every variant and precision once per round, so drifts hit all alike
        for bf16 in (False, True):
            for name, fn in variants.items():
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    seconds, _ = median_seconds(lambda fn=fn: fn(x), repeats=args.repeats, warmup=3)
                rounds.setdefault((name, bf16), []).append(seconds * 1000)
    ms = {key: statistics.median(values) for key, values in rounds.items()}
    spread = max((max(v) - min(v)) / statistics.median(v) for v in rounds.values())
    info, peak = cpu_info(), measured_peak("fp32")[0]
    base = {(form, b): ms[(form, b)] for form in (PROVISIONAL, PROVISIONAL_FOLDED) for b in (False, True)}
    lines = [
        "# Where the default's time goes (network only, one working image)",
        "",
        f"Command: `python -m lab speed_parts --write`. CPU: {info['model']}, {info['cores']} logical "
        f"cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}; {args.size}×{args.size} "
        f"input, batch 1, channels-last; per round the median of {args.repeats} runs, then the median of "
        f"{args.rounds} interleaved rounds (largest spread across rounds: {spread:.0%} of the median). "
        f"This machine's measured fp32 peak during the run: {peak:.0f} GFLOP/s (`lab/bench/common.py`; "
        "compare `reports/throughput.md` before comparing milliseconds across reports).",
        "",
        "| network | fp32 ms | bf16 ms | × faster than provisional unfolded (fp32 / bf16) "
        "| × faster than provisional folded (fp32 / bf16) |",
        "|---|---|---|---|---|",
    ]
    for name in variants:
        ratios = [
            " / ".join(f"{base[(form, b)] / ms[(name, b)]:.2f}" for b in (False, True))
            for form in (PROVISIONAL, PROVISIONAL_FOLDED)
        ]
        lines.append(f"| {name} | {ms[(name, False)]:.1f} | {ms[(name, True)]:.1f} | {ratios[0]} | {ratios[1]} |")
    lines += [
        "",
        "A 2× speed-up needs the whole network under "
        f"{base[(PROVISIONAL, False)] / 2:.1f} ms (fp32) / {base[(PROVISIONAL, True)] / 2:.1f} ms (bf16) against the "
        f"provisional model as detect ran it, {base[(PROVISIONAL_FOLDED, False)] / 2:.1f} / "
        f"{base[(PROVISIONAL_FOLDED, True)] / 2:.1f} ms against it folded.",
    ]
    emit_report(lines, "speed_parts.md", write=args.write)


if __name__ == "__main__":
    main()
