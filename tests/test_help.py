"""Help texts quote the constants the code uses, so they cannot drift from them."""

from __future__ import annotations

from msdunet.data.pack import JPEG_QUALITY
from msdunet.data.sources import DATASETS
from msdunet.inference.protocol import DEFAULT_WORKING_SIZE, PAPER_WORKING_SIZE

from .conftest import invoke


def _help(*verb: str) -> str:
    result = invoke([*verb, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_help_quotes_the_defaults():
    assert f"(default {DEFAULT_WORKING_SIZE};" in _help("detect")
    assert f"Default: {PAPER_WORKING_SIZE}×{PAPER_WORKING_SIZE}, the paper's protocol" in _help("evaluate")
    assert f"jpeg (quality {JPEG_QUALITY}, 4:4:4)" in _help("data", "pack")


def test_dataset_choices_are_the_sources():
    for verb in (("evaluate",), ("data", "pack")):
        assert f"[{'|'.join(DATASETS)}]" in _help(*verb)
