"""The sharpest frame of each window of a video (``msdunet frames``), streamed through PyAV.

The video is decoded frame by frame (never held whole): a frame's window is ``(t - t0) // every``
(t0 the first frame's time), and each frame is judged by ``msdunet.focus.judge_photo`` on its grey
pixels at full size: the subject's blur ``subject_blur_px`` (pixel evidence only, no network),
ties to the larger ``sharp_share``.  Only the best frame so far is kept; when a window ends it is
written as ``<video stem>_<window>.jpg`` (upright, by the stream's display rotation) and as a row of
``frames.csv``: window, time_s, frame_index (in presentation order, from 0), subject_blur_px,
sharp_share, file.  The CSV is flushed row by row, so an interrupted run keeps the windows done.

``judge_fps`` judges at most that many frames per second of video (evenly spread) when judging every
frame is too slow (~0.1–0.3 s per frame on one core, whatever the frame's size).

PyAV is the optional ``video`` extra.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from msdunet.focus import judge_photo
from msdunet.io.files import replacing

FRAMES_NAME = "frames.csv"
COLUMNS = ("window", "time_s", "frame_index", "subject_blur_px", "sharp_share", "file")
INSTALL_VIDEO = 'pip install torch==2.13.0 -e ".[video]"'
JPEG_QUALITY = 95
_IMAGE_FORMATS = ("image2",)  # FFmpeg reads a single photo as a one-frame "video": not one here


class VideoError(ValueError):
    """A video that cannot be read (or PyAV missing); the message names the file and the problem."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float  # average frame rate (0 when the file does not say)
    duration_s: float | None
    frames: int | None  # as the file says; None when unknown

    @property
    def expected_frames(self) -> int | None:
        """Frames to expect, for a progress bar: the file's count, or duration × fps."""
        if self.frames:
            return self.frames
        return round(self.duration_s * self.fps) if self.duration_s and self.fps else None


@dataclass(frozen=True)
class Pick:
    """A window's sharpest frame, as written."""

    window: int
    time_s: float
    frame_index: int
    subject_blur_px: float | None
    sharp_share: float | None
    file: str  # the JPEG's name in the output folder


@dataclass(frozen=True)
class FramesResult:
    picks: list[Pick]
    frames: int  # frames decoded
    judged: int  # of which judged
    error: str = ""  # a decoding error that ended the run early ("" when it ran to the end)


def _av():
    try:
        import av
    except ImportError as exc:
        raise VideoError(f"msdunet frames needs PyAV: {INSTALL_VIDEO} ({exc})") from exc
    return av


def _open(video: Path):
    av = _av()
    if not video.is_file():
        raise VideoError(f"{video}: {'not a file' if video.exists() else 'no such file'}")
    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"{video}: not a video FFmpeg can read ({exc})") from exc
    if container.format.name in _IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        container.close()
        raise VideoError(f"{video}: an image ({container.format.name}), not a video")
    if not container.streams.video:
        container.close()
        raise VideoError(f"{video}: no video stream (streams: {[s.type for s in container.streams]})")
    return container


def probe(video: Path) -> VideoInfo:
    """Size, frame rate, duration and frame count of ``video``; ``VideoError`` when it is none."""
    with _open(video) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return VideoInfo(
            width=stream.codec_context.width, height=stream.codec_context.height,
            fps=float(rate) if rate else 0.0, duration_s=duration, frames=stream.frames or None,
        )  # fmt: skip


@dataclass(frozen=True)
class _Best:
    """The sharpest frame of the current window so far."""

    window: int
    time_s: float
    index: int
    frame: Any  # av.VideoFrame, converted to RGB only when written
    key: tuple[bool, float, float]
    subject_blur_px: float | None
    sharp_share: float | None


def judge_frame(frame) -> tuple[tuple[bool, float, float], float | None, float | None]:
    """(sort key, subject_blur_px, sharp_share) of one decoded frame, judged on its grey pixels; the
    key sorts sharpest first, shaken frames (the streak score: their blur reads short) last."""
    grey = Image.fromarray(frame.to_ndarray(format="gray"))
    j = judge_photo(grey)
    blur = j.subject_blur_px
    return (j.shaken, math.inf if blur is None else blur, -(j.sharp_share or 0.0)), blur, j.sharp_share


@dataclass
class _Walk:
    """One run through a video: the window's best frame so far, and what has been written."""

    out: Path
    stem: str
    every: float
    judge_fps: float | None
    file: Any  # frames.csv, open
    picks: list[Pick] = field(default_factory=list)
    best: _Best | None = None
    start: float | None = None
    slot: int | None = None  # the judge_fps slot last judged
    frames: int = 0
    judged: int = 0

    def see(self, index: int, time_s: float, frame) -> None:
        """One decoded frame: ends the window before it if it starts a new one; judged when due."""
        self.frames += 1
        self.start = time_s if self.start is None else self.start
        since = time_s - self.start
        window = int(since // self.every + 1e-9)
        if self.best is not None and window != self.best.window:
            self.finish()
        slot = None if self.judge_fps is None else math.floor(since * self.judge_fps + 1e-9)
        if slot is not None and slot == self.slot and self.best is not None:
            return
        self.slot, self.judged = slot, self.judged + 1
        key, blur, share = judge_frame(frame)
        if self.best is None or key < self.best.key:
            found = {"key": key, "subject_blur_px": blur, "sharp_share": share}
            self.best = _Best(window=window, time_s=time_s, index=index, frame=frame, **found)

    def finish(self) -> None:
        """Write the current window's best frame (JPEG, then its frames.csv row)."""
        best, self.best = self.best, None
        if best is None:
            return
        name = f"{self.stem}_{best.window:04d}.jpg"
        image = best.frame.to_image()
        turn = int(getattr(best.frame, "rotation", 0) or 0)  # counter-clockwise, degrees (display matrix)
        if turn % 90 == 0 and turn % 360:
            image = image.rotate(turn, expand=True)
        with replacing(self.out / name) as tmp:
            image.save(tmp, format="JPEG", quality=JPEG_QUALITY)
        pick = Pick(
            window=best.window, time_s=round(best.time_s, 3), frame_index=best.index,
            subject_blur_px=best.subject_blur_px, sharp_share=best.sharp_share, file=name,
        )  # fmt: skip
        self.picks.append(pick)
        values = (pick.window, pick.time_s, pick.frame_index, pick.subject_blur_px, pick.sharp_share, pick.file)
        csv.writer(self.file).writerow(["" if v is None else v for v in values])
        self.file.flush()


def _frames(container, stream) -> Iterator[tuple[int, float, Any]]:
    """(index, time in s, frame) in presentation order; a frame without a timestamp is placed by the rate."""
    fps = float(stream.average_rate or 0)
    for index, frame in enumerate(container.decode(stream)):
        time_s = frame.time
        if time_s is None:
            time_s = index / fps if fps else float(index)
        yield index, float(time_s), frame


def sharpest_frames(
    video: Path,
    *,
    every: float,
    out: Path,
    judge_fps: float | None = None,
    on_frame: Callable[[], None] | None = None,
) -> FramesResult:
    """Write the sharpest frame of every ``every``-second window of ``video`` into ``out`` with
    frames.csv (see the module's docstring); ``VideoError`` when ``video`` is not a readable video."""
    if every <= 0 or (judge_fps is not None and judge_fps <= 0):
        raise ValueError(f"every and judge_fps are positive, not {every} and {judge_fps}")
    av = _av()
    container = _open(video)
    out.mkdir(parents=True, exist_ok=True)
    error = ""
    with container, open(out / FRAMES_NAME, "w", newline="") as file:
        csv.writer(file).writerow(COLUMNS)
        walk = _Walk(out=out, stem=video.stem, every=every, judge_fps=judge_fps, file=file)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for index, time_s, frame in _frames(container, stream):
                walk.see(index, time_s, frame)
                if on_frame:
                    on_frame()
        except av.error.FFmpegError as exc:
            error = f"{video}: decoding stopped after {walk.frames} frame(s) ({exc})"
        walk.finish()
    return FramesResult(walk.picks, walk.frames, walk.judged, error)
