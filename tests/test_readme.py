"""The README's numbers trace to report files, and .ci/run is the README's test command.

Convention.  A line ``<!-- from PATH -->`` (or ``<!-- from PATH, PATH2 -->``; paths relative to the
repository root, usually ``reports/NAME.md`` or ``.json``) marks the *block* that follows — the
lines after it up to, not including, the first blank line: one table, one paragraph or one fenced
block — as quoting those files.  Every number in the block must appear in one of them:

* numbers are decimals (``0.954``, ``.954``, ``23.5``; any size) and integers ≥ 10, with optional
  thousands separators (``40,460,930``; a comma, a thin or a no-break space);
* not numbers: digits inside a word or a name (``bf16``, ``Sun-2019``, ``q90``), inside inline code
  (backticks: commands and identifiers), in a link target ``](...)`` or an HTML comment;
* they are compared as values (``.954`` = ``0.954`` = ``0.9540``; ``26`` ≠ ``26.3``): a rounded or
  derived number does not match, so the README quotes the report's figures as they stand.

A marker whose file is missing, or that marks nothing, fails too.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^\s*<!--\s*from\s+(?P<paths>.+?)\s*-->\s*$")
NUMBER = re.compile(
    r"(?<![\w.,])(?<![A-Za-z]-)"  # not inside a word, another number, or a name like Sun-2019
    r"(?:\d{1,3}(?:[,\u00a0\u2009\u202f]\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)"
    r"(?!\d)(?![.,\u00a0\u2009\u202f]\d)"  # and whole: 2.13.0 is a version, not 2.13
)
NOT_QUOTED = re.compile(r"`[^`\n]*`|\]\([^)\n]*\)|<!--.*?-->")


def numbers(text: str) -> list[str]:
    """The numbers a block quotes, as written (see the module docstring for what counts)."""
    found = []
    for token in NUMBER.findall(NOT_QUOTED.sub(" ", text)):
        if "." in token or value(token) >= 10:
            found.append(token)
    return found


def value(token: str) -> Decimal:
    return Decimal(re.sub(r"[,\u00a0\u2009\u202f]", "", token))


def values_in(text: str) -> set[Decimal]:
    """Every number a report holds, whatever its size and wherever it stands."""
    return {value(token) for token in NUMBER.findall(text)}


def marked_blocks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """(line number of the marker, its paths, the block's lines) for each marker."""
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        block = []
        for following in lines[i + 1 :]:
            if not following.strip():
                break
            block.append(following)
        blocks.append((i + 1, [p.strip() for p in match["paths"].split(",")], block))
    return blocks


def untraced(text: str, root: Path) -> list[str]:
    """One line per marker problem: a missing file, an empty block, or a number no named file holds."""
    problems = []
    for line_no, paths, block in marked_blocks(text):
        missing = [p for p in paths if not (root / p).is_file()]
        if missing:
            problems.append(f"line {line_no}: no such file {missing}")
            continue
        if not block:
            problems.append(f"line {line_no}: the marker is followed by a blank line, it marks nothing")
            continue
        known = set().union(*(values_in((root / p).read_text()) for p in paths))
        for offset, quoted in enumerate(block, start=1):
            absent = [n for n in numbers(quoted) if value(n) not in known]
            if absent:
                problems.append(f"line {line_no + offset}: {absent} not in {', '.join(paths)}")
    return problems


def test_readme_numbers_trace_to_their_reports():
    text = (ROOT / "README.md").read_text()
    assert len(marked_blocks(text)) >= 10, "the README's result blocks carry <!-- from reports/... --> markers"
    problems = untraced(text, ROOT)
    assert not problems, "README quotes numbers its reports do not hold:\n" + "\n".join(problems)


def test_the_checker_finds_what_it_should(tmp_path):
    (tmp_path / "r.md").write_text("| a | 0.954 | 40,460,930 | 26.3 | 2019 |\n")
    readme = """intro 12345 is not checked: no marker

<!-- from r.md -->
maxF .954 and 0.9540, 40,460,930 parameters, 26.3× faster, `--limit 77` and [x](r/88.md) ignored,
bf16, Sun-2019 and q95 are names; 3 and 7 are too small to check; 26 and 0.95 are not in r.md.

99 is after the block.
<!-- from r.md, missing.md -->
x
<!-- from r.md -->

"""
    problems = untraced(readme, tmp_path)
    assert problems == [
        "line 5: ['26', '0.95'] not in r.md",
        "line 8: no such file ['missing.md']",
        "line 10: the marker is followed by a blank line, it marks nothing",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.954 .954 23.5 1,234,567 12", ["0.954", ".954", "23.5", "1,234,567", "12"]),
        ("2.13.0 v2 x86 AVX512 1e-12 4:4:4 1/8", []),
        ("256² 320×320 (500) 84–89 % 6.2×", ["256", "320", "320", "500", "84", "89", "6.2"]),
    ],
)
def test_what_counts_as_a_number(text, expected):
    assert numbers(text) == expected


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"# 2\.[^\n]*\n([^\n]+)\n", readme)[1]
    assert command.startswith("pip install") and "ruff format --check" in command and "pytest" in command
    assert (ROOT / ".ci" / "run").read_text().rstrip("\n").splitlines()[-1] == command
