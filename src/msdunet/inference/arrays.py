"""The array steps around the network, in numpy, so that every engine shares them and the ONNX one
needs no torch: padding to the network's multiple, the tiles of a large working image, and the map
resized back to the photo.

``pad_to_multiple`` is ``msdunet.model.parts.pad_to_multiple`` (bottom/right, reflect; replicate when
too small to reflect) and ``resize_bilinear`` is ``torch.nn.functional.interpolate(mode="bilinear",
align_corners=False)`` (no antialiasing), to float rounding: tests/test_engines.py checks both
against torch.
"""

from __future__ import annotations

import numpy as np

BAND_ROWS = 256  # output rows resized at once: bounds the temporaries of a full-size (24 MP) map


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """(N,C,H,W) padded bottom/right to multiples of ``multiple``; the caller crops back."""
    h, w = image.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if not (pad_h or pad_w):
        return image
    mode = "reflect" if pad_h < h and pad_w < w else "edge"
    return np.pad(image, ((0, 0), (0, 0), (0, pad_h), (0, pad_w)), mode=mode)


def _taps(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output index along one axis: the two source indices and the second one's weight (torch's
    half-pixel rule: source = (i + 0.5)·in/out − 0.5, at least 0, computed in float32)."""
    scale = np.float32(size_in) / np.float32(size_out)
    src = (np.arange(size_out, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    src = np.maximum(src, np.float32(0.0))
    first = src.astype(np.int64)
    second = np.minimum(first + 1, size_in - 1)
    return first, second, (src - first).astype(np.float32)


def resize_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H,W) float32 → (height, width) float32, bilinear with half-pixel centres: along x, then a
    band of output rows at a time along y (a 24 MP map needs no full-size temporaries)."""
    image = np.asarray(image, dtype=np.float32)
    if image.shape == (height, width):
        return image.copy()
    y0, y1, wy = _taps(image.shape[0], height)
    x0, x1, wx = _taps(image.shape[1], width)
    across = image[:, x0] * (1 - wx) + image[:, x1] * wx  # along x first, each source row once
    out = np.empty((height, width), dtype=np.float32)
    for top in range(0, height, BAND_ROWS):
        rows = slice(top, top + BAND_ROWS)
        upper, lower = across[y0[rows]], across[y1[rows]]
        upper *= 1 - wy[rows, None]
        lower *= wy[rows, None]
        np.add(upper, lower, out=out[rows])
    return out


def resized_map(prob: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A working-size map of P(blurred) resized (``resize_bilinear``) to ``size`` (width, height) and
    clipped to [0, 1], float32 (in place: no second full-size map)."""
    width, height = size
    if prob.shape != (height, width):
        prob = resize_bilinear(prob, height, width)
    return np.clip(prob, 0.0, 1.0, out=prob).astype(np.float32, copy=False)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Where the tiles of a side of ``length`` px start, ``overlap`` px shared between neighbours."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


def ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    """1-D blending weight: rises over ``overlap`` pixels except at the image border."""
    w = np.ones(length, dtype=np.float32)
    r = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    if not at_start:
        w[:overlap] = np.minimum(w[:overlap], r)
    if not at_end:
        w[-overlap:] = np.minimum(w[-overlap:], r[::-1])
    return w
