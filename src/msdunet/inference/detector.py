"""``BlurDetector``: build once, call on many images; path / PIL / numpy in, float32 map out.

Scale policy.  The network was trained on whole images resized to 256×256, so it judges blur
relative to the image, not to the pixel grid.  Real photos behave the same way: a 24 MP photo of a
scene has the same blur *relative to the frame* as a 1 MP photo of it, only spread over more
pixels.  So every image is resized to a working resolution and the map is resized back:

* ``working_size`` (default ``DEFAULT_WORKING_SIZE``, 256) and ``square`` (default
  ``DEFAULT_SQUARE``): a 256×256 working image whatever the aspect, as the model was trained and as
  the paper evaluates (``BlurDetector.paper_protocol()``); it scored best of eight geometries off
  the test splits (reports/geometry.md).  ``square=False``: ``working_size`` is the long side, aspect
  kept;
* ``working_size=None``: native resolution (no resize), for images already at the model's scale;
* working images larger than ``tile`` pixels on a side are processed in overlapping tiles
  (``tile_overlap``), blended with a linear ramp so that seams do not show; memory stays bounded
  whatever the input size;
* photos are decoded at full size, then resized, by one decode shared by paths, PIL images and
  arrays (``msdunet.inference.decoding``, torch-free): a reduced JPEG decode (Pillow draft) feeds
  the network other pixels, so a path and the same photo as a PIL image gave maps that differed by
  up to 0.46 per pixel; decoding a 24 MP JPEG in full costs about 0.13 s more than at 1/8 scale.

Engine (``backend``, ``msdunet.inference.engines``): ``"auto"`` runs the default model's shipped ONNX
graph with onnxruntime, fp32, without importing torch; other weights, in-memory models and
``bf16=True`` run on PyTorch (``torch_engine``: bf16 autocast by default on CPUs with native bf16,
fp32 elsewhere).  Both give the same maps within bf16's tolerance and the same test scores
(reports/engines.md).  Everything around the network is numpy (``arrays``), shared by both.

The map is P(blurred) from the softmax, upsampled bilinearly to the input's own size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.focus import FocusJudgement, FocusSummary, JudgeOptions, judge_photo, summarize_focus
from msdunet.inference.arrays import ramp, resized_map, tile_starts
from msdunet.inference.decoding import Decoding, ImageInput, as_rgb_array
from msdunet.inference.engines import build_engine
from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE, PAPER_WORKING_SIZE
from msdunet.inference.threads import idle_cores
from msdunet.io import ImageReadError
from msdunet.model.config import ModelConfig
from msdunet.model.preprocess import normalize_array
from msdunet.model.weights import find_weights, read_card

DEFAULT_TILE = 768
DEFAULT_OVERLAP = 64


class BlurDetector:
    """Per-pixel blur detection with a trained MSDU-net.

    >>> detector = BlurDetector()                # shipped weights
    >>> blur = detector("photo.jpg")             # float32 (H, W), 1 = blurred
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        *,
        working_size: int | None = DEFAULT_WORKING_SIZE,
        square: bool = DEFAULT_SQUARE,
        tile: int = DEFAULT_TILE,
        tile_overlap: int = DEFAULT_OVERLAP,
        threads: int | None = None,
        bf16: bool | None = None,
        backend: str = "auto",
        model=None,
        flip_tta: bool = False,
        fold_batchnorm: bool = True,
    ) -> None:
        if tile_overlap * 2 >= tile:
            raise ValueError("tile_overlap must be less than half the tile size")
        if model is None:
            self.weights_path = find_weights(weights)  # there, with its card: else WeightsError
            self.card = read_card(self.weights_path)
        else:  # an in-memory nn.Module (a BlurNet): the torch engine
            self.weights_path, self.card = None, {"config": model.config.to_dict()}
        self.engine = build_engine(
            self.weights_path, self.card, backend=backend, threads=threads, bf16=bf16, model=model, fold=fold_batchnorm
        )
        self.backend, self.bf16 = self.engine.backend, self.engine.bf16
        self.working_size, self.square = working_size, square
        self.decoding = Decoding(working_size, square)
        self.tile, self.tile_overlap = tile, tile_overlap
        self.flip_tta = flip_tta

    @property
    def model(self):
        """The PyTorch model (the torch engine only; ``backend="torch"`` to have one)."""
        model = getattr(self.engine, "model", None)
        if model is None:
            raise AttributeError(f"the {self.backend} engine holds no PyTorch model; use backend='torch'")
        return model

    @classmethod
    def paper_protocol(cls, weights: str | os.PathLike | None = None, **kwargs) -> BlurDetector:
        """The paper's evaluation protocol: every image resized to a ``PAPER_WORKING_SIZE`` square
        whatever its aspect; ``kwargs`` as for the constructor (``bf16``, ``flip_tta``, ...)."""
        return cls(weights, working_size=PAPER_WORKING_SIZE, square=True, **kwargs)

    def __call__(self, image: ImageInput) -> np.ndarray:
        return self.predict(image)

    def ready(self) -> BlurDetector:
        """Itself: built already (``msdunet.inference.loading.LoadingDetector`` waits here)."""
        return self

    def working_shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) at which the network sees an image of this size."""
        return self.decoding.working_shape(width, height)

    def load(self, image: ImageInput) -> tuple[Image.Image, tuple[int, int]]:
        """Decode to upright 8-bit RGB at full size; returns the image and its (width, height).

        Paths, PIL images and arrays all take this route (``decoding.load``), so one photo gives one map."""
        return self.decoding.load(image)

    def working_image(self, rgb: Image.Image) -> Image.Image:
        """``rgb`` (full size) as the network sees it (``decoding.working_image``: box-reduced when
        large, resized bilinear); ``map_for`` takes it as it is."""
        return self.decoding.working_image(rgb)

    def map_for(
        self, rgb: Image.Image, size: tuple[int, int], *, map_size: tuple[int, int] | None = None
    ) -> np.ndarray:
        """P(blurred) for a decoded image (full size, or already ``working_image``) of ``size`` (the
        photo's width, height), as a float32 map of ``map_size`` (default ``size``), bilinear."""
        return resized_map(self.working_probability(rgb, size), map_size or size)

    def working_probability(self, rgb: Image.Image, size: tuple[int, int]) -> np.ndarray:
        """The network's P(blurred) at the working size, before ``resized_map`` (``map_for`` is the
        two; ``msdunet detect`` runs the second on its writer thread, off the network's)."""
        if rgb.size != self.working_shape(*size):
            rgb = self.working_image(rgb)
        return self.probability(np.asarray(rgb))

    def probability(self, rgb: np.ndarray) -> np.ndarray:
        """P(blurred) for a working image (uint8 H,W,3), tiled when larger than ``tile``."""
        h, w = rgb.shape[:2]
        if h <= self.tile and w <= self.tile:
            return self._forward(rgb)
        out = np.zeros((h, w), dtype=np.float32)
        weight = np.zeros((h, w), dtype=np.float32)
        t, o = self.tile, self.tile_overlap
        ys, xs = tile_starts(h, t, o), tile_starts(w, t, o)
        for y in ys:
            for x in xs:
                crop = rgb[y : y + t, x : x + t]
                ch, cw = crop.shape[:2]
                wy = ramp(ch, o, y == 0, y + ch >= h)
                wx = ramp(cw, o, x == 0, x + cw >= w)
                window = wy[:, None] * wx[None, :]
                out[y : y + ch, x : x + cw] += self._forward(crop) * window
                weight[y : y + ch, x : x + cw] += window
        return out / weight

    def _forward(self, rgb: np.ndarray) -> np.ndarray:
        """P(blurred) of one working image; with ``flip_tta`` the mean over it and its mirror image."""
        x = normalize_array(np.asarray(rgb)[None])
        if self.flip_tta:
            x = np.concatenate([x, x[..., ::-1]])
        prob = self.engine.probability(x)
        if self.flip_tta:
            return (prob[0] + prob[1][:, ::-1]) / 2
        return prob[0]

    def predict(self, image: ImageInput) -> np.ndarray:
        """float32 (H, W) map in [0, 1] at the input's own size; 1 = blurred."""
        return self.map_for(*self.load(image))

    def analyse(
        self,
        image: ImageInput,
        *,
        judge_at: int | None = None,
        limit_px: float | None = None,
        faces: bool = False,
        estimator: str | None = None,
        streaks: bool = True,
    ) -> Analysis:
        """The map, its summary (where is it sharp) and the photographer's verdict, from one decode.

        ``judge_at``: the long side (px) the photo will be seen at, None for 100 %; ``limit_px``:
        the largest σ (px at that size) still sharp (default: the estimator's fitted limit);
        ``faces``: judge the largest face when there is one (the ``faces`` extra); ``estimator``:
        ``classical`` or ``learned`` (default ``msdunet.focus.limits.ESTIMATOR``); ``streaks``
        (default on, as detect's): reject a long shake found by the streak score too."""
        rgb, size = self.load(image)
        chosen = {"estimator": estimator} if estimator is not None else {}
        options = JudgeOptions(judge_at=judge_at, limit_px=limit_px, faces=faces, streaks=streaks, **chosen)
        blur = self.map_for(rgb, size)
        summary = summarize_focus(blur)
        return Analysis(blur, summary, judge_photo(rgb, options=options, map_verdict=summary.verdict))

    def judge(self, image: ImageInput, **judging) -> FocusJudgement:
        """Would a photographer keep it?  ``judgement.verdict``, ``subject_blur_px`` (σ in px of the
        full-size photo), ``blur_kind``; the keywords are ``analyse``'s (judge_at, limit_px, faces,
        estimator, streaks)."""
        return self.analyse(image, **judging).judgement


@dataclass(frozen=True)
class Analysis:
    blur: np.ndarray  # float32 (H, W) P(blurred) at the photo's size
    summary: FocusSummary  # the map's: sharp fraction, largest sharp region
    judgement: FocusJudgement  # the verdict, from pixel-scale evidence at full resolution


__all__ = ["Analysis", "BlurDetector", "ImageReadError", "as_rgb_array", "idle_cores"]


def describe(detector: BlurDetector) -> str:
    """One line: the file that runs (the weights, or their ONNX graph), the architecture, the engine."""
    path = getattr(detector.engine, "path", None) or detector.weights_path
    where = Path(path).name if path else "in-memory model"
    precision = "bf16" if detector.bf16 else "fp32"
    return f"{where} ({ModelConfig.from_dict(detector.card['config']).describe()}, {detector.backend} {precision})"
