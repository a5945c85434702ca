"""The encoder registry: every encoder keeps the contract, an unknown name lists the valid ones, and a
new encoder is one file and one registry line (this file is the file: ``TinyEncoder`` below)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from msdunet.model import ENCODERS, ModelConfig, PretrainedUNet, UnknownEncoderError, build_model, get_encoder
from msdunet.model.encoders import ImageEncoder
from msdunet.model.weights import load_weights, save_weights


class TinyEncoder(ImageEncoder):
    """A new encoder as a contributor would write it: channels, input convention, features, ImageNet load."""

    out_channels = (3, 4, 5, 6, 7, 8)
    input_mean, input_scale = 127.5, 127.5

    def __init__(self) -> None:
        super().__init__()
        cins = self.out_channels[:-1]
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU())
            for cin, cout in zip(cins, self.out_channels[1:], strict=True)
        )

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return maps

    def load_imagenet(self, path: str | None = None) -> None:
        raise RuntimeError("no ImageNet weights for the tiny test encoder")


@pytest.fixture()
def tiny_registered(monkeypatch) -> str:
    monkeypatch.setitem(ENCODERS, "tiny-test", "tests.test_encoders:TinyEncoder")  # the one registry line
    return "tiny-test"


def tiny_config(**kw) -> ModelConfig:
    return ModelConfig(**{"variant": "msdunet", "width": 4, "norm": "batch", "encoder": "tiny-test", **kw})


@pytest.mark.parametrize("name", list(ENCODERS))
def test_every_registered_encoder_keeps_the_contract(name):
    """The image first, then maps at strides 2, 4, 8, 16, 32 with the channels the encoder declares."""
    encoder = get_encoder(name).eval()
    assert isinstance(encoder, ImageEncoder) and len(encoder.out_channels) == 6 and encoder.out_channels[0] == 3
    image = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        maps = encoder(image)
    assert maps[0] is image
    assert [tuple(m.shape[1:]) for m in maps] == [
        (c, 64 // 2**i, 96 // 2**i) for i, c in enumerate(encoder.out_channels)
    ]
    assert not encoder.state_dict().keys() & {"to_backbone_scale", "to_backbone_shift"}  # not in weights files


def test_an_unknown_encoder_name_lists_the_valid_ones():
    with pytest.raises(
        UnknownEncoderError,
        match="unknown encoder 'vgg'; registered encoders: efficientnet-lite0, efficientnet-lite1, ",
    ):
        get_encoder("vgg")
    with pytest.raises(
        ValueError, match=r"unknown encoder 'vgg'; choose one of \('plain', 'efficientnet-lite0', 'efficientnet-lite1',"
    ):
        ModelConfig(encoder="vgg", norm="batch")


def test_a_registry_entry_must_build_an_image_encoder(monkeypatch):
    monkeypatch.setitem(ENCODERS, "not-an-encoder", "torch.nn:Identity")
    with pytest.raises(TypeError, match="does not build an ImageEncoder"):
        get_encoder("not-an-encoder")


def test_a_new_encoder_is_one_file_and_one_registry_line(tiny_registered, tmp_path):
    """Registered by name, the tiny encoder is a valid config, builds a model that runs at any size,
    saves and loads by its card, trains with its own learning rate and loads a .safetensors copy."""
    with pytest.raises(ValueError, match="tiny-test"):
        get_encoder("tiny-test-typo")
    config = tiny_config()
    model = build_model(config).eval()
    assert isinstance(model, PretrainedUNet) and isinstance(model.encoder, TinyEncoder)
    x = torch.randn(2, 3, 37, 53)
    assert model(x).shape == (2, 2, 37, 53) and model.blur_probability(x).shape == (2, 37, 53)
    loaded, card = load_weights(save_weights(model, tmp_path / "tiny.safetensors"))
    assert card["config"]["encoder"] == "tiny-test" and torch.equal(loaded(x), model(x))
    stride2 = build_model(tiny_config(variant="unet", output_stride=2))
    assert stride2(x).shape == (2, 2, 37, 53)

    from msdunet.training.config import TrainConfig
    from msdunet.training.optim import make_optimizer

    cfg = TrainConfig.from_dict({"encoder": "tiny-test", "norm": "batch", "width": 4, "lr": 0.01, "encoder_lr": 0.001})
    groups = make_optimizer(cfg, build_model(cfg.model)).param_groups
    assert [g["lr_scale"] for g in groups] == pytest.approx([1.0, 0.1])

    copy = tmp_path / "encoder.safetensors"
    state = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v for k, v in model.encoder.state_dict().items()}
    save_file(state, str(copy))
    model.encoder.load_pretrained(str(copy))
    assert all(torch.all(v == 0.5) for v in model.encoder.state_dict().values() if v.is_floating_point())
    with pytest.raises(RuntimeError, match="no ImageNet weights"):
        model.encoder.load_pretrained()
