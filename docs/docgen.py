"""What the cog blocks of README.md and docs/*.md print: tables and texts read from reports/, the shipped
model cards and the CLI itself, so that no number and no ``--help`` text is typed by hand.

A block in a Markdown page (the comments hide the code; the lines between ``]]] -->`` and the end marker
are cog's output)::

    <!-- [[[cog
    import cog, docgen
    cog.out(docgen.table("reports/serve_load.md"))
    ]]] -->
    ...generated...
    <!-- [[[end]]] -->

Regenerate every page after a report, a card or a ``--help`` text changed (from the repository root)::

    cog -r -I docs README.md docs/*.md

``tests/test_readme.py`` runs ``cog --check`` on the same files, so CI fails when a page is stale.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
SHIPPED = ROOT / "src" / "msdunet" / "shipped"
HELP_WIDTH = 100  # columns of the generated --help texts, whatever the terminal cog runs in


@cache
def report(name: str) -> dict:
    """A JSON report: ``reports/NAME.json`` (NAME may name a subfolder: ``pretrained_study/lite0_unet_s0``)."""
    return json.loads((REPORTS / f"{name}.json").read_text())


@cache
def card(name: str | None = None) -> dict:
    """A shipped model's card (``src/msdunet/shipped/NAME.json``); the default model's without a name."""
    return json.loads((SHIPPED / f"{name or default_model()}.json").read_text())


def default_model() -> str:
    from msdunet.model.weights import DEFAULT_MODEL

    return DEFAULT_MODEL


def names_of(model: str | None = None) -> list[str]:
    """A shipped model's name and the older names it still loads under (reports made before a rename
    call it by those); the default model's without a name."""
    from msdunet.model import weights

    model = model or default_model()
    return [model, *(old for old, new in getattr(weights, "ALIASES", {}).items() if new == model)]


def row_of(path: str, model: str | None = None, index: int = 0) -> str:
    """The first cell of the row of table ``index`` that names ``model`` (by any of its names)."""
    firsts = [cells(line)[0] for line in tables(path)[index][2:]]
    for name in names_of(model):
        if name in firsts:
            return name
    raise KeyError(f"{path} table {index} has no row for {names_of(model)}")


def shipped_models() -> list[str]:
    """The shipped models' names, the default first."""
    names = [p.stem for p in sorted(SHIPPED.glob("*.safetensors"))]
    return sorted(names, key=lambda n: n != default_model())


def f3(x: float) -> str:
    """A score as the pages write it: three decimals."""
    return f"{x:.3f}"


def tables(path: str) -> list[list[str]]:
    """The Markdown tables of a file (``reports/NAME.md``, a model card...), each as its lines."""
    found, current = [], []
    for line in (ROOT / path).read_text().splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table(path: str, index: int = 0, rows: tuple[str, ...] | None = None) -> str:
    """Table ``index`` of a Markdown file, as it stands there (only the rows whose first cell is in
    ``rows``, if given), followed by a blank line."""
    lines = tables(path)[index]
    if rows is not None:
        missing = set(rows) - {cells(line)[0] for line in lines[2:]}
        if missing:
            raise KeyError(f"{path} table {index} has no rows {sorted(missing)}")
        lines = lines[:2] + [line for line in lines[2:] if cells(line)[0] in rows]
    return "\n".join(lines) + "\n"


def cell(path: str, row: str, column: str, index: int = 0) -> str:
    """One cell of table ``index`` of a Markdown file: the row whose first cell is ``row``, the column
    whose header is ``column``."""
    lines = tables(path)[index]
    header = cells(lines[0])
    for line in lines[2:]:
        values = cells(line)
        if values[0] == row:
            return values[header.index(column)]
    raise KeyError(f"{path} table {index} has no row {row!r}")


def model_card(name: str | None = None, *, level: int = 3) -> str:
    """A shipped model's card (``NAME.md``, written by ``python -m lab ship_weights``) without its
    title; its own headings put at ``level``."""
    return include(str((SHIPPED / f"{name or default_model()}.md").relative_to(ROOT)), level=level)


def cli_help(*args: str) -> str:
    """``msdunet ARGS --help`` as the CLI prints it (click's CliRunner), in a fenced block."""
    from click.testing import CliRunner

    from msdunet.cli.main import cli

    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="msdunet", terminal_width=HELP_WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"msdunet {' '.join(args)} --help failed: {result.output}")
    return "```text\n" + result.output.rstrip("\n") + "\n```\n"


def verbs(link: dict[str, str] | None = None) -> str:
    """The CLI's verbs and their one-line help (``msdunet.cli.main.VERBS``), a table; ``link`` maps a
    verb to the page that documents it."""
    from msdunet.cli.main import VERBS

    link = link or {}
    lines = ["| verb | what it does | more |", "|---|---|---|"]
    for name, (_, line) in VERBS.items():
        more = f"[{link[name].split('/')[-1].removesuffix('.md')}]({link[name]})" if name in link else ""
        lines.append(f"| `msdunet {name}` | {line} | {more} |")
    return "\n".join(lines) + "\n"


def lab_verbs() -> str:
    """``python -m lab``'s verbs (``lab.VERBS``), a table."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # cog runs from anywhere; lab is a folder of the repository, not installed
    from lab import VERBS

    lines = ["| verb | what it does | module |", "|---|---|---|"]
    for name, (module, line) in VERBS.items():
        lines.append(f"| `{name}` | {line} | `{module.replace('.', '/')}.py` |")
    return "\n".join(lines) + "\n"


def report_files() -> str:
    """Every file in reports/ (subfolders as one line each), a table."""
    lines = ["| report | files |", "|---|---|"]
    stems: dict[str, list[str]] = {}
    for path in sorted(REPORTS.iterdir()):
        if path.is_dir():
            stems.setdefault(path.name, []).append(f"`{path.name}/` (a JSON file per run)")
        else:
            stems.setdefault(path.stem, []).append(f"`{path.suffix}`")
    for stem, kinds in stems.items():
        lines.append(f"| `reports/{stem}` | {', '.join(kinds)} |")
    return "\n".join(lines) + "\n"


def api_routes() -> str:
    """The JSON API of ``msdunet serve`` (its OpenAPI schema): method, path, and each route's summary."""
    import tempfile

    from msdunet.serve.app import create_app

    with tempfile.TemporaryDirectory() as uploads:
        schema = create_app(None, detector=None, uploads=Path(uploads)).openapi()
    lines = ["| route | what it does |", "|---|---|"]
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            doc = (op.get("description") or op.get("summary") or "").split("\n\n")[0].replace("\n", " ")
            lines.append(f"| `{method.upper()} {path}` | {doc} |")
    return "\n".join(lines) + "\n"


def paragraph(path: str, start: str) -> str:
    """The paragraph of a Markdown file that begins with ``start``, on one line."""
    for block in (ROOT / path).read_text().split("\n\n"):
        if block.startswith(start):
            return " ".join(block.split("\n"))
    raise KeyError(f"{path} has no paragraph beginning {start!r}")


def include(path: str, *, level: int = 3) -> str:
    """A report's Markdown whole, without its title; its own headings put at ``level``."""
    lines = (ROOT / path).read_text().rstrip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    body = "\n".join(lines).strip("\n")
    body = re.sub(r"^##+ ", "#" * level + " ", body, flags=re.MULTILINE)
    return body + "\n"
