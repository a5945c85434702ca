"""One shared tester over all variants (the smp way): each variant's test is a parameter."""

from __future__ import annotations

import pytest
import torch

from msdunet.model import (
    VARIANTS,
    ModelConfig,
    MSDUNet,
    PretrainedUNet,
    build_model,
    count_parameters,
    fold_batchnorm,
    gflops,
)
from msdunet.model.fold import count_batchnorms
from msdunet.model.parts import EXTRACTOR_STRIDES, Extractor
from msdunet.model.weights import load_weights, save_weights

LITE = "efficientnet-lite0"
CONFIGS = [ModelConfig(variant=v, width=4, norm=n) for v in VARIANTS for n in ("none", "batch")] + [
    ModelConfig(variant="msdunet", width=4, norm="batch", upsample="bilinear"),
    ModelConfig(variant="msdunet", width=4, norm="batch", encoder=LITE, upsample="bilinear"),
    ModelConfig(variant="unet", width=4, norm="batch", encoder=LITE, upsample="bilinear"),
    ModelConfig(variant="msdunet", width=4, norm="batch", encoder=LITE, upsample="transposed"),
    ModelConfig(variant="unet", width=4, norm="batch", encoder=LITE, upsample="bilinear", output_stride=2),
]


def lite(variant: str, upsample: str = "bilinear", output_stride: int = 1) -> ModelConfig:
    """A width-8 U-net on EfficientNet-Lite0."""
    return ModelConfig(
        variant=variant, width=8, norm="batch", encoder=LITE, upsample=upsample, output_stride=output_stride
    )


@pytest.fixture(params=CONFIGS, ids=lambda c: f"{c.encoder}-{c.variant}-{c.norm}-{c.upsample}-os{c.output_stride}")
def model(request) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(request.param)


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


def test_folded_batchnorm_gives_the_same_output(model):
    """BatchNorm with trained-looking statistics (not the identity of a fresh layer) folds into its
    conv: no BatchNorm left, the same logits, the original network untouched."""
    generator = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator))
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=generator))
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator))
    model.eval()
    x = torch.randn(1, 3, 40, 56)
    before = count_batchnorms(model)
    folded = fold_batchnorm(model)
    assert count_batchnorms(folded) == 0 and count_batchnorms(model) == before
    with torch.no_grad():
        expected, actual = model(x), folded(x)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4 * float(expected.abs().max()))


def test_extractors_match_level_sizes():
    for level, stride in enumerate(EXTRACTOR_STRIDES):
        extractor = Extractor(8, (1, 2, 2, 2)[level], stride, "none")
        assert extractor(torch.randn(1, 3, 64, 96)).shape == (1, 8, 64 // stride, 96 // stride)


def test_variants_differ_as_the_paper_says():
    params = {v: count_parameters(MSDUNet(ModelConfig(variant=v, width=8))) for v in VARIANTS}
    assert params["unet"] < params["noskip"] < params["msdunet"] < params["nodilation"]
    names = {n for n, _ in MSDUNet(ModelConfig(variant="unet", width=8)).named_parameters()}
    assert not any("extractors" in n for n in names)
    dilations = [
        m.dilation
        for m in MSDUNet(ModelConfig(variant="msdunet", width=8)).encoder.extractors.modules()
        if isinstance(m, torch.nn.Conv2d) and m.in_channels == 3
    ]
    assert dilations == [(1, 1), (2, 2), (2, 2), (2, 2)]
    kernels = [
        m.kernel_size
        for m in MSDUNet(ModelConfig(variant="nodilation", width=8)).encoder.extractors.modules()
        if isinstance(m, torch.nn.Conv2d) and m.in_channels == 3
    ]
    assert kernels == [(3, 3), (5, 5), (5, 5), (5, 5)]


def test_gflops_scale_with_width_squared():
    small, large = gflops(MSDUNet(ModelConfig(width=4)), size=64), gflops(MSDUNet(ModelConfig(width=8)), size=64)
    assert 3.0 < large / small < 4.2


def test_pretrained_encoder_variants():
    with_extractors = build_model(lite("msdunet"))
    without = build_model(lite("unet"))
    assert isinstance(with_extractors, PretrainedUNet) and len(with_extractors.extractors) == 4
    assert len(without.extractors) == 0
    # the extractors' outputs join the skips at strides 1, 2, 4, 8: each decoder level is wider by their width
    assert count_parameters(with_extractors) > count_parameters(without)
    transposed = build_model(lite("unet", "transposed"))
    assert any(isinstance(m, torch.nn.ConvTranspose2d) for m in transposed.modules())
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in without.modules())


def test_output_stride_2_drops_the_full_resolution_level():
    full = build_model(lite("unet"))
    half = build_model(lite("unet", output_stride=2))
    assert (len(full.decoder), len(half.decoder)) == (5, 4)
    assert gflops(half, size=128) < 0.9 * gflops(full, size=128)
    assert half.head.in_channels == full.decoder[3].conv[-1][0].out_channels  # the head reads stride 2


def test_old_cards_without_encoder_build_the_paper_model():
    config = ModelConfig.from_dict({"variant": "msdunet", "width": 4, "norm": "batch"})
    assert config.encoder == "plain" and isinstance(build_model(config), MSDUNet)


@pytest.mark.parametrize(
    "bad",
    [
        {"variant": "resnet"},
        {"norm": "group"},
        {"width": 0},
        {"encoder": "vgg"},
        {"upsample": "nearest"},
        {"encoder": LITE, "variant": "noskip", "norm": "batch"},
        {"encoder": LITE, "norm": "none"},
        {"encoder": LITE, "variant": "unet", "norm": "batch", "output_stride": 4},
        {"output_stride": 2},  # the paper's own encoder decodes to full resolution
        {"encoder": LITE, "variant": "msdunet", "norm": "batch", "output_stride": 2},  # stride-1 extractor unfed
    ],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)
