"""One shared tester over all variants (the smp way): each variant's test is a parameter."""

from __future__ import annotations

import pytest
import torch

from msdunet.model import VARIANTS, ModelConfig, MSDUNet, count_parameters, gflops
from msdunet.model.parts import EXTRACTOR_STRIDES, Extractor
from msdunet.weights import load_weights, save_weights

CONFIGS = [ModelConfig(v, 4, n) for v in VARIANTS for n in ("none", "batch")]


@pytest.fixture(params=CONFIGS, ids=lambda c: f"{c.variant}-{c.norm}")
def model(request) -> MSDUNet:
    torch.manual_seed(0)
    return MSDUNet(request.param)


@pytest.mark.parametrize("size", [(32, 32), (37, 53), (16, 80), (5, 9)])
def test_output_has_input_size(model, size):
    out = model.eval()(torch.randn(2, 3, *size))
    assert out.shape == (2, 2, *size)
    prob = model.blur_probability(torch.randn(1, 3, *size))
    assert prob.shape == (1, *size) and float(prob.min()) >= 0 and float(prob.max()) <= 1


def test_every_parameter_gets_a_gradient(model):
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.randn(2, 3, 32, 48)), torch.randint(0, 2, (2, 32, 48)))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing
    assert any(float(p.grad.abs().sum()) > 0 for p in model.parameters())


def test_save_load_round_trip_gives_identical_output(model, tmp_path):
    model.eval()
    x = torch.randn(1, 3, 40, 56)
    path = save_weights(model, tmp_path / "m.safetensors")
    loaded, card = load_weights(path)
    assert card["config"] == model.config.to_dict()
    assert torch.equal(model(x), loaded(x))


def test_extractors_match_level_sizes():
    for level, stride in enumerate(EXTRACTOR_STRIDES):
        extractor = Extractor(8, (1, 2, 2, 2)[level], stride, "none")
        assert extractor(torch.randn(1, 3, 64, 96)).shape == (1, 8, 64 // stride, 96 // stride)


def test_variants_differ_as_the_paper_says():
    params = {v: count_parameters(MSDUNet(ModelConfig(v, 8))) for v in VARIANTS}
    assert params["unet"] < params["noskip"] < params["msdunet"] < params["nodilation"]
    names = {n for n, _ in MSDUNet(ModelConfig("unet", 8)).named_parameters()}
    assert not any("extractors" in n for n in names)
    dilations = [m.dilation for m in MSDUNet(ModelConfig("msdunet", 8)).encoder.extractors.modules()
                 if isinstance(m, torch.nn.Conv2d) and m.in_channels == 3]
    assert dilations == [(1, 1), (2, 2), (2, 2), (2, 2)]
    kernels = [m.kernel_size for m in MSDUNet(ModelConfig("nodilation", 8)).encoder.extractors.modules()
               if isinstance(m, torch.nn.Conv2d) and m.in_channels == 3]
    assert kernels == [(3, 3), (5, 5), (5, 5), (5, 5)]


def test_gflops_scale_with_width_squared():
    small, large = gflops(MSDUNet(ModelConfig(width=4)), 64), gflops(MSDUNet(ModelConfig(width=8)), 64)
    assert 3.0 < large / small < 4.2


@pytest.mark.parametrize("bad", [{"variant": "resnet"}, {"norm": "group"}, {"width": 0}])
def test_bad_config_is_refused(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)
