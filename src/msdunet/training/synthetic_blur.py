"""Blur kernels with known size, and a camera's way of recording them.

Every kernel is measured the same way, as the σ of the equivalent Gaussian along its worst
direction: ``sigma_major`` = √(largest eigenvalue of the kernel's covariance), ``sigma_minor`` the
smallest.  A Gaussian of σ has both equal to σ; a disk (defocus) of radius r has r / 2; a straight
streak (shake) of length L has L / √12 and ≈ 0; a curved shake path lies between.  These are what
``msdunet.focus`` estimates and reports as ``subject_blur_px``.

``blur_through_mask`` pastes blur through an exact mask: training samples whose label is known to
the pixel (the composed-blur pack of ``python -m lab composed_blur``).

Used by the lab (pixel-blur study, sensitivity curve, synthetic bursts and videos, composed training
samples) and by tests.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage, signal

KINDS = ("gaussian", "disk", "linear", "curved")


@dataclass(frozen=True)
class Kernel:
    kind: str
    weights: np.ndarray  # (k, k), sums to 1

    @property
    def covariance(self) -> tuple[float, float, float]:
        """(c_yy, c_xx, c_xy) of the kernel's second moments, px² (y down the rows, x along them)."""
        k = self.weights
        ys, xs = np.mgrid[: k.shape[0], : k.shape[1]].astype(np.float64)
        my, mx = (k * ys).sum(), (k * xs).sum()
        return (
            float((k * (ys - my) ** 2).sum()),
            float((k * (xs - mx) ** 2).sum()),
            float((k * (ys - my) * (xs - mx)).sum()),
        )

    @property
    def sigmas(self) -> tuple[float, float]:
        """(σ_major, σ_minor) of the kernel's second moments, px."""
        cyy, cxx, cxy = self.covariance
        eig = np.linalg.eigvalsh(np.array([[cyy, cxy], [cxy, cxx]]))
        return float(np.sqrt(max(eig[1], 0.0))), float(np.sqrt(max(eig[0], 0.0)))


def _grid(radius: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float64)


def gaussian(sigma: float) -> Kernel:
    radius = max(1, int(np.ceil(4 * sigma)))
    y, x = _grid(radius)
    k = np.exp(-(x * x + y * y) / (2 * max(sigma, 1e-3) ** 2))
    return Kernel("gaussian", k / k.sum())


def _supersampled(radius: int, inside, factor: int = 8) -> np.ndarray:
    """Area coverage of ``inside(y, x)`` per pixel, sampled ``factor``² times per pixel."""
    fine = (np.arange((2 * radius + 1) * factor) + 0.5) / factor - radius - 0.5
    y, x = np.meshgrid(fine, fine, indexing="ij")
    covered = inside(y, x).astype(np.float64)
    n = 2 * radius + 1
    return covered.reshape(n, factor, n, factor).mean(axis=(1, 3))


def disk(sigma: float) -> Kernel:
    """A uniform blur circle (defocus) of radius 2σ."""
    r = 2 * sigma
    k = _supersampled(int(np.ceil(r)) + 1, lambda y, x: x * x + y * y <= r * r)
    return Kernel("disk", k / k.sum())


def _path_kernel(points: np.ndarray) -> np.ndarray:
    """A kernel drawn by a path of (y, x) points (bilinear splat, dense sampling)."""
    dense = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        steps = max(2, int(np.ceil(np.abs(b - a).max() * 8)))
        dense.append(a + (b - a) * np.linspace(0, 1, steps, endpoint=False)[:, None])
    dense.append(points[-1:])
    pts = np.concatenate(dense) - np.concatenate(dense).mean(axis=0)
    radius = int(np.ceil(np.abs(pts).max())) + 2
    k = np.zeros((2 * radius + 1, 2 * radius + 1))
    base = np.floor(pts).astype(int)
    frac = pts - base
    for dy in (0, 1):
        for dx in (0, 1):
            w = (frac[:, 0] if dy else 1 - frac[:, 0]) * (frac[:, 1] if dx else 1 - frac[:, 1])
            np.add.at(k, (base[:, 0] + dy + radius, base[:, 1] + dx + radius), w)
    return k / k.sum()


def _scaled_path(kind: str, path: np.ndarray, sigma: float) -> Kernel:
    """The path's kernel scaled so that its σ_major is ``sigma`` (the splat's own width included)."""
    for _ in range(3):
        measured = Kernel(kind, _path_kernel(path)).sigmas[0]
        path = path * (sigma / max(measured, 1e-6))
    return Kernel(kind, _path_kernel(path))


def linear(sigma: float, angle_deg: float) -> Kernel:
    """A straight streak (shake) of length ≈ σ·√12 at ``angle_deg``."""
    t = np.radians(angle_deg)
    direction = np.array([np.sin(t), np.cos(t)])
    return _scaled_path("linear", np.stack([-direction, direction]) * sigma * np.sqrt(3), sigma)


def curved(sigma: float, rng: np.random.Generator, steps: int = 12) -> Kernel:
    """A random smooth shake path, scaled so that its σ_major is ``sigma``."""
    velocity = np.cumsum(rng.normal(size=(steps, 2)), axis=0) + rng.normal(size=2) * 2
    return _scaled_path("curved", np.vstack([[0.0, 0.0], np.cumsum(velocity, axis=0)]), sigma)


def make_kernel(kind: str, sigma: float, rng: np.random.Generator) -> Kernel:
    if kind == "gaussian":
        return gaussian(sigma)
    if kind == "disk":
        return disk(sigma)
    if kind == "linear":
        return linear(sigma, float(rng.uniform(0, 180)))
    if kind == "curved":
        return curved(sigma, rng)
    raise ValueError(f"unknown kernel {kind!r}; valid: {', '.join(KINDS)}")


def blur(image: np.ndarray, kernel: Kernel) -> np.ndarray:
    """``image`` (H,W) or (H,W,C) float convolved with ``kernel`` (edges reflected)."""
    k = kernel.weights
    pad = k.shape[0] // 2
    if image.ndim == 2:
        padded = np.pad(image, pad, mode="reflect")
        return signal.fftconvolve(padded, k, mode="valid").astype(np.float32)
    return np.stack([blur(image[..., c], kernel) for c in range(image.shape[2])], axis=-1)


def blur_through_mask(image: np.ndarray, region: np.ndarray, kernel: Kernel) -> np.ndarray:
    """``image`` float (H,W,3) whose pixels inside ``region`` (H,W bool) are the image convolved with
    ``kernel`` and whose other pixels are the image's own, exactly: blur pasted through a mask."""
    return np.where(region[..., None], blur(image, kernel), image).astype(np.float32)


def shapes(side: int, seed: int = 0, supersample: int = 4) -> np.ndarray:
    """A sharp grey scene (side², float in [0, 1]) of random rectangles and ellipses, drawn
    ``supersample`` times larger and box-reduced: edges anti-aliased, nothing else blurred."""
    rng = np.random.default_rng(seed)
    big = side * supersample
    image = Image.new("L", (big, big), 128)
    draw = ImageDraw.Draw(image)
    for _ in range(side // 3):
        x, y = rng.integers(0, big, 2)
        w, h = rng.integers(big // 60, big // 6, 2)
        box = [int(x), int(y), int(x + w), int(y + h)]
        fill = int(rng.integers(0, 256))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)(box, fill=fill)
    return np.asarray(image.resize((side, side), Image.BOX), dtype=np.float32) / 255.0


def camera(
    image: np.ndarray, rng: np.random.Generator, *, noise: float, quality: int, sharpen: float = 0.0
) -> np.ndarray:
    """Sensor noise (shot + read, ≤ ``noise`` at white), then unsharp masking of ``sharpen`` (amount,
    radius 1 px; what phones do before saving), and JPEG at ``quality``: float in, float out."""
    shot = rng.normal(size=image.shape) * np.sqrt(np.clip(image, 0, 1)) * noise
    read = rng.normal(size=image.shape) * noise * 0.3
    noisy = np.clip(image + shot + read, 0, 1)
    if sharpen > 0:
        soft = ndimage.gaussian_filter(noisy, sigma=(1.0, 1.0, 0.0)[: noisy.ndim], mode="reflect")
        noisy = np.clip(noisy + sharpen * (noisy - soft), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray(np.round(noisy * 255).astype(np.uint8)).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer), dtype=np.float32) / 255.0
