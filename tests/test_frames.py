"""``msdunet frames``: the sharpest frame of each window of a video made here with PyAV, frames.csv,
judging fewer frames, and the errors a user meets (no such file, not a video)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from .conftest import invoke
from .test_bursts import scene

av = pytest.importorskip("av")

FPS = 5
WINDOWS = 3


def write_video(path: Path, frames: list[Image.Image], fps: int = FPS) -> None:
    """An H.264 (or MPEG-4 Part 2) file of ``frames``, one every 1/fps s."""
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "16"} if codec == "libx264" else {"qscale": "2"}
        for image in frames:
            frame = av.VideoFrame.from_image(image.convert("RGB"))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> tuple[Path, list[int]]:
    """WINDOWS one-second windows of FPS frames; in each, one sharp frame among blurred ones."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("video")
    frames, sharpest = [], []
    for window in range(WINDOWS):
        base = scene(20 + window, size=(256, 192)).crop((16, 16, 272, 208))
        sharp = int(rng.integers(FPS))
        sharpest.append(window * FPS + sharp)
        for k in range(FPS):
            frames.append(base if k == sharp else base.filter(ImageFilter.GaussianBlur(1.5 + k % 3)))
    path = folder / "clip.mp4"
    write_video(path, frames)
    return path, sharpest


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_frames_picks_the_sharp_frame_of_each_window(video, tmp_path):
    path, sharpest = video
    result = invoke(["frames", path, "-o", tmp_path / "out", "--every", "1"])
    assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "out" / "frames.csv")
    assert list(rows[0])[:4] == ["window", "time_s", "frame_index", "subject_blur_px"]
    assert [int(r["window"]) for r in rows] == list(range(WINDOWS))
    assert [int(r["frame_index"]) for r in rows] == sharpest
    assert [float(r["time_s"]) for r in rows] == pytest.approx([i / FPS for i in sharpest])
    for row in rows:
        with Image.open(tmp_path / "out" / row["file"]) as image:
            assert image.format == "JPEG" and image.size == (256, 192)
    assert f"{WINDOWS} frame(s) written" in result.stderr


def test_judge_fps_judges_fewer_frames(video, tmp_path):
    from msdunet.detect.frames import sharpest_frames

    path, _ = video
    result = sharpest_frames(path, every=1.0, out=tmp_path / "out", judge_fps=2)
    assert result.frames == WINDOWS * FPS and result.judged == WINDOWS * 2
    assert len(result.picks) == WINDOWS


def test_a_long_window_keeps_one_frame(video, tmp_path):
    path, _ = video
    assert invoke(["frames", path, "-o", tmp_path, "--every", "60", "--judge-fps", "1"]).exit_code == 0
    rows = read_rows(tmp_path / "frames.csv")
    assert len(rows) == 1 and int(rows[0]["window"]) == 0


def write_sound(path: Path) -> None:
    """A WAV of 0.1 s of silence: a media file without a video stream."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())


@pytest.mark.parametrize("kind", ["missing", "text", "photo", "folder", "sound"])
def test_not_a_video_exits_2_naming_the_file(tmp_path, kind):
    names = {"missing": "nope.mp4", "text": "notes.mp4", "photo": "photo.jpg", "folder": "dir.mp4", "sound": "a.wav"}
    path = tmp_path / names[kind]
    if kind == "sound":
        write_sound(path)
    elif kind == "text":
        path.write_text("not a video at all\n" * 50)
    elif kind == "photo":
        scene(1).save(path)
    elif kind == "folder":
        path.mkdir()
    result = invoke(["frames", path, "-o", tmp_path / "out", "--every", "1"])
    assert result.exit_code == 2
    assert str(path) in result.output or path.name in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_every_must_be_positive(video, tmp_path):
    assert invoke(["frames", video[0], "-o", tmp_path, "--every", "0"]).exit_code == 2
    assert invoke(["frames", video[0], "-o", tmp_path, "--every", "1", "--judge-fps", "0"]).exit_code == 2
