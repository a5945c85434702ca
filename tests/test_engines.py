"""The engines: the shipped ONNX graph holds the shipped weights and gives their maps, the numpy steps
around the network are torch's, ``auto`` picks onnx only where it can, and detect never loads torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from msdunet.inference.arrays import pad_to_multiple, resize_bilinear
from msdunet.inference.detector import BlurDetector
from msdunet.model.parts import pad_to_multiple as torch_pad
from msdunet.model.weights import DEFAULT_MODEL, WeightsError, checked_graph, graph_path, read_card, resolve_weights

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.jpg"))
ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize(("shape", "size"), [((256, 256), (1067, 1600)), ((256, 256), (90, 37)), ((5, 7), (13, 2))])
def test_resize_is_torchs_bilinear(shape, size):
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    expected = F.interpolate(torch.from_numpy(image)[None, None], size=size, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(resize_bilinear(image, *size), expected[0, 0].numpy(), atol=2e-5)


@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (1, 3, 5, 40), (2, 3, 64, 64)])
def test_padding_is_torchs(shape):
    image = np.random.default_rng(1).random(shape, dtype=np.float32)
    np.testing.assert_array_equal(pad_to_multiple(image, 32), torch_pad(torch.from_numpy(image), 32).numpy())


def test_normalize_array_is_normalize_images_bit_for_bit():
    from msdunet.model.preprocess import normalize_array, normalize_images

    levels = np.arange(256, dtype=np.uint8)
    images = np.stack([levels.reshape(16, 16), levels[::-1].reshape(16, 16), np.roll(levels, 7).reshape(16, 16)], -1)
    images = np.stack([images, images[::-1]])  # (2, 16, 16, 3): every level in every channel
    ours = normalize_array(images)
    assert ours.flags.c_contiguous and ours.dtype == np.float32
    assert np.array_equal(ours, normalize_images(torch.from_numpy(images)).numpy())


def test_shipped_graph_is_checked_and_names_its_weights():
    weights = resolve_weights(DEFAULT_MODEL)
    card = read_card(weights)
    assert checked_graph(weights, card) == graph_path(weights)
    assert card["onnx"]["weights_sha256"] == card["sha256"]


def test_shipped_graph_holds_the_shipped_tensors():
    """Every tensor of the safetensors is in the graph, fp16, bit for bit (regenerate: python -m lab ship_onnx)."""
    onnx = pytest.importorskip("onnx")
    from safetensors.numpy import load_file

    from msdunet.inference.onnx_export import HALF_SUFFIX

    weights = resolve_weights(DEFAULT_MODEL)
    graph = onnx.load(str(graph_path(weights)))
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in graph.graph.initializer}
    tensors = {k: v for k, v in load_file(str(weights)).items() if not k.endswith("num_batches_tracked")}
    for key, value in tensors.items():
        in_graph = stored[f"model.{key}{HALF_SUFFIX}"]
        assert in_graph.dtype == value.dtype and np.array_equal(in_graph, value), key


def test_shipped_graph_gives_the_torch_models_maps():
    from msdunet.inference.engines import OnnxEngine
    from msdunet.inference.onnx_export import TOLERANCE
    from msdunet.inference.torch_engine import TorchEngine, load_model

    weights = resolve_weights(DEFAULT_MODEL)
    onnx_engine = OnnxEngine(graph_path(weights), multiple=32, threads=1)
    torch_engine = TorchEngine(load_model(weights), bf16=False, fold=False)
    for h, w in ((256, 256), (200, 330)):
        x = np.random.default_rng(h).standard_normal((1, 3, h, w)).astype(np.float32)
        assert np.abs(onnx_engine.probability(x) - torch_engine.probability(x)).max() < TOLERANCE


def test_a_changed_graph_is_refused(tmp_path):
    weights = resolve_weights(DEFAULT_MODEL)
    for suffix in (".safetensors", ".json", ".onnx"):
        shutil.copy(weights.with_suffix(suffix), tmp_path / f"m{suffix}")
    copy = tmp_path / "m.safetensors"
    data = bytearray((tmp_path / "m.onnx").read_bytes())
    data[-100] ^= 1
    (tmp_path / "m.onnx").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum mismatch"):
        BlurDetector(copy)
    card = read_card(copy)
    card["onnx"]["weights_sha256"] = "0" * 64
    (tmp_path / "m.json").write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="other weights"):
        BlurDetector(copy)


def test_auto_runs_onnx_only_where_it_can(tiny_weights, monkeypatch):
    assert BlurDetector().backend == "onnx" and BlurDetector().bf16 is False
    assert BlurDetector(bf16=True).backend == "torch"  # bf16 asked for: the torch engine
    assert BlurDetector(tiny_weights).backend == "torch"  # no graph beside these weights
    with pytest.raises(AttributeError, match="backend='torch'"):
        _ = BlurDetector().model
    monkeypatch.setattr("msdunet.inference.engines.onnxruntime_installed", lambda: False)
    assert BlurDetector().backend == "torch"
    with pytest.raises(ValueError, match="backend"):
        BlurDetector(backend="tensorrt")


def test_the_engines_give_the_same_answers():
    """onnx fp32 against torch fp32: float rounding; against torch bf16 (detect's engine before): within
    bf16's own difference (reports/engines.md), the same verdicts."""
    engines = {
        "onnx": BlurDetector(),
        "fp32": BlurDetector(backend="torch", bf16=False),
        "bf16": BlurDetector(backend="torch", bf16=True),
    }
    for photo in EXAMPLES:
        found = {name: d.analyse(photo) for name, d in engines.items()}
        assert np.abs(found["onnx"].blur - found["fp32"].blur).max() < 1e-4
        assert np.abs(found["onnx"].blur - found["bf16"].blur).mean() < 0.01
        assert len({f.judgement.verdict for f in found.values()}) == 1, photo.name
        assert len({f.summary.verdict for f in found.values()}) == 1, photo.name


def test_detect_never_imports_torch(tmp_path):
    code = (
        "import sys\nfrom msdunet.cli.main import cli\n"
        "try:\n    cli(sys.argv[1:], prog_name='msdunet')\nexcept SystemExit as exc:\n    print(exc.code)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')[:3])"
    )
    args = ["detect", str(EXAMPLES[0]), "-o", str(tmp_path / "out"), "-q"]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split("\n")[:2] == ["0", "[]"], done.stdout + done.stderr
    assert (tmp_path / "out" / "report.csv").exists()
