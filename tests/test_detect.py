"""``msdunet detect`` end to end on files the test makes, including a corpus of bad ones."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msdunet.focus import classify
from msdunet.focus.limits import STREAK_BELOW

from .conftest import half_blurred, invoke, textured


def run(args):
    return invoke(args, catch_exceptions=False)


def rows(out):
    with open(out / "report.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture()
def bad_corpus(photo_dir):
    """Three good photos plus every kind of bad file, all named as images."""
    (photo_dir / "empty.jpg").write_bytes(b"")
    (photo_dir / "text.jpg").write_text("this is not an image")
    good = (photo_dir / "a.jpg").read_bytes()
    (photo_dir / "truncated.jpg").write_bytes(good[: len(good) // 3])
    corrupt = bytearray(good)
    corrupt[200:600] = bytes(400)
    (photo_dir / "corrupt.jpg").write_bytes(bytes(corrupt))
    (photo_dir / "header_only.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return photo_dir


def test_bad_files_are_reported_and_good_ones_processed(bad_corpus, tmp_path, tiny_weights):
    files = sorted(bad_corpus.iterdir())
    out = tmp_path / "out"
    result = run(["detect", *map(str, files), "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert result.exit_code == 1
    report = {r["path"].split("/")[-1]: r for r in rows(out)}
    assert len(report) == len(files)
    for name in ("a.jpg", "b.png", "c.webp"):
        assert report[name]["error"] == "" and report[name]["verdict"]
        stem = name.split(".")[0]
        assert (out / f"{stem}_blur.png").exists() and (out / f"{stem}_overlay.jpg").exists()
    for name in ("empty.jpg", "text.jpg", "truncated.jpg", "header_only.png"):
        assert name in report[name]["error"], report[name]
        assert name in result.stderr
    assert "empty" in report["empty.jpg"]["error"]
    summary = json.loads((out / "report.json").read_text())
    assert summary["images"] == len(files) and summary["failed"] >= 4


def test_broken_photos_inside_folders_get_rows_and_other_files_are_counted(bad_corpus, tmp_path, tiny_weights):
    (bad_corpus / "notes.txt").write_text("not a photo")
    (bad_corpus / "data.bin").write_bytes(bytes(64))
    (bad_corpus / "raw.NEF").write_bytes(bytes(64))  # a RAW photo Pillow cannot read
    Image.fromarray(textured(16, 16)).save(bad_corpus / "photo.dat", format="PNG")  # a photo by content
    out = tmp_path / "out"
    result = run(["detect", str(bad_corpus), "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert result.exit_code == 1
    report = {Path(r["path"]).name: r for r in rows(out)}
    assert set(report) == {
        "a.jpg",
        "b.png",
        "c.webp",
        "photo.dat",
        "empty.jpg",
        "text.jpg",
        "truncated.jpg",
        "corrupt.jpg",
        "header_only.png",
        "raw.NEF",
    }
    for name in ("a.jpg", "b.png", "c.webp", "photo.dat"):
        assert report[name]["error"] == "", report[name]
    for name in ("empty.jpg", "text.jpg", "truncated.jpg", "header_only.png", "raw.NEF"):
        assert name in report[name]["error"] and report[name]["output"] == "", report[name]
    assert "skipped 2 files that are not images" in result.stderr


def test_folder_outputs_and_report(photo_dir, tmp_path, tiny_weights):
    (photo_dir / "notes.txt").write_text("skipped: not an image")
    out = tmp_path / "out"
    result = run(["detect", str(photo_dir), "-o", str(out), "--weights", str(tiny_weights), "--no-overlay"])
    assert result.exit_code == 0, result.output
    report = rows(out)
    assert [r["path"].split("/")[-1] for r in report] == ["a.jpg", "b.png", "c.webp"]
    blur = np.asarray(Image.open(out / "c_blur.png"))
    assert blur.shape == (70, 50) and blur.dtype == np.uint8
    assert not list(out.glob("*_overlay.jpg"))
    row = report[2]
    assert int(row["width"]) == 50 and int(row["height"]) == 70
    assert float(row["blurred_fraction"]) == pytest.approx(np.mean(blur >= 127.5), abs=0.02)
    assert float(row["sharp_fraction"]) == pytest.approx(1 - float(row["blurred_fraction"]), abs=1e-4)
    assert row["verdict"] == classify(float(row["sharp_fraction"]), float(row["subject_share"]))


def test_skip_existing_recomputes_a_damaged_map_and_keeps_the_verdicts(photo_dir, tmp_path, tiny_weights):
    out = tmp_path / "out"
    args = ["detect", str(photo_dir), "-o", str(out), "--weights", str(tiny_weights), "-q"]
    assert run(args).exit_code == 0
    first = {r["path"]: r for r in rows(out)}
    good = np.asarray(Image.open(out / "a_blur.png"))
    data = (out / "a_blur.png").read_bytes()
    (out / "a_blur.png").write_bytes(data[: len(data) // 2])  # truncated by an earlier crash
    result = run(args + ["--skip-existing"])
    assert result.exit_code == 0, result.output
    second = {r["path"]: r for r in rows(out)}
    assert list(second) == list(first)
    for path, r in first.items():  # a resumed row says what a fresh one did
        for key in ("width", "height", "mean_blur", "blurred_fraction", "verdict", "error", "output"):
            assert second[path][key] == r[key], (path, key)
    assert [r["reused"] for r in second.values()] == ["False", "True", "True"]  # a.jpg computed again
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a_blur.png")), good)


def test_skip_existing_takes_finished_rows_from_the_report_without_decoding(
    photo_dir, tmp_path, tiny_weights, monkeypatch
):
    """A resumed folder costs no decode for photos done: their rows come from report.json as written;
    a photo changed since, or a report written with other settings, is judged again."""
    from msdunet.focus import JudgeOptions

    out = tmp_path / "out"
    args = ["detect", str(photo_dir), "-o", str(out), "--weights", str(tiny_weights), "-q"]
    assert run(args).exit_code == 0
    first = {r["path"]: r for r in rows(out)}
    judged = []
    measure = JudgeOptions.measure  # what detect's steps measure a photo with
    monkeypatch.setattr(JudgeOptions, "measure", lambda self, image: judged.append(1) or measure(self, image))
    assert run(args + ["--skip-existing"]).exit_code == 0
    second = {r["path"]: r for r in rows(out)}
    assert judged == [] and [r["reused"] for r in second.values()] == ["True"] * 3
    for path, r in first.items():
        assert {k: v for k, v in second[path].items() if k not in ("ms", "reused")} == {
            k: v for k, v in r.items() if k not in ("ms", "reused")
        }
    later = (out / "report.json").stat().st_mtime + 5
    os.utime(photo_dir / "b.png", (later, later))  # changed after the report: judged again
    assert run(args + ["--skip-existing"]).exit_code == 0
    assert len(judged) == 1 and [r["reused"] for r in rows(out)] == ["True"] * 3
    assert run(args + ["--skip-existing", "--judge-at", "800"]).exit_code == 0  # other settings: all judged
    assert len(judged) == 4
    report = json.loads((out / "report.json").read_text())  # as written before the streak rule existed
    del report["resume"]["streak_below"]
    (out / "report.json").write_text(json.dumps(report))
    assert run(args + ["--skip-existing", "--judge-at", "800"]).exit_code == 0
    assert len(judged) == 7


def test_a_failed_write_is_an_error_in_that_row(photo_dir, tmp_path, tiny_weights, monkeypatch):
    """Disk full while writing b's outputs: b's row says so, by name; no extra rows; no temp files left."""
    write_bytes = Path.write_bytes  # outputs are encoded in memory, then written as bytes

    def disk_full_for_b(self, data):
        if "b_blur" in self.name or "b_overlay" in self.name:
            raise OSError(28, "No space left on device")
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full_for_b)
    out = tmp_path / "out"
    result = run(["detect", str(photo_dir), "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert result.exit_code == 1
    report = {Path(r["path"]).name: r for r in rows(out)}
    assert list(report) == ["a.jpg", "b.png", "c.webp"]
    assert report["a.jpg"]["error"] == report["c.webp"]["error"] == ""
    assert "b.png" in report["b.png"]["error"] and "No space left on device" in report["b.png"]["error"]
    assert report["b.png"]["output"] == "" and report["b.png"]["verdict"] == ""
    assert "b.png" in result.stderr
    summary = json.loads((out / "report.json").read_text())
    assert summary["images"] == 3 and summary["failed"] == 1 and len(summary["rows"]) == 3
    written = sorted(p.name for p in out.iterdir())
    assert written == ["a_blur.png", "a_overlay.jpg", "c_blur.png", "c_overlay.jpg", "report.csv", "report.json"]


def test_ctrl_c_exits_130_with_a_report_of_the_rows_done(photo_dir, tmp_path, tiny_weights, monkeypatch):
    from msdunet.inference.detector import BlurDetector

    network, calls = BlurDetector.working_probability, []

    def interrupted_on_the_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return network(self, *args, **kwargs)

    monkeypatch.setattr(BlurDetector, "working_probability", interrupted_on_the_second)
    out = tmp_path / "out"
    result = run(["detect", str(photo_dir), "-o", str(out), "--weights", str(tiny_weights), "-q"])
    assert result.exit_code == 130 and "interrupted: 1 of 3 image(s) done" in result.stderr
    summary = json.loads((out / "report.json").read_text())
    assert summary["interrupted"] is True and summary["planned"] == 3 and summary["images"] == 1
    assert summary["rows"][0]["path"].endswith("a.jpg") and summary["rows"][0]["error"] == ""
    assert (out / "a_blur.png").exists() and len(rows(out)) == 1


def test_same_stem_twice_and_recursive(tmp_path, tiny_weights):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(textured(32, 32)).save(src / "x.png")
    Image.fromarray(textured(32, 32, 1)).save(src / "x.jpg")
    Image.fromarray(textured(32, 32, 2)).save(src / "sub" / "y.png")
    out = tmp_path / "out"
    assert run(["detect", str(src), "-r", "-o", str(out), "--weights", str(tiny_weights), "-q"]).exit_code == 0
    maps = {p.relative_to(out).as_posix() for p in out.rglob("*_blur.png")}
    assert maps == {"x_blur.png", "x_png_blur.png", "sub/y_blur.png"}


def test_outputs_mirror_the_input_tree_and_the_report_names_each_map(tmp_path, tiny_weights):
    """Cameras reuse names: coll/{a,b,c}/IMG_0001.jpg must give three maps, each named in its row."""
    coll = tmp_path / "coll"
    for i, sub in enumerate("abc"):
        (coll / sub).mkdir(parents=True)
        Image.fromarray(textured(30 + 4 * i, 24, seed=i)).save(coll / sub / "IMG_0001.jpg")
    Image.fromarray(textured(50, 24, seed=5)).save(coll / "a" / "IMG_0001.png")  # same folder, same stem
    Image.fromarray(textured(54, 24, seed=6)).save(tmp_path / "IMG_0001.jpg")  # named directly: top of OUT
    out = tmp_path / "out"
    result = run(
        [
            "detect",
            str(coll),
            str(tmp_path / "IMG_0001.jpg"),
            "-r",
            "-o",
            str(out),
            "--weights",
            str(tiny_weights),
            "-q",
        ]
    )
    assert result.exit_code == 0, result.output
    report = rows(out)
    outputs = {Path(r["path"]).relative_to(tmp_path).as_posix(): r["output"] for r in report}
    assert outputs == {
        "coll/a/IMG_0001.jpg": "a/IMG_0001_blur.png",
        "coll/a/IMG_0001.png": "a/IMG_0001_png_blur.png",
        "coll/b/IMG_0001.jpg": "b/IMG_0001_blur.png",
        "coll/c/IMG_0001.jpg": "c/IMG_0001_blur.png",
        "IMG_0001.jpg": "IMG_0001_blur.png",
    }
    for r in report:  # each map is its own photo's: same size, overlay beside it
        assert Image.open(out / r["output"]).size == Image.open(r["path"]).size
        assert (out / r["output"].replace("_blur.png", "_overlay.jpg")).exists()
    assert len(list(out.rglob("*_blur.png"))) == 5
    assert [r["output"] for r in json.loads((out / "report.json").read_text())["rows"]] == [r["output"] for r in report]


def test_no_images_and_bad_weights_exit_2(tmp_path, tiny_weights):
    (tmp_path / "empty").mkdir()
    assert run(["detect", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]).exit_code == 2
    Image.fromarray(textured(8, 8)).save(tmp_path / "p.png")
    result = run(["detect", str(tmp_path / "p.png"), "-o", str(tmp_path / "o"), "--weights", str(tmp_path / "w.st")])
    assert result.exit_code == 2 and "no such weights file" in result.stderr


def test_version_does_not_import_torch():
    code = (
        "import sys; from msdunet.cli.main import main; sys.argv=['msdunet','--version']\n"
        "try:\n main()\nexcept SystemExit: pass\nassert 'torch' not in sys.modules, 'torch imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "0." in done.stdout
    module = subprocess.run([sys.executable, "-m", "msdunet", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "detect" in module.stdout


def test_sequential_and_threaded_runs_agree(photo_dir, tmp_path, tiny_weights):
    from msdunet.detect import run_batch
    from msdunet.inference.detector import BlurDetector
    from msdunet.io import find_images

    detector = BlurDetector(tiny_weights, working_size=64)
    files = list(find_images([photo_dir]))
    a = run_batch(detector, files, tmp_path / "seq", workers=0)
    b = run_batch(detector, files, tmp_path / "par", workers=2)
    assert [(r.path, r.blurred_fraction) for r in a] == [(r.path, r.blurred_fraction) for r in b]
    for name in ("a_blur.png", "b_blur.png", "c_blur.png"):
        assert (tmp_path / "seq" / name).read_bytes() == (tmp_path / "par" / name).read_bytes()


@pytest.mark.skipif(sys.platform != "linux", reason="a thread has its own niceness on Linux only")
def test_decode_and_write_threads_yield_to_the_network():
    """The readers and the writer run nicer than the thread that runs the network (which the run's
    pace waits on for small photos); the calling thread keeps its own niceness."""
    import threading

    from msdunet.detect import run as engine

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    own = niceness()
    pool = engine._pool(2)
    try:
        helper = pool.submit(niceness).result()
    finally:
        pool.shutdown()
    assert helper == min(19, own + engine.HELPER_NICENESS)
    assert niceness() == own


def test_blas_runs_on_one_thread_while_a_batch_runs(photo_dir, tmp_path, tiny_weights, monkeypatch):
    """NumPy's BLAS threads would spin beside the run's own (the judgement's small products): one
    thread during the run, its own count again after."""
    from threadpoolctl import threadpool_info

    from msdunet.detect import run_batch, step
    from msdunet.inference.detector import BlurDetector
    from msdunet.io import find_images

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    decode, seen = step.decode, []

    def decode_and_look(*args, **kwargs):
        seen.append(blas_threads())
        return decode(*args, **kwargs)

    monkeypatch.setattr(step, "decode", decode_and_look)
    before = blas_threads()
    if not before:
        pytest.skip("threadpoolctl finds no BLAS under NumPy here")
    run_batch(BlurDetector(tiny_weights, working_size=64), list(find_images([photo_dir])), tmp_path, workers=2)
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert blas_threads() == before


def test_missing_input_is_a_usage_error_and_creates_nothing(photo_dir, tmp_path, tiny_weights):
    out = tmp_path / "out"
    result = run(
        [
            "detect",
            str(photo_dir / "a.jpg"),
            str(photo_dir / "gone.jpg"),
            "-o",
            str(out),
            "--weights",
            str(tiny_weights),
            "-q",
        ]
    )
    assert result.exit_code == 2 and "gone.jpg" in result.stderr
    assert not out.exists()


def test_unwritable_output_folder_is_one_clear_line(photo_dir, tmp_path, tiny_weights):
    (tmp_path / "file").write_text("a file, not a folder")
    result = invoke(
        ["detect", str(photo_dir), "-o", str(tmp_path / "file" / "out"), "--weights", str(tiny_weights), "-q"]
    )  # catch_exceptions: a traceback would show here
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "cannot write to output folder" in result.stderr
    )
    assert "Traceback" not in result.output


def test_max_pixels_refuses_big_photos_by_name_and_can_be_raised(tmp_path, tiny_weights, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after the test
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(textured(40, 30)).save(src / "small.png")  # 1 200 px
    Image.fromarray(textured(80, 60)).save(src / "over.png")  # 4 800 px: over the limit (Pillow warns)
    Image.fromarray(textured(120, 90)).save(src / "far_over.png")  # 10 800 px: over twice the limit (Pillow errors)
    out = tmp_path / "out"
    args = ["detect", str(src), "-o", str(out), "--weights", str(tiny_weights), "-q"]
    result = run(args + ["--max-pixels", "4000"])
    assert result.exit_code == 1
    report = {Path(r["path"]).name: r for r in rows(out)}
    assert report["small.png"]["error"] == ""
    for name in ("over.png", "far_over.png"):
        assert name in report[name]["error"] and "--max-pixels" in report[name]["error"]
        assert not (out / name.replace(".png", "_blur.png")).exists()
    assert "DecompressionBomb" not in result.output
    assert run(args + ["--max-pixels", "20000"]).exit_code == 0


def test_one_photo_one_map_whatever_the_route(tmp_path, tiny_weights):
    """A JPEG larger than the working size gives the same map from a path, from a PIL image, and
    from detect with and without --no-overlay (the overlay used to need a larger decode)."""
    from msdunet.inference.detector import BlurDetector
    from msdunet.scoring.metrics import to_uint8_map

    image, _ = half_blurred(640, 480, seed=5)
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "big.jpg"
    image.save(path, quality=95)
    detector = BlurDetector(tiny_weights, working_size=64)
    from_path = to_uint8_map(detector(path)).astype(int)
    assert np.abs(to_uint8_map(detector(Image.open(path))).astype(int) - from_path).max() <= 1
    for flags in ([], ["--no-overlay"]):
        out = tmp_path / f"out{len(flags)}"
        args = ["detect", str(path), "-o", str(out), "--weights", str(tiny_weights), "--working-size", "64", "-q"]
        assert run(args + flags).exit_code == 0
        written = np.asarray(Image.open(out / "big_blur.png")).astype(int)
        assert np.abs(written - from_path).max() <= 1, flags


def test_overlay_takes_float_and_8bit_maps_alike():
    from msdunet.detect.outputs import overlay

    photo = Image.fromarray(textured(40, 30))
    ramp = np.tile(np.linspace(0, 1, 40, dtype=np.float32), (30, 1))
    from_float = np.asarray(overlay(photo, ramp), dtype=np.int16)
    from_uint8 = np.asarray(overlay(photo, (ramp * 255 + 0.5).astype(np.uint8)), dtype=np.int16)
    assert np.abs(from_float - from_uint8).max() <= 2
    assert not np.array_equal(from_float, np.asarray(photo))  # the blurred side is tinted


def test_streaks_rejects_a_long_shake_unless_turned_off(tmp_path, tiny_weights):
    """A 30-px shake reads sharp along its streak: blurred and `shaken` by default (streak column
    filled), kept with --no-streaks; --skip-existing judges the photo again under the new setting."""
    from msdunet.training import synthetic_blur as sb

    folder = tmp_path / "in"
    folder.mkdir()
    shaken = sb.camera(
        sb.blur(sb.shapes(1024), sb.linear(30 / np.sqrt(12), 0)), np.random.default_rng(0), noise=0.003, quality=92
    )
    Image.fromarray(np.round(shaken * 255).astype(np.uint8)).save(folder / "shaken.png")
    out = tmp_path / "out"
    args = ["detect", str(folder), "-o", str(out), "--weights", str(tiny_weights), "-q"]
    assert run(args + ["--no-streaks"]).exit_code == 0
    (row,) = rows(out)
    assert row["shaken"] == "False" and row["streak"] == ""
    assert run(args + ["--skip-existing"]).exit_code == 0
    (row,) = rows(out)
    assert row["shaken"] == "True" and float(row["streak"]) < STREAK_BELOW and row["verdict"] == "blurred"
    assert row["blur_kind"] == "motion"  # judged again on the map kept (reused), with the rule
