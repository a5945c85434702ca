"""The learned blur estimator: a small CNN reads a native-resolution grey patch and answers the blur σ
across each edge direction (``msdunet.focus.sharpness.DIRECTIONS``), in px of the patch.

It stands in for the classical per-direction medians (``sharpness.patch_blur``) when a judgement is
asked for with ``estimator="learned"``; the patch grid, the edge counts that say where there is texture
and which directions vote, the subject and the verdict stay as they are (``msdunet.focus.judgement``).

The network (``BlurNet``): the patch normalised to zero mean and unit contrast, four 3×3 / 5×5
convolutions of stride 2 (16, 24, 32, 48 channels: 128² → 8²), mean and max over the positions, two
linear layers → log(σ + ``OFFSET``) per direction.  About 8 M multiply-adds per patch.  Trained on
synthetic blur of known kernels by ``msdunet.training.blur_estimator`` (``python -m lab
pixel_blur_train``), shipped as ``msdunet/shipped/focus/NAME.safetensors`` with a card holding its
sha256, checked on load.  torch is imported only when this module is.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

OFFSET = 0.2  # the network answers log(σ + OFFSET): σ = 0 stays finite, small σ keep their resolution
CHANNELS = (16, 24, 32, 48)
DEFAULT_ESTIMATOR = "blur-estimator"
BATCH = 128


class EstimatorError(RuntimeError):
    """The learned estimator's weights are missing, changed, or do not fit the network."""


class BlurNet(nn.Module):
    """Grey patches (N, 1, H, W) in [0, 1] → log(σ + OFFSET) across the four edge directions (N, 4)."""

    def __init__(self, channels: tuple[int, ...] = CHANNELS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for i, width in enumerate(channels):
            size = 5 if i == 0 else 3
            layers += [nn.Conv2d(previous, width, size, stride=2, padding=size // 2), nn.ReLU(inplace=True)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * previous, 64), nn.ReLU(inplace=True), nn.Linear(64, 4))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        mean = patches.mean(dim=(2, 3), keepdim=True)
        contrast = patches.std(dim=(2, 3), keepdim=True) + 0.02
        f = self.features((patches - mean) / contrast)
        return self.head(torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1))


def shipped_path(name: str = DEFAULT_ESTIMATOR) -> Path:
    return Path(str(resources.files("msdunet") / "shipped" / "focus")) / f"{name}.safetensors"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_net(path: str | Path | None = None) -> tuple[BlurNet, dict]:
    """The network and its card (``NAME.json`` beside the weights); the file's sha256 must be the
    card's.  ``path``: a weights file, default the shipped estimator."""
    path = shipped_path() if path is None else Path(path)
    card_file = path.with_suffix(".json")
    if not path.exists() or not card_file.exists():
        raise EstimatorError(f"{path}: the learned blur estimator's weights or card are missing")
    card = json.loads(card_file.read_text())
    if card.get("sha256") != _sha256(path):
        raise EstimatorError(f"{path}: checksum mismatch with {card_file.name}; refusing to load it")
    net = BlurNet(tuple(card["channels"]))
    try:
        net.load_state_dict(load_file(str(path)), strict=True)
    except RuntimeError as exc:
        raise EstimatorError(f"{path}: tensors do not fit the network in its card ({exc})") from exc
    return net.eval(), card


@functools.lru_cache(maxsize=2)
def _cached(path: str | None) -> BlurNet:
    return load_net(path)[0]


def learned_sigmas(patches: np.ndarray, *, weights: str | None = None) -> np.ndarray:
    """σ (px) across each edge direction, (N, 4), of grey float32 patches (N, H, W) in [0, 1]."""
    net = _cached(weights)
    out = np.empty((len(patches), 4), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(patches), BATCH):
            chunk = torch.from_numpy(np.ascontiguousarray(patches[start : start + BATCH], dtype=np.float32))
            out[start : start + BATCH] = net(chunk[:, None]).numpy()
    return np.maximum(np.exp(out) - OFFSET, 0.0)
