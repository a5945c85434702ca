"""Camera-size photos: the map written at a bounded size (``--map-size``), one decode whatever the
entry point, the model loading while photos decode, and rows that a resumed run reproduces."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from msdunet.inference.decoding import Decoding
from msdunet.inference.loading import LoadingDetector, decoding_of

from .conftest import half_blurred, invoke

BIG = (3300, 2200)  # over twice REDUCED_SIDE: box-reduced before the resize


def rows(out):
    with open(out / "report.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    image, _ = half_blurred(*BIG, seed=3, cell=8)
    image.save(folder / "big.jpg", quality=90)
    return folder / "big.jpg"


def detect(photo, out, weights, *extra):
    result = invoke(["detect", photo, "-o", out, "--weights", weights, "-q", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return rows(out)


def test_the_map_is_written_at_map_size_and_the_row_keeps_the_photo_size(big_photo, tmp_path, tiny_weights):
    (row,) = detect(big_photo, tmp_path / "out", tiny_weights)
    assert (int(row["width"]), int(row["height"])) == BIG
    assert Image.open(tmp_path / "out" / "big_blur.png").size == (1600, 1067)
    assert Image.open(tmp_path / "out" / "big_overlay.jpg").size == (1600, 1067)
    assert json.loads((tmp_path / "out" / "report.json").read_text())["map_size"] == 1600

    detect(big_photo, tmp_path / "small", tiny_weights, "--map-size", "400")
    assert Image.open(tmp_path / "small" / "big_blur.png").size == (400, 267)
    detect(big_photo, tmp_path / "full", tiny_weights, "--map-size", "full")
    assert Image.open(tmp_path / "full" / "big_blur.png").size == BIG


def test_a_smaller_map_summarises_like_the_full_one(big_photo, tmp_path, tiny_weights):
    (small,) = detect(big_photo, tmp_path / "out", tiny_weights)
    (full,) = detect(big_photo, tmp_path / "full", tiny_weights, "--map-size", "full")
    for column in ("verdict", "map_verdict", "subject_blur_px", "width", "height"):
        assert small[column] == full[column], column
    for column in ("mean_blur", "blurred_fraction", "sharp_fraction"):
        assert abs(float(small[column]) - float(full[column])) < 0.01, column


def test_map_size_is_a_long_side_or_full(big_photo, tmp_path, tiny_weights):
    for bad in ("0", "10", "big"):
        result = invoke(["detect", big_photo, "-o", tmp_path / "o", "--weights", tiny_weights, "--map-size", bad])
        assert result.exit_code == 2 and "--map-size" in result.output, bad


def test_skip_existing_gives_the_rows_of_the_fresh_run_and_remakes_maps_of_another_size(
    big_photo, tmp_path, tiny_weights
):
    out = tmp_path / "out"
    (fresh,) = detect(big_photo, out, tiny_weights)
    (again,) = detect(big_photo, out, tiny_weights, "--skip-existing")
    assert again["reused"] == "True"
    assert {k: v for k, v in again.items() if k not in ("ms", "reused")} == {
        k: v for k, v in fresh.items() if k not in ("ms", "reused")
    }
    (full,) = detect(big_photo, out, tiny_weights, "--skip-existing", "--map-size", "full")
    assert full["reused"] == "False" and Image.open(out / "big_blur.png").size == BIG


def test_one_photo_gives_one_map_from_a_path_a_pil_image_or_an_array(big_photo, tiny_weights):
    from msdunet.inference.detector import BlurDetector

    detector = BlurDetector(tiny_weights, threads=1)
    from_path = detector(big_photo)
    with Image.open(big_photo) as image:
        image.load()
        from_pil = detector(image)
        from_array = detector(np.asarray(image))
    assert from_path.shape == (BIG[1], BIG[0])
    assert np.array_equal(from_path, from_pil) and np.array_equal(from_path, from_array)


def test_large_photos_are_box_reduced_first_and_small_ones_resized_as_before():
    decoding = Decoding(256, square=False)
    assert decoding.reduction(6000, 4000) == 3 and decoding.reduction(3199, 2000) == 1
    assert Decoding(None).reduction(6000, 4000) == 1 and Decoding(1024, square=False).reduction(6000, 4000) == 2
    assert Decoding(256, square=True).reduction(6000, 4000) == 3
    small = half_blurred(640, 427, seed=2)[0]
    before = small.resize((256, 171), Image.BILINEAR)  # a plain bilinear resize, bit for bit
    assert np.array_equal(np.asarray(decoding.working_image(small)), np.asarray(before))
    big = Image.new("RGB", (6000, 4000))
    scaled = decoding.scaled(big)
    assert scaled.reduced.size == (2000, 1334) and scaled.work.size == (256, 171)


def test_the_loading_detector_decodes_at_once_and_hands_over_the_model_or_its_error():
    made = []
    loading = LoadingDetector(lambda: made.append(1) or "model", Decoding(256, square=False))
    rgb, size = loading.load(np.zeros((40, 60, 3), dtype=np.uint8))
    assert size == (60, 40) and loading.working_image(rgb).size == (256, 171)
    assert loading.ready() == "model" and made == [1]

    def fails():
        raise SystemExit(2)

    with pytest.raises(SystemExit):
        LoadingDetector(fails, Decoding(256)).ready()


def test_weights_that_cannot_load_stop_detect_before_a_report(big_photo, tmp_path):
    out = tmp_path / "out"
    result = invoke(["detect", big_photo, "-o", out, "--weights", tmp_path / "missing.safetensors"])
    assert result.exit_code == 2
    assert not (out / "report.csv").exists() and not (out / "report.json").exists()


def test_the_pixel_budget_lets_photos_decode_together_only_while_they_fit(tmp_path):
    import threading

    from msdunet.detect.budget import PixelBudget

    budget = PixelBudget(100)
    order: list[str] = []
    first_in, let_go = threading.Event(), threading.Event()

    def hold(name: str, pixels: int, *, signal=None, wait=None) -> None:
        with budget.hold(pixels):
            order.append(name)
            if signal:
                signal.set()
            if wait:
                wait.wait(5)

    first = threading.Thread(target=hold, args=("a", 60), kwargs={"signal": first_in, "wait": let_go})
    first.start()
    first_in.wait(5)
    hold("small", 30)  # fits beside the first
    second = threading.Thread(target=hold, args=("b", 60))
    second.start()
    second.join(0.2)
    assert second.is_alive() and order == ["a", "small"]  # does not fit: waits
    let_go.set()
    first.join(5), second.join(5)
    assert order == ["a", "small", "b"] and budget.used == 0
    hold("huge", 500)  # larger than the whole budget: alone
    assert order[-1] == "huge"


def test_the_budget_reads_a_photos_pixels_from_its_header(tmp_path):
    from msdunet.detect.budget import PixelBudget

    budget = PixelBudget(1000)
    Image.new("RGB", (30, 20)).save(tmp_path / "a.jpg")
    (tmp_path / "b.jpg").write_text("not an image")
    (tmp_path / "c.dng").write_bytes(b"II*\x00")
    assert budget.pixels_of(tmp_path / "a.jpg") == 600
    assert budget.pixels_of(tmp_path / "b.jpg") == 0 and budget.pixels_of(tmp_path / "c.dng") == 500


def test_the_network_gets_the_idle_cores_the_readers_leave(monkeypatch):
    from msdunet.inference import threads

    monkeypatch.setattr(threads, "idle_cores", lambda: 2)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert threads.choose_threads(busy=2) == 1 and threads.choose_threads() == 2
    monkeypatch.setattr(threads, "idle_cores", lambda: 8)
    assert threads.choose_threads(busy=2) == 6 and threads.choose_threads(3, busy=2) == 3
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "idle_cores", lambda: 1 / 0)  # not sampled: one thread whatever is idle
    assert threads.choose_threads(busy=2) == 1


def test_detect_decodes_as_the_detector_it_loads_will(tiny_weights):
    from msdunet.inference.options import ModelOptions, load_detector

    options = ModelOptions(weights=str(tiny_weights), threads=1)
    assert decoding_of(options) == load_detector(options).decoding


def test_the_detect_process_leaves_at_once_with_its_report_and_messages_out(tmp_path, tiny_weights):
    import subprocess
    import sys

    photo = tmp_path / "a.jpg"
    half_blurred(96, 64, seed=1)[0].save(photo)
    (tmp_path / "b.jpg").write_text("not a photo")
    command = [sys.executable, "-m", "msdunet", "detect", photo, tmp_path / "b.jpg", "-o", tmp_path / "out"]
    done = subprocess.run([*map(str, command), "--weights", str(tiny_weights)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "1 done, 1 failed" in done.stderr and "b.jpg" in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["images"] == 2 and report["failed"] == 1 and len(rows(tmp_path / "out")) == 2
