"""The README and docs/*.md cannot drift from the reports, the model cards and the CLI they describe.

* **Generated blocks** (cog: ``<!-- [[[cog ... ]]] -->`` … ``<!-- [[[end]]] -->``, helpers in
  ``docs/docgen.py``) print every table, every ``--help`` text and most numbers; ``cog --check`` must find
  them current (``cog -r -I docs README.md docs/*.md`` regenerates them).
* **Every other number is cited**: the block (the lines up to the next blank line) after a marker
  ``<!-- from SOURCE: FIELD, FIELD; SOURCE: FIELD -->`` may quote only the named fields, each at the
  precision written (``0.947`` for 0.94726…), and must quote each of them. A source is a JSON or TOML file
  (``reports/NAME.json``; a field is a ``/``-separated path of keys) or a module of the package
  (``msdunet.detect.outputs``; a field is an attribute, dotted). A number outside a generated or cited
  block fails, whatever file might hold it.
* What counts as a number: decimals and integers ≥ 10, not inside a word or a name (``bf16``,
  ``Sun-2019``), inline code (commands, identifiers, versions), a link target, or an HTML comment;
  fenced code blocks are commands, not claims.
* One spelling of an install: ``pip install torch==2.13.0 -e ".[EXTRA]"`` (or ``-e .``), so that pip takes
  the CPU torch and the extras work from a clone.
* Links between the pages point at files that exist; the README's Python quickstart runs as written.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REGENERATE = "cog -r -I docs README.md docs/*.md"

MARKER = re.compile(r"^\s*<!--\s*from\s+(?P<sources>.+?)\s*-->\s*$")
COG_START, COG_END = "[[[cog", "[[[end]]]"
NUMBER = re.compile(
    r"(?<![\w.,§])(?<![A-Za-z]-)"  # not inside a word, another number, a section (§3.2) or a name like Sun-2019
    r"(?:\d{1,3}(?:[,\u00a0\u2009\u202f]\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)"
    r"(?!\d)(?![.,\u00a0\u2009\u202f]\d)(?![A-Za-z])"  # and whole: 2.13.0 is a version, 3x a word
)
NOT_QUOTED = re.compile(r"`[^`\n]*`|\]\([^)\n]*\)|<!--.*?-->")
# Numbers that are names, not quantities: the datasets' citations.
NAMES = ("CVPR 2014", "CVPR 2018")
INSTALL = re.compile(r'pip install torch==2\.13\.0 -e (?:\.(?=[\s`]|$)|"\.\[(?:[a-z,]+|EXTRA)\]")')


# --- what a page says -------------------------------------------------------------------------------------


def numbers(text: str) -> list[str]:
    """The numbers a line quotes, as written (see the module docstring for what counts)."""
    text = NOT_QUOTED.sub(" ", text)
    for name in NAMES:
        text = text.replace(name, " ")
    text = re.sub(r"\b\d+-bit\b", " ", text)  # a bit depth names a format (8-bit PNG, 16-bit TIFF)
    return [t for t in NUMBER.findall(text) if "." in t or value(t) >= 10]


def value(token: str) -> Decimal:
    return Decimal(re.sub(r"[,\u00a0\u2009\u202f]", "", token))


def prose(text: str) -> list[tuple[int, str, bool]]:
    """(line number, line, generated) for every line outside fenced code; ``generated`` for the lines
    of a cog block (its code and its output)."""
    lines, in_cog, in_fence = [], False, False
    for number, line in enumerate(text.splitlines(), start=1):
        if COG_START in line:
            in_cog = True
        if not in_cog and line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if not in_fence:
            lines.append((number, line, in_cog))
        if COG_END in line:
            in_cog = False
    return lines


# --- what a marker cites ----------------------------------------------------------------------------------


def cited(spec: str, root: Path) -> tuple[dict[str, object], list[str]]:
    """``SOURCE: FIELD, FIELD; SOURCE: FIELD`` → ({"SOURCE: FIELD": value}, what could not be read)."""
    fields, errors = {}, []
    for part in spec.split(";"):
        source, _, names = part.partition(":")
        source = source.strip()
        if not names.strip():
            errors.append(f"{source}: a citation names its fields (SOURCE: FIELD, FIELD)")
            continue
        try:
            data = load(source, root)
        except (OSError, ImportError) as exc:
            errors.append(f"{source}: {exc}")
            continue
        for name in (n.strip() for n in names.split(",")):
            try:
                fields[f"{source}: {name}"] = field(data, source, name)
            except Uncited as exc:
                errors.append(str(exc))
    return fields, errors


def load(source: str, root: Path) -> object:
    if source.endswith(".json"):
        return json.loads((root / source).read_text())
    if source.endswith(".toml"):
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib
        return tomllib.loads((root / source).read_text())
    return importlib.import_module(source)


class Uncited(Exception):
    """A marker that names no field, or a field its source does not have."""


def field(data: object, source: str, name: str) -> object:
    if isinstance(data, dict):
        for key in name.split("/"):
            if not isinstance(data, dict) or key not in data:
                raise Uncited(f"{source} has no field {name!r}")
            data = data[key]
        return data
    for attribute in name.split("."):
        if not hasattr(data, attribute):
            raise Uncited(f"{source} has no attribute {name!r}")
        data = getattr(data, attribute)
    return data


def quotes(token: str, field_value: object) -> bool:
    """Whether ``token`` is ``field_value`` as written: rounded to the token's decimals."""
    if isinstance(field_value, bool) or not isinstance(field_value, int | float):
        return False
    written = value(token)
    exponent = written.as_tuple().exponent
    if exponent == 0:  # an integer quotes an integer, not a rounded measurement
        return Decimal(str(field_value)) == written
    return Decimal(str(field_value)).quantize(Decimal(1).scaleb(exponent), ROUND_HALF_EVEN) == written


# --- the checks -------------------------------------------------------------------------------------------


def untraced(text: str, root: Path) -> list[str]:
    """One line per problem: a number neither generated nor cited, a cited number that is not the field,
    a cited field the block does not quote, or a marker that is broken or marks nothing."""
    problems = []
    lines = prose(text)
    i = 0
    while i < len(lines):
        number, line, generated = lines[i]
        match = MARKER.match(line)
        if generated:
            i += 1
            continue
        if not match:
            found = numbers(line)
            if found:
                problems.append(f"line {number}: {found} neither generated (cog) nor cited (<!-- from ... -->)")
            i += 1
            continue
        fields, errors = cited(match["sources"], root)
        problems += [f"line {number}: {error}" for error in errors]
        block = []
        i += 1
        while i < len(lines) and lines[i][1].strip() and not lines[i][2]:
            block.append(lines[i])
            i += 1
        if not block:
            problems.append(f"line {number}: the marker is followed by a blank line, it marks nothing")
            continue
        used = set()
        for quoted_at, quoted, _ in block:
            for token in numbers(quoted):
                matching = {name for name, v in fields.items() if quotes(token, v)}
                if not matching:
                    problems.append(f"line {quoted_at}: {token} is none of {', '.join(fields)}")
                used |= matching
        for name in fields.keys() - used:
            problems.append(f"line {number}: cites {name} but its block does not quote it")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_number_is_generated_or_cited(page):
    problems = untraced(page.read_text(), ROOT)
    assert not problems, f"{page.name}: numbers typed by hand:\n" + "\n".join(problems)


def test_generated_blocks_are_current(capsys):
    from cogapp import Cog

    args = ["cog", "--check", "--diff", "--verbosity=1", "-I", str(ROOT / "docs")]
    status = Cog().main(args + [str(p) for p in PAGES])
    out = capsys.readouterr()
    assert status == 0, f"stale generated blocks; run `{REGENERATE}`:\n{out.out}{out.err}"


def test_every_page_has_generated_blocks_and_the_site_lists_every_page():
    for page in (ROOT / "README.md", ROOT / "docs" / "models.md", ROOT / "docs" / "speed.md"):
        assert COG_START in page.read_text(), f"{page.name}: its tables come from cog blocks"
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [p.name for p in PAGES[1:] if f" {p.name}" not in nav]
    assert not missing, f"mkdocs.yml's nav lacks {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_installs_are_spelled_one_way(page):
    wrong = []
    for number, line, generated in prose(page.read_text()):
        if generated:
            continue
        for at in (m.start() for m in re.finditer(r"pip install", line)):
            if not INSTALL.match(line, at):
                wrong.append(f"line {number}: {line.strip()}")
        if re.search(r"msdunet\[", line):
            wrong.append(f"line {number}: {line.strip()}")
    fenced = re.findall(r"^```bash\n(.*?)^```", page.read_text(), re.S | re.M)
    for block in fenced:
        for line in block.splitlines():
            if "pip install" in line and not INSTALL.search(line):
                wrong.append(f"fenced: {line.strip()}")
    assert not wrong, f'{page.name}: install as pip install torch==2.13.0 -e ".[EXTRA]":\n' + "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_at_files(page):
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.name}: links to missing files {broken}"


def test_the_site_builds_strict(tmp_path):
    """mkdocs-material, offline, in under a second: every page in the nav, every link and anchor found."""
    import subprocess
    import sys

    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "index.html").is_file()


def test_readme_quickstart_runs(monkeypatch, capsys):
    from msdunet.focus import VERDICTS

    readme = (ROOT / "README.md").read_text()
    code = re.findall(r"^```python\n(.*?)^```", readme, re.S | re.M)
    assert len(code) == 1, "the README has one Python quickstart"
    monkeypatch.chdir(ROOT)
    exec(compile(code[0], "README.md quickstart", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] in VERDICTS


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"# 2\.[^\n]*\n([^\n]+)\n", readme)[1]
    assert command.startswith("pip install torch==2.13.0") and "ruff format --check" in command and "pytest" in command
    assert (ROOT / ".ci" / "run").read_text().rstrip("\n").splitlines()[-1] == command
    first = re.search(r"# 1\.[^\n]*\n([^\n]+)\n", readme)[1]
    assert first.startswith("pip install torch==2.13.0 -e . && msdunet detect examples")


# --- the checker itself -----------------------------------------------------------------------------------


def test_the_checker_finds_what_it_should(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"scores": {"maxF": 0.94726, "n": 500}, "peak": 512}))
    (tmp_path / "c.toml").write_text("epochs = 30\n")
    page = """intro: 12345 is typed by hand.

<!-- from r.json: scores/maxF, scores/n; c.toml: epochs -->
maxF .947 and 0.9473 on 500 images after 30 epochs; `--limit 77` and [x](r/88.md) are not claims,
bf16, Sun-2019 and q95 are names, 3 and 7 are small; 0.94 and 512 are not what it cites.

<!-- from r.json: scores/MAE -->
x

<!-- from r.json: peak -->
no number here

<!-- [[[cog
print(99.5)
]]] -->
99.5 is generated
<!-- [[[end]]] -->

```bash
msdunet detect --limit 4242
```
<!-- from r.json: peak -->

"""
    cites = "r.json: scores/maxF, r.json: scores/n, c.toml: epochs"
    assert untraced(page, tmp_path) == [
        "line 1: ['12345'] neither generated (cog) nor cited (<!-- from ... -->)",
        f"line 5: 0.94 is none of {cites}",
        f"line 5: 512 is none of {cites}",
        "line 7: r.json has no field 'scores/MAE'",
        "line 10: cites r.json: peak but its block does not quote it",
        "line 22: the marker is followed by a blank line, it marks nothing",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.954 .954 23.5 1,234,567 12", ["0.954", ".954", "23.5", "1,234,567", "12"]),
        ("2.13.0 v2 x86 AVX512 1e-12 4:4:4 1/8 §3.2 CVPR 2014 16-bit", []),
        ("256² 320×320 (500) 84–89 % 6.2×", ["256", "320", "320", "500", "84", "89", "6.2"]),
    ],
)
def test_what_counts_as_a_number(text, expected):
    assert numbers(text) == expected


def test_quotes_compares_at_the_written_precision():
    assert quotes("0.947", 0.94726) and quotes(".947", 0.94726) and quotes("0.9473", 0.94726)
    assert not quotes("0.948", 0.94726) and not quotes("500", 500.4) and quotes("500", 500)
    assert not quotes("1", True) and not quotes("12", "12")
