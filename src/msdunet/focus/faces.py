"""Faces as the subject: a portrait is sharp when the face is, whatever the background.

OpenCV's Haar cascades (the ``faces`` extra: ``opencv-python-headless``, whose wheel ships the
cascade files) find frontal faces on the photo reduced to ``DETECT_SIDE`` px, then eyes inside each
face.  The face's blur is measured at full resolution on patches covering the eyes when two are
found (what a photographer checks first), else the face's central part.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

DETECT_SIDE = 1024  # long side (px) faces are looked for at
MIN_FACE = 0.04  # smallest face side, as a share of the reduced photo's short side
EXTRA_HINT = 'face detection needs the faces extra: pip install torch==2.13.0 -e ".[faces]"'


class FacesUnavailable(RuntimeError):
    """OpenCV is not installed."""


@dataclass(frozen=True)
class Face:
    """A face's box and, where found, its eyes' boxes: (x, y, width, height) in full-size px."""

    box: tuple[int, int, int, int]
    eyes: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    def focus_points(self) -> np.ndarray:
        """Centres (x, y) to measure blur at: the eyes when two are found, else the face's middle."""
        if len(self.eyes) >= 2:
            return np.array([[x + w / 2, y + h / 2] for x, y, w, h in self.eyes[:2]], dtype=np.float64)
        x, y, w, h = self.box
        return np.array([[x + w / 2, y + h * 0.45]], dtype=np.float64)


@cache
def _cascades():
    try:
        import cv2
    except ImportError as exc:
        raise FacesUnavailable(EXTRA_HINT) from exc
    face = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    eye = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    if face.empty() or eye.empty():
        raise FacesUnavailable(f"OpenCV's Haar cascades are missing from {cv2.data.haarcascades}")
    return face, eye


def available() -> bool:
    try:
        _cascades()
    except FacesUnavailable:
        return False
    return True


def find_faces(image: Image.Image) -> list[Face]:
    """Frontal faces of ``image`` (PIL, full size), largest first; raises ``FacesUnavailable``."""
    face_cascade, eye_cascade = _cascades()
    scale = min(1.0, DETECT_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    grey = np.asarray(image.convert("L").resize(size, Image.BILINEAR) if scale < 1 else image.convert("L"))
    smallest = max(24, int(MIN_FACE * min(grey.shape)))
    boxes = face_cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6, minSize=(smallest, smallest))
    faces = []
    for x, y, w, h in boxes if len(boxes) else []:
        upper = grey[y : y + h * 3 // 5, x : x + w]
        eyes = eye_cascade.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=5, minSize=(w // 8, h // 8))
        eye_boxes = tuple(_full((x + ex, y + ey, ew, eh), scale) for ex, ey, ew, eh in (eyes if len(eyes) else []))
        faces.append(Face(box=_full((x, y, w, h), scale), eyes=eye_boxes))
    return sorted(faces, key=lambda f: f.area, reverse=True)


def _full(box, scale: float) -> tuple[int, int, int, int]:
    return tuple(int(round(v / scale)) for v in box)  # type: ignore[return-value]


@dataclass(frozen=True)
class FaceBlur:
    """The largest face's blur: raw σ (px of the full-size photo) across its worst and best edge
    direction, None when no face was found or it has no texture to judge."""

    count: int  # faces found
    box: tuple[int, int, int, int] | None = None  # the largest face's (x, y, width, height), full-size px
    major: float | None = None
    minor: float | None = None
    centre: tuple[float, float] | None = None  # the largest face's focus point, full-size px


def measure_face(image: Image.Image, *, estimator: str = "classical") -> FaceBlur:
    """Find faces, then read the largest one's blur on full-resolution patches at its focus points
    (each point and four neighbours a quarter patch away, so that the eyes' edges are in), by
    ``estimator`` (``msdunet.focus.sharpness.estimate``)."""
    from msdunet.focus.sharpness import estimate
    from msdunet.focus.tiles import TILE, Grid, patches

    found = find_faces(image)
    if not found:
        return FaceBlur(count=0)
    points = found[0].focus_points()
    shifts = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.float64) * TILE / 4
    centres = (points[:, None, :] + shifts[None, :, :]).reshape(-1, 2)
    by_direction, textured = estimate(patches(image, Grid(columns=len(centres), rows=1, centres=centres)), estimator)
    centre = tuple(float(v) for v in points.mean(axis=0))
    box = found[0].box
    if not textured.any():
        return FaceBlur(count=len(found), box=box, centre=centre)  # type: ignore[arg-type]
    by_direction = by_direction[textured]
    voted = np.array([np.median(v[np.isfinite(v)]) for v in by_direction.T if np.isfinite(v).any()])
    return FaceBlur(count=len(found), box=box, major=float(voted.max()), minor=float(voted.min()), centre=centre)  # type: ignore[arg-type]
