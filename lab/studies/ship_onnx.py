"""A shipped model's ONNX graph, beside its weights, its sha256 in the card (one command, rerunnable).

    python -m lab ship_onnx [NAME]        # default: the default model

Exports ``src/msdunet/shipped/NAME.safetensors`` (as ``load_weights`` builds it: fp32, BatchNorm
unfolded) with ``export_module(half=True)`` — constants folded, BatchNorm kept for onnxruntime to
fold, every fp16 tensor of the weights stored as fp16 — verified against PyTorch on two sizes, to
``NAME.onnx``; then writes the card's ``onnx`` entry: the graph's sha256, the sha256 of the weights it
was made from, the input multiple, the opset, the versions that made it and the verification's
largest difference.  ``msdunet.model.weights.checked_graph`` refuses a graph whose sha256 or weights
differ from the card's; tests/test_shipped_onnx.py checks that graph and weights hold the same tensors
and give the same maps, so the two cannot drift apart.  ``ship_weights --onnx`` runs this after
shipping a model.
"""

from __future__ import annotations

import argparse
import json
import sys

from msdunet.model.weights import DEFAULT_MODEL, graph_path, load_weights, read_card, resolve_weights, sha256


def ship(name: str) -> dict:
    """Export NAME's graph beside its weights and record it in the card; returns the card's entry."""
    import onnxscript
    import torch

    from msdunet.inference.onnx_export import OPSET, export_module

    weights = resolve_weights(name)
    model, card = load_weights(weights)
    graph = graph_path(weights)
    report = export_module(model, graph, half=True)
    entry = {
        "file": graph.name,
        "sha256": sha256(graph),
        "weights_sha256": card["sha256"],
        "multiple": model.multiple,
        "opset": OPSET,
        "initializers": "float16 where the weights are (all of them), cast to float32 in the graph",
        "made_with": f"torch {torch.__version__.split('+')[0]}, onnxscript {onnxscript.__version__}",
        "max_abs_diff_vs_torch_fp32": float(f"{report['max_abs_diff']:.3g}"),
        "verified_sizes": report["sizes"],
    }
    card = read_card(weights)  # as on disk, key order kept
    card["onnx"] = entry
    weights.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", default=DEFAULT_MODEL, help="a shipped model (default: the default)")
    args = parser.parse_args()
    entry = ship(args.name)
    json.dump(entry, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
