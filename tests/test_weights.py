"""Weights: safetensors + card + sha256; tampering, missing cards and wrong shapes are refused."""

from __future__ import annotations

import json

import pytest
import torch

from msdunet.model import ModelConfig, MSDUNet
from msdunet.model.weights import (
    ALIASES,
    DEFAULT_MODEL,
    WeightsError,
    find_weights,
    load_weights,
    older_names,
    read_card,
    resolve_weights,
    save_weights,
    sha256,
    shipped_models,
)


def test_card_records_config_and_checksum(tiny_weights):
    card = json.loads(tiny_weights.with_suffix(".json").read_text())
    assert card["config"] == ModelConfig(variant="msdunet", width=4, norm="batch").to_dict()
    assert card["config"]["encoder"] == "plain" and card["config"]["width"] == 4
    assert card["sha256"] == sha256(tiny_weights)


def test_tampered_file_is_refused(tiny_weights, tmp_path):
    copy = tmp_path / "t.safetensors"
    data = bytearray(tiny_weights.read_bytes())
    data[-5] ^= 0xFF
    copy.write_bytes(bytes(data))
    tmp_path.joinpath("t.json").write_text(tiny_weights.with_suffix(".json").read_text())
    with pytest.raises(WeightsError, match="t.safetensors: checksum mismatch"):
        load_weights(copy)


def test_missing_card_and_missing_file(tiny_weights, tmp_path):
    copy = tmp_path / "nocard.safetensors"
    copy.write_bytes(tiny_weights.read_bytes())
    with pytest.raises(WeightsError, match="no model card"):
        load_weights(copy)
    with pytest.raises(WeightsError, match="no such weights file"):
        load_weights(tmp_path / "absent.safetensors")


def test_card_describing_another_architecture_is_refused(tmp_path):
    path = save_weights(MSDUNet(ModelConfig(width=4)), tmp_path / "w.safetensors")
    card = json.loads(path.with_suffix(".json").read_text())
    card["config"]["width"] = 8
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="do not match the architecture"):
        load_weights(path)


def test_pickle_file_is_not_loaded(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(1)}, path)
    path.with_suffix(".json").write_text(json.dumps({"config": {}, "sha256": sha256(path)}))
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        load_weights(path)


def test_fp16_storage_round_trips(tmp_path):
    model = MSDUNet(ModelConfig(width=4)).eval()
    path = save_weights(model, tmp_path / "h.safetensors", half=True)
    loaded, card = load_weights(path)
    assert card["dtype"] == "float16"
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(loaded(x), model(x), atol=0.05, rtol=0.05)


def test_no_installed_weights_says_so_plainly(monkeypatch):
    monkeypatch.setattr("msdunet.model.weights.shipped_models", lambda: {})
    with pytest.raises(WeightsError, match="no weights are installed"):
        resolve_weights(None)


def test_shipped_weights_load_and_verify():
    shipped = shipped_models()
    if not shipped:
        pytest.skip("no weights shipped yet")
    for path in shipped.values():
        model, card = load_weights(path)
        assert card["config"]["variant"] == model.config.variant
        assert "metrics" in card and "training" in card


@pytest.mark.skipif(not shipped_models(), reason="no weights shipped yet")
def test_old_names_of_shipped_models_still_load():
    """Renamed models are listed once, under their new name; the old name finds the same file, whose
    card and checksum are intact, and builds the same network with the same tensors."""
    shipped = shipped_models()
    for old, new in ALIASES.items():
        assert new in shipped and old not in shipped
        assert resolve_weights(old) == resolve_weights(new) == find_weights(old) == shipped[new]
        assert read_card(shipped[new])["name"] == new and older_names(new) == [old]
    assert DEFAULT_MODEL in shipped and resolve_weights(None) == shipped[DEFAULT_MODEL]
    by_old, card = load_weights(resolve_weights("msdunet-lite0-s2"))  # checksum verified on load
    assert card["sha256"] == sha256(shipped[DEFAULT_MODEL])
    by_new = load_weights(shipped[DEFAULT_MODEL])[0].state_dict()
    assert list(by_old.state_dict()) == list(by_new)
    assert all(torch.equal(value, by_new[key]) for key, value in by_old.state_dict().items())


def test_shipped_names_say_what_the_models_are():
    """msdunet-… has the paper's extractors, unet-… has none; lite0 names the encoder; -stride2 the output stride."""
    for name, path in shipped_models().items():
        config = ModelConfig.from_dict(read_card(path)["config"])
        assert name.startswith("msdunet-" if config.variant == "msdunet" else "unet-"), name
        assert ("lite0" in name) == (config.encoder == "efficientnet-lite0"), name
        assert name.endswith("-stride2") == (config.output_stride == 2), name
