"""The one decode every entry point shares, importable without torch.

A path, a PIL image and an array all become the same upright 8-bit RGB image at full size
(``Decoding.load``), and the network sees that image resized to the working size
(``Decoding.working_image``): so a photo gives one map however it arrived.  ``msdunet detect``
decodes in reader threads with it while torch and the model are still loading.

* Full size, not a reduced JPEG decode (Pillow ``draft``): a draft feeds the network other pixels
  than the same photo handed over as a PIL image or an array (maps differed by up to 0.46 per
  pixel), and the pixel-scale judgement (``msdunet.focus``) needs the full-size pixels anyway.
* A photo at least twice ``REDUCED_SIDE`` (and twice the working size) on its long side is first
  box-reduced by an integer factor (``Image.reduce``, to no less than that side), then resized
  bilinear: a third of the time of one bilinear pass from 24 MP, and the reduced photo is the
  overlay's base too.  Images under 3200 px (the benchmarks' photos) are resized as before, bit
  for bit; over 24 MP photos the largest and the mean change of a map are smaller than bf16
  autocast's, and no map verdict changes (reports/camera_folder.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE
from msdunet.io import read_image, to_rgb

ImageInput = str | os.PathLike | Image.Image | np.ndarray
REDUCED_SIDE = 1600  # px: the long side, at least, of a photo box-reduced before resizing (the overlay's)


def as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """PIL image or array (H,W), (H,W,1|3|4), uint8/uint16/float in [0,1] → uint8 (H,W,3)."""
    if isinstance(image, Image.Image):
        return np.asarray(to_rgb(image))
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"expected an (H,W), (H,W,3) or (H,W,4) array, got shape {array.shape}")
    if array.dtype == np.uint16:
        array = (array.astype(np.float64) / 257.0).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ValueError(f"unsupported array dtype {array.dtype}")
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 4:  # composite on white, as for RGBA files
        alpha = array[..., 3:4].astype(np.float32) / 255.0
        array = (array[..., :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(array)


def load(image: ImageInput) -> tuple[Image.Image, tuple[int, int]]:
    """Decode to upright 8-bit RGB at full size; the image and its (width, height).  A PIL image
    goes through ``to_rgb`` as a file's pixels do (no copy through an array)."""
    if isinstance(image, str | os.PathLike):
        rgb = read_image(image)
    elif isinstance(image, Image.Image):
        rgb = to_rgb(image)
    else:
        rgb = Image.fromarray(as_rgb_array(image))
    return rgb, rgb.size


@dataclass(frozen=True)
class Decoding:
    """What the network is shown: a ``working_size`` square when ``square`` (the default), else
    ``working_size`` px on the long side, aspect kept; None: native size."""

    working_size: int | None = DEFAULT_WORKING_SIZE
    square: bool = DEFAULT_SQUARE

    def working_shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) at which the network sees an image of this size."""
        if self.working_size is None:
            return width, height
        if self.square:
            return self.working_size, self.working_size
        scale = self.working_size / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))

    def load(self, image: ImageInput) -> tuple[Image.Image, tuple[int, int]]:
        return load(image)

    def reduction(self, width: int, height: int) -> int:
        """The integer factor a photo of this size is box-reduced by before resizing (1: none)."""
        if self.working_size is None:
            return 1
        floor = max(REDUCED_SIDE, 2 * max(self.working_shape(width, height)))
        return max(1, max(width, height) // floor)

    def scaled(self, rgb: Image.Image) -> Scaled:
        """The working image of ``rgb`` (full size) and ``rgb`` box-reduced (``reduction``)."""
        factor = self.reduction(*rgb.size)
        reduced = rgb if factor == 1 else rgb.reduce(factor)
        work = self.working_shape(*rgb.size)
        return Scaled(work=reduced if reduced.size == work else reduced.resize(work, Image.BILINEAR), reduced=reduced)

    def working_image(self, rgb: Image.Image) -> Image.Image:
        """``rgb`` (full size) as the network sees it: box-reduced (``reduction``), resized bilinear."""
        return self.scaled(rgb).work


@dataclass(frozen=True)
class Scaled:
    work: Image.Image  # what the network sees
    reduced: Image.Image  # the photo box-reduced, long side at least REDUCED_SIDE (or as it was)
