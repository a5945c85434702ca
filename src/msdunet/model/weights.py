"""Weights on disk: ``NAME.safetensors`` + ``NAME.json`` (architecture, provenance, metrics, sha256), and
for the default model ``NAME.onnx``, its ONNX graph (the card's ``onnx`` entry: its sha256 and the
weights it was made from; ``checked_graph``).

Never pickled, never downloaded.  Importable without torch (cards, checksums, where the shipped files
are); torch loads when a model is built or saved.  Loading checks the file's sha256 against the JSON card and
refuses a mismatch, a missing card, or tensors that do not fit the architecture — each with a
message that names the file.  Shipped weights live in the package (``msdunet/shipped/``) and are
found with ``importlib.resources``; a shipped model's name says what it is (architecture, encoder,
output stride), and the names it shipped under before still load (``ALIASES``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import SafetensorError

if TYPE_CHECKING:
    from torch import nn

DEFAULT_MODEL = "unet-lite0-stride2"  # U-net on pretrained EfficientNet-Lite0, output at stride 2; see its card
# Older names of shipped models → their names now (the old ones read as MSDU-net with extractors, or as a status)
ALIASES = {
    "msdunet-lite0-s2": "unet-lite0-stride2",
    "msdunet-lite0": "unet-lite0",
    "msdunet-provisional": "msdunet-w16",
}


class WeightsError(RuntimeError):
    """Weights missing, tampered with, or not matching their architecture."""


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def save_weights(model: nn.Module, path: str | os.PathLike, *, meta: dict | None = None, half: bool = False) -> Path:
    """Write ``path`` (.safetensors) and its card (.json); ``half`` stores float tensors as fp16."""
    from safetensors.torch import save_file

    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        state[k] = v.half() if half and v.is_floating_point() else v
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)
    card = {"config": model.config.to_dict(), "dtype": "float16" if half else "float32", **(meta or {})}
    card["sha256"] = sha256(path)
    card_path(path).write_text(json.dumps(card, indent=2) + "\n")
    return path


def read_card(path: str | os.PathLike) -> dict:
    path = Path(path)
    card = card_path(path)
    if not card.exists():
        raise WeightsError(f"{path}: no model card {card.name} beside it (architecture and sha256 unknown)")
    try:
        return json.loads(card.read_text())
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{card}: not valid JSON ({exc})") from exc


def load_weights(path: str | os.PathLike, *, verify: bool = True) -> tuple[nn.Module, dict]:
    """Build the model described by the card and load the tensors; returns (model in eval mode, card)."""
    from safetensors.torch import load_file

    from msdunet.model import ModelConfig, build_model

    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such weights file")
    card = read_card(path)
    if verify:
        expected, actual = card.get("sha256"), sha256(path)
        if expected != actual:
            raise WeightsError(
                f"{path}: checksum mismatch (card says {expected}, file is {actual}); "
                "the file is damaged or was changed — refusing to load it"
            )
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file ({exc})") from exc
    model = build_model(ModelConfig.from_dict(card["config"]))
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path}: tensors do not match the architecture in its card ({exc})") from exc
    return model.eval(), card


def graph_path(weights: Path) -> Path:
    """Where the ONNX graph of ``weights`` lives: beside it, ``NAME.onnx``."""
    return Path(weights).with_suffix(".onnx")


def checked_graph(weights: str | os.PathLike, card: dict) -> Path | None:
    """The ONNX graph shipped beside ``weights`` (``NAME.onnx``), checked: None when its card names
    none (``card["onnx"]``) or the file is not there; ``WeightsError`` when the graph was made from
    other weights than the card's or its sha256 is not the card's (changed or damaged)."""
    entry, path = card.get("onnx"), graph_path(Path(weights))
    if not entry or not path.exists():
        return None
    if entry.get("weights_sha256") != card.get("sha256"):
        raise WeightsError(f"{path}: made from other weights ({entry.get('weights_sha256')}) than {Path(weights).name}")
    actual = sha256(path)
    if actual != entry.get("sha256"):
        raise WeightsError(
            f"{path}: checksum mismatch (card says {entry.get('sha256')}, file is {actual}); "
            "the file is damaged or was changed — refusing to load it"
        )
    return path


@dataclass(frozen=True)
class FineTuneStart:
    """What ``copy_fitting_tensors`` took: the source and its provenance, and what did not fit."""

    weights: str  # as given: a shipped name or a path
    sha256: str
    epochs_done: int | None  # the source's training epochs (with those of its own source), from its card
    training_minutes: float | None  # the source's own, including what it was fine-tuned from
    unused: list[str]  # source tensors the model has no place for (name or shape)
    fresh: list[str]  # model tensors the source did not provide: they keep their initialisation

    def provenance(self) -> dict:
        """The card entry ``started_from`` of a fine-tuned run."""
        return {k: getattr(self, k) for k in ("weights", "sha256", "epochs_done", "training_minutes")}


def copy_fitting_tensors(model: nn.Module, weights: str | os.PathLike) -> FineTuneStart:
    """Fine-tuning's start: copy into ``model`` every tensor of the trained ``weights`` (a shipped
    name or a checked .safetensors with its card) whose name and shape fit, e.g. all but the
    full-resolution decoder level when going to ``output_stride=2``.  Refuses weights that fit less
    than half of the network, which would mostly train from scratch under a fine-tune's name."""
    path = resolve_weights(weights)
    source_model, card = load_weights(path)
    source, target = source_model.state_dict(), model.state_dict()
    fitting = {k: v for k, v in source.items() if k in target and target[k].shape == v.shape}
    taken = sum(v.numel() for v in fitting.values() if v.is_floating_point())
    total = sum(v.numel() for v in target.values() if v.is_floating_point())
    if taken < total / 2:
        raise ValueError(f"init_weights {weights}: only {taken / total:.0%} of this network's weights fit it")
    model.load_state_dict(fitting, strict=False)
    minutes = card.get("training_minutes_total", card.get("training_minutes"))
    return FineTuneStart(
        weights=str(weights),
        sha256=card["sha256"],
        epochs_done=card.get("epochs_total", card.get("epochs_done")),
        training_minutes=minutes,
        unused=sorted(source.keys() - fitting.keys()),
        fresh=sorted(target.keys() - fitting.keys()),
    )


def shipped_dir() -> Path:
    return Path(str(resources.files("msdunet") / "shipped"))


def shipped_models() -> dict[str, Path]:
    """Name → path of every weights file shipped in the package."""
    folder = shipped_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.safetensors"))}


def find_weights(weights: str | os.PathLike | None = None) -> Path:
    """``resolve_weights``, and the file and its card are there (nothing loaded, nothing hashed:
    ``load_weights`` checks the rest where the model is built); raises ``WeightsError``."""
    path = resolve_weights(weights)
    if not path.exists():
        raise WeightsError(f"{path}: no such weights file")
    read_card(path)
    return path


def older_names(name: str) -> list[str]:
    """The names a shipped model had before (files written then, e.g. under ``reports/``, use them)."""
    return [old for old, new in ALIASES.items() if new == name]


def resolve_weights(weights: str | os.PathLike | None = None) -> Path:
    """A path, a shipped model's name (or an older name of it, ``ALIASES``), or None for the default;
    raises ``WeightsError`` plainly."""
    shipped = shipped_models()
    if weights is None:
        if DEFAULT_MODEL in shipped:
            return shipped[DEFAULT_MODEL]
        if shipped:
            return next(iter(shipped.values()))
        raise WeightsError(
            "no weights are installed with this copy of msdunet; train a model (msdunet train) "
            "and pass it with --weights PATH"
        )
    name = ALIASES.get(str(weights), str(weights))
    if name in shipped:
        return shipped[name]
    return Path(weights).expanduser()
