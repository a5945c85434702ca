"""The one input convention shared by training and inference.

uint8 RGB (N,H,W,3) → float (N,3,H,W), scaled to [0, 1] and standardised with the ImageNet mean
and std (the paper does not say; any fixed choice works, it only has to be the same both ways).
``normalize_images`` (torch, training) and ``normalize_array`` (numpy, the ONNX engine) give the
same bits; this module imports torch only when ``normalize_images`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def normalize_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N,H,W,3) tensor → normalised float32 (N,3,H,W), channels_last in memory."""
    import torch

    x = images.permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def normalize_array(images: np.ndarray) -> np.ndarray:
    """uint8 (N,H,W,3) array → normalised float32 (N,3,H,W), C-contiguous: ``normalize_images``'
    values, bit for bit (the same float32 operations in the same order)."""
    x = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).astype(np.float32)  # planes first: contiguous below
    x /= np.float32(255.0)
    x -= np.asarray(MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    x /= np.asarray(STD, dtype=np.float32).reshape(1, 3, 1, 1)
    return x
