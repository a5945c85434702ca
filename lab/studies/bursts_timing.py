"""Part 4 of ``python -m lab bursts_study``: ``msdunet frames`` on a video of known blur per frame, and
the time ``--bursts`` adds to ``msdunet cull`` for 1000 camera-size photos.

* **Video**: ``windows`` one-second windows of 10 frames at 480 × 320 (``bursts_data.video_window``: one
  CUHK photo per window, panning, one frame sharp, the others σ 0.8–3 px), H.264 CRF 18; the pick of
  ``msdunet.detect.frames.sharpest_frames`` against the sharp frame.
* **Timing**: 12 MP JPEGs (4000 × 3000, q90, ~2–3 MB: upscaled benchmark photos with fresh sensor-like
  noise each), in bursts of 5 shots 0.2 s apart, bursts 10 s apart, each with an EXIF capture time and a
  160 × 120 EXIF thumbnail as cameras write them.  Timed: ``msdunet cull OUT --into DIR --link`` with
  and without ``--bursts`` (subprocesses, files in the OS cache), and ``find_bursts`` alone; the same
  photos without an EXIF thumbnail (the slow path: a draft decode) on a fifth of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from lab.studies.bursts_data import camera_photo, exif_bytes, video_window, write_video
from msdunet.cull import bursts
from msdunet.data.sources import dataset_samples
from msdunet.io import read_image

FPS, SIZE, CAMERA = 10, (480, 320), (4000, 3000)
BURST, SHOT_S, BETWEEN_S = 5, 0.2, 10.0


def video(data: str | None, *, windows: int) -> dict:
    from msdunet.detect.frames import sharpest_frames

    rng = np.random.default_rng(2)
    samples = dataset_samples("cuhk", "kim_test", data)
    frames, sharp, detail = [], [], []
    for w in range(windows):
        sample = samples[(w * 13) % len(samples)]
        made, index, sigmas = video_window(read_image(sample.image), frames=FPS, size=SIZE, rng=rng)
        frames += made
        sharp.append(w * FPS + index)
        detail.append(
            {"source": f"cuhk/{sample.stem}", "sharp": w * FPS + index, "sigmas": [round(s, 2) for s in sigmas]}
        )
    folder = Path(tempfile.mkdtemp(prefix="bursts-video-"))
    try:
        write_video(folder / "clip.mp4", frames, fps=FPS)
        start = time.perf_counter()
        result = sharpest_frames(folder / "clip.mp4", every=1.0, out=folder / "out")
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    picked = [p.frame_index for p in result.picks]
    for d, pick in zip(detail, result.picks, strict=False):
        d["picked"], d["picked_blur_px"] = pick.frame_index, pick.subject_blur_px
    right = sum(1 for a, b in zip(picked, sharp, strict=False) if a == b)
    return {
        "windows": windows, "fps": FPS, "size": list(SIZE), "codec": "H.264 CRF 18", "frames": result.frames,
        "right": right, "share": round(right / windows, 3), "seconds": round(seconds, 1),
        "ms_per_frame": round(1000 * seconds / max(result.frames, 1)), "windows_detail": detail,
    }  # fmt: skip


def _bases(data: str | None, count: int = 8) -> list[np.ndarray]:
    samples = dataset_samples("cuhk", "kim_test", data)
    return [np.asarray(read_image(samples[i * 11].image).resize(CAMERA, Image.BICUBIC)) for i in range(count)]


def write_photos(folder: Path, data: str | None, *, photos: int, thumbnails: bool) -> list[dict]:
    """Camera-size burst photos in ``folder`` and their report rows."""
    bases = _bases(data)
    folder.mkdir(parents=True, exist_ok=True)

    def one(i: int) -> dict:
        rng = np.random.default_rng(i)
        burst_no, shot = divmod(i, BURST)
        pixels = camera_photo(bases[burst_no % len(bases)], shift=8 * shot + 40 * (burst_no // len(bases)), rng=rng)
        seconds = burst_no * BETWEEN_S + shot * SHOT_S
        taken = time.strftime("%Y:%m:%d %H:%M:%S", time.gmtime(1_700_000_000 + int(seconds)))
        image = Image.fromarray(pixels)
        thumb = image.resize((160, 120), Image.BILINEAR) if thumbnails else None
        exif = exif_bytes(taken=taken, thumbnail=thumb)
        path = folder / f"IMG_{i:04d}.jpg"
        image.save(path, quality=90, exif=exif)
        blur = round(float(rng.uniform(0, 3)), 2)
        return {"path": str(path), "verdict": "sharp", "output": f"IMG_{i:04d}_blur.png", "subject_blur_px": blur,
                "sharp_share": 0.5, "error": ""}  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(photos)))


def _cull(out: Path, into: Path, *extra: str) -> float:
    """Seconds of ``msdunet cull OUT --into DIR --link [extra]`` in a fresh process."""
    command = [sys.executable, "-c", "from msdunet.cli.main import main; main()", "cull", str(out), "--into", str(into)]
    start = time.perf_counter()
    done = subprocess.run([*command, "--link", *extra], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return time.perf_counter() - start


def _find(rows: list[dict]) -> tuple[float, bursts.Bursts]:
    shots = [bursts.Shot(r["path"], r["subject_blur_px"], r["sharp_share"]) for r in rows]
    start = time.perf_counter()
    found = bursts.find_bursts(shots)
    return time.perf_counter() - start, found


def timing(data: str | None, *, photos: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bursts-timing-"))
    try:
        rows = write_photos(folder / "photos", data, photos=photos, thumbnails=True)
        sizes = [Path(r["path"]).stat().st_size for r in rows]
        out = folder / "out"
        out.mkdir()
        (out / "report.json").write_text(json.dumps({"rows": rows}))
        plain = _cull(out, folder / "plain")
        with_bursts = _cull(out, folder / "grouped", "--bursts")
        alone, found = _find(rows)
        slow_rows = write_photos(folder / "slow", data, photos=max(1, photos // 5), thumbnails=False)
        slow, _ = _find(slow_rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "photos": photos, "size": list(CAMERA), "mean_mb": round(float(np.mean(sizes)) / 1e6, 2),
        "cull_link_s": round(plain, 2), "cull_link_bursts_s": round(with_bursts, 2),
        "added_s": round(with_bursts - plain, 2), "find_bursts_s": round(alone, 2),
        "groups": found.groups, "expected_groups": photos // BURST,
        "no_thumbnail_photos": len(slow_rows), "no_thumbnail_s": round(slow, 2),
        "no_thumbnail_s_per_1000": round(slow * 1000 / len(slow_rows), 1),
    }  # fmt: skip


_MEASURED = """import resource, sys
from msdunet.cli.main import main
try:
    main()
finally:
    print("max_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def memory(data: str | None, *, lengths: tuple[int, ...] = (10, 60)) -> dict:
    """Peak memory of ``msdunet frames`` (a fresh process) on 720p videos of ``lengths`` seconds at 10 fps,
    judging one frame a second: a stream keeps it flat whatever the length."""
    sample = dataset_samples("cuhk", "kim_test", data)[5]
    wide = read_image(sample.image).resize((1280 + 8 * FPS * max(lengths), 720), Image.BICUBIC)
    folder = Path(tempfile.mkdtemp(prefix="bursts-memory-"))
    runs = []
    try:
        for seconds in lengths:
            frames = (wide.crop((8 * k, 0, 8 * k + 1280, 720)) for k in range(FPS * seconds))
            video_path = folder / f"clip_{seconds}s.mp4"
            write_video(video_path, frames, fps=FPS)
            command = [sys.executable, "-c", _MEASURED, "frames", str(video_path), "-o", str(folder / f"out{seconds}")]
            start = time.perf_counter()
            done = subprocess.run([*command, "--every", "5", "--judge-fps", "1"], capture_output=True, text=True)
            wall = time.perf_counter() - start
            peak = int(done.stderr.rsplit("max_rss_kb", 1)[1].split()[0])
            runs.append({"seconds": seconds, "frames": FPS * seconds, "exit": done.returncode,
                         "max_rss_mb": round(peak / 1024), "wall_s": round(wall, 1)})  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"size": [1280, 720], "fps": FPS, "every_s": 5, "judge_fps": 1, "runs": runs}
