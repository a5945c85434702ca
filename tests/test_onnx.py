"""ONNX export (dynamic H/W) verified against PyTorch, and the onnx backend of BlurDetector."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")  # torch's ONNX exporter needs it (the onnx and dev extras install it)

from msdunet.inference.detector import BlurDetector  # noqa: E402
from msdunet.inference.engines import OnnxEngine  # noqa: E402
from msdunet.inference.onnx_export import TOLERANCE, export_onnx  # noqa: E402

from .conftest import textured  # noqa: E402


def test_export_verifies_two_sizes(tiny_weights, tmp_path):
    report = export_onnx(tiny_weights, tmp_path / "m.onnx")
    assert report["max_abs_diff"] <= TOLERANCE and len(report["sizes"]) == 2
    out = OnnxEngine(tmp_path / "m.onnx", multiple=16).probability(np.zeros((1, 3, 37, 53), dtype=np.float32))
    assert out.shape == (1, 37, 53)


def test_pretrained_encoder_model_exports(tmp_path):
    import torch

    from msdunet.inference.onnx_export import export_module
    from msdunet.model import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(
        ModelConfig(variant="msdunet", width=4, norm="batch", encoder="efficientnet-lite0", upsample="bilinear")
    ).eval()
    report = export_module(model, tmp_path / "lite.onnx")
    assert report["max_abs_diff"] <= TOLERANCE
    out = OnnxEngine(tmp_path / "lite.onnx", multiple=model.multiple).probability(
        np.zeros((1, 3, 37, 53), dtype=np.float32)
    )
    assert out.shape == (1, 37, 53)


def test_onnx_backend_matches_torch(tiny_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("MSDUNET_CACHE", str(tmp_path / "cache"))
    image = textured(120, 80, seed=5)
    torch_map = BlurDetector(tiny_weights, working_size=96, bf16=False)(image)
    onnx_map = BlurDetector(tiny_weights, working_size=96, backend="onnx")(image)
    assert np.abs(torch_map - onnx_map).max() < 1e-4
    assert len(list((tmp_path / "cache").glob("*.onnx"))) == 1  # exported once, cached by sha256
    BlurDetector(tiny_weights, working_size=96, backend="onnx")(image)
    assert len(list((tmp_path / "cache").glob("*.onnx"))) == 1
    # the network as trained is another graph: its own cache entry, never the folded one
    plain = BlurDetector(tiny_weights, working_size=96, backend="onnx", fold_batchnorm=False)
    assert np.abs(plain(image) - torch_map).max() < 1e-4
    assert sorted(p.name.endswith("-folded.onnx") for p in (tmp_path / "cache").glob("*.onnx")) == [False, True]
