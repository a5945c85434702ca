"""Help texts quote the constants the code uses, so they cannot drift from them."""

from __future__ import annotations

from msdunet.data.pack import JPEG_QUALITY
from msdunet.data.sources import DATASETS
from msdunet.inference.protocol import DEFAULT_SQUARE, DEFAULT_WORKING_SIZE, PAPER_WORKING_SIZE

from .conftest import invoke


def _help(*verb: str) -> str:
    result = invoke([*verb, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_help_quotes_the_defaults():
    for verb in ("detect", "evaluate"):  # one geometry, the same help
        square = "Side of the square the network sees, whatever the photo's aspect, as the model was trained"
        assert f"{square} (default {DEFAULT_WORKING_SIZE};" in _help(verb)
        assert "--keep-aspect Keep the photo's aspect" in _help(verb)
    assert DEFAULT_SQUARE and DEFAULT_WORKING_SIZE == PAPER_WORKING_SIZE  # the default is the paper's geometry
    assert f"jpeg (quality {JPEG_QUALITY}, 4:4:4)" in _help("data", "pack")


def test_dataset_choices_are_the_sources():
    for verb in (("evaluate",), ("data", "pack")):
        assert f"[{'|'.join(DATASETS)}]" in _help(*verb)
