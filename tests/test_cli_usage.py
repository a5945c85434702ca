"""What a new user types wrong gets click's usage error (exit 2, one line saying what), before anything
is loaded or written; and the examples folder is all photos."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from msdunet.cli.options import MIN_WORKING_SIZE

from .conftest import invoke

ROOT = Path(__file__).resolve().parents[1]


def refused(result, option: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"Invalid value for '{option}'" in result.output, result.output


@pytest.mark.parametrize("size", ["-5", "1", str(MIN_WORKING_SIZE - 1)])
def test_detect_refuses_a_working_size_that_is_not_0_or_a_real_size(photo_dir, tmp_path, size):
    out = tmp_path / "out"
    refused(invoke(["detect", photo_dir, "-o", out, "--working-size", size]), "--working-size")
    assert not out.exists()
    refused(invoke(["evaluate", "--dataset", "dut", "--working-size", size]), "--working-size")


@pytest.mark.parametrize("threads", ["-3", "0"])
def test_detect_and_serve_refuse_threads_below_1(photo_dir, tmp_path, threads):
    out = tmp_path / "out"
    refused(invoke(["detect", photo_dir, "-o", out, "--threads", threads]), "--threads")
    assert not out.exists()
    refused(invoke(["serve", "--threads", threads]), "--threads")


def test_native_and_smallest_working_sizes_and_one_thread_run(photo_dir, tmp_path, tiny_weights):
    for size in ("0", str(MIN_WORKING_SIZE)):
        args = ["detect", photo_dir, "-o", tmp_path / size, "--weights", tiny_weights, "--threads", "1", "-q"]
        result = invoke([*args, "--working-size", size])
        assert result.exit_code == 0, result.output


def test_train_names_a_pack_file_that_is_not_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args, missing in (
        (["--set", "train=missing.npz"], "missing.npz"),
        (["--train", "gone.npz"], "gone.npz"),
        (["--train", "here.npz", "--set", "val=noval.npz"], "noval.npz"),
    ):
        (tmp_path / "here.npz").write_bytes(b"")
        result = invoke(["train", *args, "--out", tmp_path / "run"])
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert f"no such pack file: {missing}" in result.output
        assert not (tmp_path / "run").exists()


def test_the_examples_folder_is_all_photos():
    from msdunet.detect.listing import list_inputs

    scan = list_inputs([ROOT / "examples"])
    assert scan.inputs and scan.skipped == 0  # `msdunet detect examples` prints no "skipped" note


def test_every_install_hint_in_src_spells_the_extra_one_way():
    """``pip install torch==2.13.0 -e ".[EXTRA]"``: the one spelling that works from a clone."""
    src = ROOT / "src" / "msdunet"
    hints = [
        (path.relative_to(src).as_posix(), found.group())
        for path in sorted(src.rglob("*"))
        if path.suffix in (".py", ".js", ".html")
        for found in re.finditer(r"pip install[^\n]*", path.read_text())
    ]
    assert len(hints) >= 8
    assert [h for h in hints if not re.match(r'pip install torch==2\.13\.0 -e "\.\[[a-z]+\]"', h[1])] == []


def test_a_folder_whose_photos_are_in_subfolders_says_add_r(photo_dir, tmp_path):
    top = tmp_path / "shoot"
    top.mkdir()
    photo_dir.rename(top / "day1")
    (top / "notes.txt").write_text("not a photo")
    result = invoke(["detect", top, "-o", tmp_path / "out"])
    assert result.exit_code == 2 and "no image files found" in result.output and "add -r" in result.output
