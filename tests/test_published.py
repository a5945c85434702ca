"""The table of published results (``python -m lab published_table``): every number has a source, and
the report shows the source file's numbers as they are, beside ours under the same protocol."""

from __future__ import annotations

import json

import pytest
import tomllib

from lab import ROOT
from lab.studies.published_table import SOURCE, markdown, merge, published_rows
from msdunet.data.sources import CARD_TEST_SETS
from msdunet.scoring.metrics import PROTOCOLS

REPORT = ROOT / "reports" / "published.json"
BOOK = tomllib.loads(SOURCE.read_text())


def test_every_published_number_has_a_known_source_protocol_and_test_set():
    for entry in BOOK["result"]:
        assert entry["source"] in BOOK["sources"], entry["method"]
        assert entry["protocol"] in PROTOCOLS, entry["method"]
        assert entry["year"] and entry["trained_on"], entry["method"]
        for test, scores in entry["scores"].items():
            assert test in CARD_TEST_SETS, (entry["method"], test)
            assert 1 <= len(scores) <= 2 and all(0 < x < 1 for x in scores), (entry["method"], test)
    for source in BOOK["sources"].values():
        assert source["cite"] and source["where"] and isinstance(source["verified"], bool)


def test_unverified_numbers_are_marked_in_the_table():
    sections = merge(published_rows(BOOK))
    text = markdown(BOOK, sections, {"weights": "m", "working_size": 256, "square": True, "bf16": True})
    unverified = [e for e in BOOK["result"] if not BOOK["sources"][e["source"]]["verified"]]
    assert unverified  # the D-DFFNet README's table is an image, read second-hand
    for entry in unverified:
        for f, *_ in entry["scores"].values():
            assert f"*{f:.3f}*" in text
    assert "**not verified**" in text


@pytest.mark.skipif(not REPORT.exists(), reason="reports/published.json not written")
def test_the_report_holds_the_source_files_numbers_and_ours_in_every_section():
    report = json.loads(REPORT.read_text())
    rows = {(s["test"], s["protocol"], r["method"]): r for s in report["sections"] for r in s["rows"]}
    for entry in BOOK["result"]:
        for test, scores in entry["scores"].items():
            row = rows[(test, entry["protocol"], entry["method"])]
            assert [row["F"], row["MAE"]][: len(scores)] == scores
    for section in report["sections"]:
        assert any(r["method"].startswith("ours:") for r in section["rows"]), section["test"]
        assert [r["F"] for r in section["rows"][:-1]] == sorted((r["F"] for r in section["rows"][:-1]), reverse=True)
