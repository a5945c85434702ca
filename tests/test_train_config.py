"""TrainConfig: unknown keys and values of another type than declared are refused with a clear message."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib.resources import files

import pytest
import tomllib

from msdunet.model import ModelConfig
from msdunet.training.config import MODEL_KEYS, option_types
from msdunet.training.run_folder import RunFolderError, check_architecture, resume_options
from msdunet.training.train import TrainConfig

from .conftest import invoke


def option(cfg: TrainConfig, key: str) -> object:
    """An option's value: an architecture key is read from ``cfg.model``."""
    return getattr(cfg.model, key) if key in MODEL_KEYS else getattr(cfg, key)


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
    assert option(TrainConfig.from_dict({key: parsed}), key) == value


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
    assert TrainConfig.from_dict({"variant": "unet", "width": 8}).model.width == 8
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


def test_the_architecture_is_one_option_spelled_three_ways():
    """``[model]`` in TOML, ``model.KEY`` (``--set``) and the older bare ``KEY`` give the same config;
    the architecture's keys are ModelConfig's own, declared once."""
    table = TrainConfig.from_dict(tomllib.loads('epochs = 3\n[model]\nvariant = "unet"\nwidth = 8\n'))
    dotted = TrainConfig.from_dict({"epochs": 3, "model.variant": "unet", "model.width": 8})
    flat = TrainConfig.from_dict({"epochs": 3, "variant": "unet", "width": 8})
    assert table == dotted == flat and table.model == ModelConfig(variant="unet", width=8)
    assert TrainConfig.parse_option("model.width", "16") == 16 and TrainConfig.parse_option("width", "16") == 16
    assert {f"model.{key}" for key in MODEL_KEYS} <= option_types().keys()
    assert not set(MODEL_KEYS) & option_types().keys()  # a bare key can only mean the architecture's
    assert TrainConfig.from_dict(asdict(flat)) == flat  # config.json (nested) reads back


def test_architecture_options_are_checked_like_the_others():
    with pytest.raises(ValueError, match=r"unknown training option\(s\): \['model.depth'\]"):
        TrainConfig.from_dict({"model": {"depth": 5}})
    with pytest.raises(TypeError, match="option model.width must be an integer"):
        TrainConfig.from_dict({"model": {"width": "8"}})
    with pytest.raises(TypeError, match="option model must be a table"):
        TrainConfig.from_dict({"model": "unet"})
    with pytest.raises(ValueError, match="unknown encoder 'vgg'"):
        TrainConfig.from_dict({"model.encoder": "vgg"})


def test_a_resumed_run_keeps_its_architecture_whatever_the_spelling(tmp_path):
    old_flat = {"variant": "msdunet", "width": 4, "norm": "batch", "epochs": 1}  # config.json before [model]
    nested = asdict(TrainConfig.from_dict(old_flat))
    for saved in (old_flat, nested):
        check_architecture(saved, {"model.width": 4, "epochs": 2}, tmp_path)
        for change in ({"width": 8}, {"model.width": 8}, {"model": {"width": 8}}):
            with pytest.raises(RunFolderError, match=r"width=8 \(was 4\)"):
                check_architecture(saved, change, tmp_path)


def test_a_run_folder_from_before_the_model_table_resumes(tmp_path):
    """A config.json with the architecture's keys flat (runs trained before ``[model]``) resumes."""
    old = {"train": ["x.npz"], "out": str(tmp_path), "variant": "unet", "width": 4, "norm": "batch", "epochs": 1}
    (tmp_path / "config.json").write_text(json.dumps(old))
    cfg = TrainConfig.from_dict(resume_options(tmp_path, {"epochs": 2, "width": 4}))
    assert (cfg.epochs, cfg.model) == (2, ModelConfig(variant="unet", width=4, norm="batch"))
    with pytest.raises(RunFolderError, match=r"variant=msdunet \(was unet\)"):
        resume_options(tmp_path, {"model.variant": "msdunet"})
