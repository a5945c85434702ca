"""TrainConfig: unknown keys and values of another type than declared are refused with a clear message."""

from __future__ import annotations

from importlib.resources import files

import pytest
import tomllib

from msdunet.training.train import TrainConfig

from .conftest import invoke


def test_a_single_pack_string_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"train must be a list of strings.*\['cache/x.npz'\]"):
        TrainConfig.from_dict({"train": "cache/x.npz"})
    assert TrainConfig.from_dict({"train": ("a.npz", "b.npz")}).train == ["a.npz", "b.npz"]


@pytest.mark.parametrize(
    "key, value",
    [("epochs", "10"), ("epochs", 10.0), ("epochs", True), ("amp", 1), ("lr", "0.1"), ("norm", None), ("crop", 1.5)],
)
def test_values_of_another_type_are_refused(key, value):
    with pytest.raises(TypeError, match=f"option {key} must be"):
        TrainConfig.from_dict({key: value})


def test_declared_types_are_kept_and_ints_become_floats():
    cfg = TrainConfig.from_dict({"lr": 1, "max_minutes": 100, "crop": None, "encoder_lr": None, "amp": False})
    assert (cfg.lr, cfg.max_minutes, cfg.crop, cfg.amp) == (1.0, 100.0, None, False)
    assert isinstance(cfg.lr, float) and isinstance(cfg.max_minutes, float)


def test_unknown_keys_are_refused():
    with pytest.raises(ValueError, match="nonsense"):
        TrainConfig.from_dict({"nonsense": 1})
    with pytest.raises(ValueError, match="nonsense"):
        TrainConfig.parse_option("nonsense", "1")


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("train", "cache/x.npz", ["cache/x.npz"]),
        ("norm", "none", "none"),  # a string option keeps the word, it is not None
        ("val", "none", None),
        ("crop", "None", None),
        ("amp", "false", False),
        ("expand", "yes", True),
        ("epochs", "7", 7),
        ("lr", "1", 1.0),
        ("notes", "42", "42"),
    ],
)
def test_set_values_are_read_as_the_declared_type(key, text, value):
    parsed = TrainConfig.parse_option(key, text)
    assert parsed == value and type(parsed) is type(value)
    assert getattr(TrainConfig.from_dict({key: parsed}), key) == value


@pytest.mark.parametrize("key, text", [("amp", "maybe"), ("epochs", "1.5"), ("lr", "fast"), ("epochs", "none")])
def test_set_values_that_do_not_read_as_the_type_are_refused(key, text):
    with pytest.raises(ValueError, match=f"option {key} must be"):
        TrainConfig.parse_option(key, text)


def test_every_shipped_config_passes_the_checks():
    configs = [p for p in files("msdunet.training").joinpath("configs").iterdir() if p.name.endswith(".toml")]
    assert configs
    for path in configs:
        TrainConfig.from_dict(tomllib.loads(path.read_text()))


def test_an_impossible_architecture_is_a_config_error(tmp_path):
    with pytest.raises(ValueError, match="output_stride 2"):
        TrainConfig.from_dict({"encoder": "efficientnet-lite0", "norm": "batch", "output_stride": 2})  # msdunet
    assert TrainConfig.from_dict({"variant": "unet", "width": 8}).model_config().width == 8
    out = tmp_path / "run"
    result = invoke(["train", "--train", "x.npz", "--out", str(out), "--set", "norm=group"])
    assert result.exit_code == 2 and "unknown norm 'group'" in result.output and not out.exists()


def test_cli_names_the_bad_option(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('train = "cache/x.npz"\n')
    result = invoke(["train", "--config", str(config)])
    assert result.exit_code == 2 and "train must be a list of strings" in result.output
    result = invoke(["train", "--train", "x.npz", "--set", "epochs=ten"])
    assert result.exit_code == 2 and "option epochs must be an integer" in result.output
