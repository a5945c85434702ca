"""``msdunet frames VIDEO -o DIR --every SECONDS``: the sharpest frame of each window of a video."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("frames")
@click.argument("video", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the frames (JPEG) and frames.csv (created if needed).",
)  # fmt: skip
@click.option(
    "--every", required=True, type=click.FloatRange(min=0, min_open=True),
    help="Window length in seconds: one frame is kept per window.",
)  # fmt: skip
@click.option(
    "--judge-fps", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Judge at most this many frames per second of video, evenly spread (default: every frame).",
)  # fmt: skip
def command(video: Path, out: Path, every: float, judge_fps: float | None) -> None:
    """Write the sharpest frame of every --every-second window of VIDEO to DIR as
    <video>_<window>.jpg, and DIR/frames.csv (window, time_s, frame_index, subject_blur_px,
    sharp_share, file).

    Frames are ranked by msdunet.focus.judge_photo: the subject's blur in pixels, from the frame's
    own pixels (no network), ties to the larger sharp share. The video is streamed: one frame per
    window is held, whatever its length. Judging takes ~0.1-0.3 s a frame; --judge-fps 5 judges
    5 frames a second of video.

    Needs PyAV (the video extra). Exit status: 0 done, 1 decoding stopped early (the windows before
    are written), 2 usage error, VIDEO missing or not a video.
    """
    from tqdm import tqdm

    from msdunet.detect.frames import VideoError, probe, sharpest_frames

    try:
        info = probe(video)
    except VideoError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    with tqdm(total=info.expected_frames, unit="frame", desc=video.name, disable=None) as bar:
        result = sharpest_frames(video, every=every, out=out, judge_fps=judge_fps, on_frame=bar.update)
    if result.error:
        click.echo(f"error: {result.error}", err=True)
    click.echo(
        f"{len(result.picks)} frame(s) written to {out} ({result.judged} of {result.frames} frames judged); "
        f"{out / 'frames.csv'}",
        err=True,
    )
    sys.exit(1 if result.error else 0)
