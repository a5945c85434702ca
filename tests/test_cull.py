"""``msdunet cull``: sorting by verdict (copy, move, link), never overwriting, undo, picks and XMP."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import types
from pathlib import Path

import pytest
from PIL import Image

from msdunet.cull import sort as culling

from .conftest import half_blurred, invoke


def _has_xmp() -> bool:
    from msdunet.cull.xmp import check_library

    try:
        check_library()  # python-xmp-toolkit imports without Exempi: the library itself is loaded here
    except ImportError:
        return False
    return True


needs_xmp = pytest.mark.skipif(not _has_xmp(), reason="python-xmp-toolkit / libexempi not installed")
FOREIGN_SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:darktable="http://darktable.sf.net/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:foo="http://example.com/foo/1.0/"
    darktable:xmp_version="5" xmp:Rating="2" foo:custom="keep me">
   <darktable:history><rdf:Seq><rdf:li darktable:operation="exposure" darktable:enabled="1"/></rdf:Seq>
   </darktable:history>
   <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def run(*args):
    return invoke(["cull", *args])


def tree(folder: Path) -> dict[str, str]:
    """relative path → sha256 (or → link target) of everything under ``folder``."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel] = "dir"
    return found


def write_report(out: Path, rows: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    full = [{"verdict": "", "error": "", "output": "", **r} for r in rows]
    (out / "report.json").write_text(json.dumps({"images": len(full), "rows": full}))


@pytest.fixture()
def shoot(tmp_path):
    """photos/ (a.jpg, sub/b.png, sub/c.jpg, bad.jpg) and out/report.json giving each a verdict; bad failed."""
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for i, name in enumerate(["a.jpg", "sub/b.png", "sub/c.jpg"]):
        half_blurred(40, 30, seed=i)[0].save(photos / name)
    (photos / "bad.jpg").write_bytes(b"not a jpeg")
    write_report(
        tmp_path / "out",
        [
            {"path": str(photos / "a.jpg"), "verdict": "sharp", "output": "a_blur.png"},
            {"path": str(photos / "sub/b.png"), "verdict": "subject in focus", "output": "sub/b_blur.png"},
            {"path": str(photos / "sub/c.jpg"), "verdict": "blurred", "output": "sub/c_blur.png"},
            {"path": str(photos / "bad.jpg"), "error": f"{photos / 'bad.jpg'}: corrupt or truncated image"},
        ],
    )
    return tmp_path


SORTED = {"sharp/a.jpg": "a.jpg", "subject-in-focus/sub/b.png": "sub/b.png", "blurred/sub/c.jpg": "sub/c.jpg"}


def test_copy_sorts_by_verdict_keeping_relative_paths_and_skips_errors(shoot):
    before = tree(shoot / "photos")
    result = run(shoot / "out", "--into", shoot / "sorted")
    assert result.exit_code == 1, result.output  # one row was skipped
    assert "skipped" in result.stderr and "bad.jpg: detect failed" in result.stderr
    got = tree(shoot / "sorted")
    for dest, source in SORTED.items():
        assert got[dest] == before[source]
    assert not any("bad" in p for p in got)
    assert tree(shoot / "photos") == before
    assert (shoot / "sorted" / ".msdunet-cull-undo.jsonl").is_file()
    assert "3 photo(s) copied" in result.stderr and "blurred 1" in result.stderr


@pytest.mark.parametrize("mode", ["copy", "move", "link"])
def test_undo_restores_exactly(shoot, mode):
    before = tree(shoot / "photos")
    assert run(shoot / "out", "--into", shoot / "sorted", f"--{mode}").exit_code == 1
    photos = tree(shoot / "photos")
    got = tree(shoot / "sorted")
    if mode == "move":
        assert not any(s in photos for s in SORTED.values()) and "bad.jpg" in photos
        assert all(got[d] == before[s] for d, s in SORTED.items())
    elif mode == "link":
        assert all(got[d] == "-> " + str(shoot / "photos" / s) for d, s in SORTED.items())
    result = run("--undo", shoot / "sorted")
    assert result.exit_code == 0, result.output
    assert "undone 3 operation(s)" in result.stderr
    assert tree(shoot / "photos") == before
    assert tree(shoot / "sorted") == {}  # folders emptied, undo list gone


def test_dry_run_changes_nothing(shoot):
    before_photos, before_out = tree(shoot / "photos"), tree(shoot / "out")
    result = run(shoot / "out", "--into", shoot / "sorted", "--move", "--dry-run")
    assert "would move" in result.output and str(shoot / "sorted" / "sharp" / "a.jpg") in result.output
    assert "dry run, nothing changed" in result.stderr
    assert not (shoot / "sorted").exists()
    assert tree(shoot / "photos") == before_photos and tree(shoot / "out") == before_out


def test_never_overwrites(shoot):
    taken = shoot / "sorted" / "sharp" / "a.jpg"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's file")
    other = shoot / "elsewhere" / "a.jpg"  # a second input root with the same relative path
    other.parent.mkdir()
    Image.new("RGB", (8, 8), "red").save(other)
    rows = json.loads((shoot / "out" / "report.json").read_text())["rows"]
    rows.append({"path": str(other), "verdict": "sharp", "error": "", "output": "a_jpg_blur.png"})
    write_report(shoot / "out", rows)
    run(shoot / "out", "--into", shoot / "sorted")
    assert taken.read_bytes() == b"someone else's file"
    assert (shoot / "sorted/sharp/a_2.jpg").read_bytes() == (shoot / "photos/a.jpg").read_bytes()
    assert (shoot / "sorted/sharp/a_3.jpg").read_bytes() == other.read_bytes()
    assert run("--undo", shoot / "sorted").exit_code == 0
    assert tree(shoot / "sorted") == {"sharp": "dir", "sharp/a.jpg": hashlib.sha256(b"someone else's file").hexdigest()}


def test_undo_refuses_to_clobber_and_can_be_run_again(shoot):
    before = tree(shoot / "photos")
    run(shoot / "out", "--into", shoot / "sorted", "--move")
    blocker = shoot / "photos" / "a.jpg"
    blocker.write_bytes(b"a new photo under the old name")
    result = run("--undo", shoot / "sorted")
    assert result.exit_code == 1 and "cannot move back" in result.stderr
    assert blocker.read_bytes() == b"a new photo under the old name"
    assert (shoot / "sorted/sharp/a.jpg").is_file()  # kept, and still in the undo list
    blocker.unlink()
    assert run("--undo", shoot / "sorted").exit_code == 0
    assert tree(shoot / "photos") == before


def test_undo_keeps_a_copy_that_changed(shoot):
    run(shoot / "out", "--into", shoot / "sorted")
    edited = shoot / "sorted/blurred/sub/c.jpg"
    edited.write_bytes(b"edited")
    result = run("--undo", shoot / "sorted")
    assert result.exit_code == 1 and "changed since" in result.stderr
    assert "then run --undo again" in result.stderr  # what to do next, not a dead end
    assert edited.read_bytes() == b"edited" and not (shoot / "sorted/sharp/a.jpg").exists()
    edited.unlink()  # the user deals with it: the next --undo finishes
    assert run("--undo", shoot / "sorted").exit_code == 0


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_an_interrupted_cull_is_finished_by_running_it_again(shoot, monkeypatch, mode):
    before = tree(shoot / "photos")
    calls = []

    def transfer_then_die(op, source, dest):
        calls.append(dest)
        if len(calls) == 2:  # the second photo: its new name made, the old one not yet removed
            dest.parent.mkdir(parents=True)
            os.link(source, dest)
            raise KeyboardInterrupt
        real(op, source, dest)

    real = culling.transfer
    monkeypatch.setattr(culling, "transfer", transfer_then_die)
    selection = culling.select(shoot / "out")
    with pytest.raises(KeyboardInterrupt):
        culling.cull(selection.photos, into=shoot / "sorted", log_dir=shoot / "sorted", mode=mode)
    monkeypatch.setattr(culling, "transfer", real)
    result = run(shoot / "out", "--into", shoot / "sorted", f"--{mode}")
    assert "2 sorted by an earlier run" in result.stderr, result.stderr
    got = tree(shoot / "sorted")
    assert all(got[d] == before[s] for d, s in SORTED.items())
    assert not any("_2" in p for p in got)  # nothing sorted twice
    if mode == "move":
        assert not (shoot / "photos/sub/b.png").exists()  # the cut-short move was finished
    result = run("--undo", shoot / "sorted")
    assert result.exit_code == 0, result.stderr
    assert tree(shoot / "photos") == before


def test_picks_override_the_verdict(shoot):
    (shoot / "out" / "picks.csv").write_text(f"path,pick\n{shoot / 'photos' / 'a.jpg'},reject\nsub/b.png,pick\n")
    result = run(shoot / "out", "--into", shoot / "sorted")
    got = tree(shoot / "sorted")
    assert {"rejected/a.jpg", "picked/sub/b.png", "blurred/sub/c.jpg"} <= set(got)
    assert "2 photo(s) go to picked/ or rejected/" in result.stderr


def test_picks_file_rule_is_the_one_the_web_app_writes(tmp_path):
    from msdunet.cull.picks import PicksError, read_picks, write_picks

    path = tmp_path / "picks.csv"
    assert read_picks(path) == {}
    write_picks(path, {"a, b.jpg": "pick", "c.jpg": "reject"})
    assert read_picks(path) == {"a, b.jpg": "pick", "c.jpg": "reject"}
    assert not list(tmp_path.glob(".*")), "no temp file left behind"
    path.write_text("note,path , pick\nx,a.jpg, Reject \n,b.jpg,\n")  # extra column, spaces, case, blank
    assert read_picks(path) == {"a.jpg": "reject"}
    path.write_bytes(b"path,pick\n\xff\n")
    with pytest.raises(PicksError, match=r"picks\.csv: cannot read"):
        read_picks(path)


def test_bad_picks_and_missing_reports_are_named(shoot, tmp_path):
    (shoot / "out" / "picks.csv").write_text("path,pick\na.jpg,maybe\n")
    result = run(shoot / "out", "--into", shoot / "sorted")
    assert result.exit_code == 2 and "picks.csv, line 2" in result.stderr and "maybe" in result.stderr
    result = run(tmp_path / "nothing", "--into", shoot / "sorted")
    assert result.exit_code == 2 and "no report.json or report.csv" in result.stderr
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "report.csv").write_text("name,size\na.jpg,3\n")
    result = run(tmp_path / "other", "--into", shoot / "sorted")
    assert result.exit_code == 2 and "report.csv: not a report msdunet detect wrote" in result.stderr
    assert run(shoot / "out").exit_code == 2  # neither --into nor --xmp


def test_report_csv_is_used_without_report_json(tiny_weights, photo_dir, tmp_path):
    out = tmp_path / "detected"
    invoke(["detect", photo_dir, "-o", out, "--weights", tiny_weights, "-q"], catch_exceptions=False)
    rows = json.loads((out / "report.json").read_text())["rows"]
    (out / "report.json").unlink()
    result = run(out, "--into", tmp_path / "sorted")
    assert result.exit_code == 0, result.output
    for row in rows:
        folder = culling.VERDICT_FOLDERS[row["verdict"]]
        assert (tmp_path / "sorted" / folder / Path(row["path"]).name).is_file()


class ExempiLoadError(Exception):
    """What libxmp raises when it cannot find the Exempi C library."""


class _NoExempi:
    """libxmp's lazy Exempi wrapper on a machine without the C library: it fails on first use."""

    def __getattr__(self, name):
        raise ExempiLoadError("Exempi library not found.")


@pytest.mark.parametrize("missing", ["exempi", "toolkit"])
def test_xmp_without_its_library_says_what_to_install_and_touches_nothing(shoot, monkeypatch, missing):
    """Simulated: python-xmp-toolkit imported fine without Exempi (the C library), or is not installed."""
    if missing == "exempi":
        fake = types.ModuleType("libxmp")
        fake.exempi = types.ModuleType("libxmp.exempi")
        fake.exempi.EXEMPI = _NoExempi()
        monkeypatch.setitem(sys.modules, "libxmp", fake)
        monkeypatch.setitem(sys.modules, "libxmp.exempi", fake.exempi)
    else:
        monkeypatch.setitem(sys.modules, "libxmp", None)  # import libxmp raises ImportError
    before = tree(shoot)
    for args in (["--into", shoot / "sorted", "--xmp"], ["--xmp"]):
        result = run(shoot / "out", *args)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        (line,) = result.stderr.splitlines()
        wanted = "apt-get install libexempi8" if missing == "exempi" else 'pip install torch==2.13.0 -e ".[xmp]"'
        assert line.startswith("error: --xmp needs") and wanted in line, line
        assert tree(shoot) == before  # nothing copied, no sidecar, no undo list


@needs_xmp
def test_xmp_sidecars_created_merged_and_not_duplicated(shoot):
    from libxmp import XMPMeta

    foreign = shoot / "photos" / "sub" / "b.xmp"
    foreign.write_text(FOREIGN_SIDECAR)
    before = tree(shoot / "photos")
    run(shoot / "out", "--into", shoot / "sorted", "--xmp")
    created = XMPMeta(xmp_str=(shoot / "sorted/sharp/a.xmp").read_text())
    assert (created.get_property(culling.xmp.XMP_NS, "Rating"), created.get_property(culling.xmp.XMP_NS, "Label")) == (
        "4",
        "Green",
    )
    carried = shoot / "sorted/subject-in-focus/sub/b.xmp"
    merged = XMPMeta(xmp_str=carried.read_text())
    assert merged.get_property(culling.xmp.XMP_NS, "Rating") == "3"
    assert merged.get_property(culling.xmp.XMP_NS, "Label") == "Yellow"
    assert merged.get_property("http://example.com/foo/1.0/", "custom") == "keep me"
    assert merged.get_array_item("http://purl.org/dc/elements/1.1/", "subject", 1) == "holiday"
    assert merged.does_property_exist("http://darktable.sf.net/", "history[1]/darktable:operation")
    assert tree(shoot / "photos") == before  # copy mode: the original sidecar is untouched
    text = carried.read_bytes()
    result = run(shoot / "out", "--into", shoot / "sorted", "--xmp")
    assert carried.read_bytes() == text and text.count(b"<xmp:Rating>") == 1
    assert "3 sorted by an earlier run" in result.stderr
    assert run("--undo", shoot / "sorted").exit_code == 0
    assert tree(shoot / "sorted") == {} and tree(shoot / "photos") == before


@needs_xmp
def test_xmp_in_place_with_picks_and_darktable_names(shoot):
    existing = shoot / "photos" / "sub" / "c.jpg.xmp"
    existing.write_text(FOREIGN_SIDECAR)
    (shoot / "out" / "picks.csv").write_text("path,pick\nsub/c.jpg,reject\na.jpg,pick\n")
    before = tree(shoot / "photos")
    result = run(shoot / "out", "--xmp", "--xmp-name", "photo.ext.xmp")
    assert "3 sidecar(s) written" in result.stderr, result.stderr
    assert "Rating>-1<" in existing.read_text() and "keep me" in existing.read_text()
    assert "Rating>5<" in (shoot / "photos" / "a.jpg.xmp").read_text()
    assert run("--undo", shoot / "out").exit_code == 0
    assert tree(shoot / "photos") == before


@needs_xmp
def test_a_sidecar_that_is_not_xmp_is_left_alone(shoot):
    broken = shoot / "photos" / "a.xmp"
    broken.write_text("just some notes")
    result = run(shoot / "out", "--xmp")
    assert "not an XMP sidecar" in result.stderr and broken.read_text() == "just some notes"


@needs_xmp
def test_move_takes_the_sidecar_along_and_undo_brings_both_back(shoot):
    (shoot / "photos" / "sub" / "b.png.xmp").write_text(FOREIGN_SIDECAR)
    before = tree(shoot / "photos")
    run(shoot / "out", "--into", shoot / "sorted", "--move", "--xmp", "--xmp-name", "photo.ext.xmp")
    moved = shoot / "sorted/subject-in-focus/sub/b.png.xmp"
    assert not (shoot / "photos/sub/b.png.xmp").exists()
    assert "keep me" in moved.read_text() and "<xmp:Label>Yellow</xmp:Label>" in moved.read_text()
    assert run("--undo", shoot / "sorted").exit_code == 0
    assert tree(shoot / "photos") == before and tree(shoot / "sorted") == {}


def test_a_relative_path_not_found_says_to_run_cull_where_detect_ran(shoot, monkeypatch):
    """detect given a relative folder writes relative paths; cull run from elsewhere names the folder
    it looked from and what to do (it said only "moved or deleted?")."""
    write_report(shoot / "rel", [{"path": "photos/a.jpg", "verdict": "sharp", "output": "a_blur.png"}])
    monkeypatch.chdir(shoot / "photos")
    result = run(shoot / "rel", "--into", shoot / "sorted")
    assert result.exit_code == 1
    assert f"not found from {shoot / 'photos'}" in result.stderr and "folder detect ran in" in result.stderr
    monkeypatch.chdir(shoot)
    assert run(shoot / "rel", "--into", shoot / "sorted").exit_code == 0
