"""The undo list of ``msdunet cull`` and the file operations it records, without ever overwriting.

The list is ``.msdunet-cull-undo.jsonl`` in the folder culled into (in OUT when only sidecars are
written): one JSON line per operation, appended and flushed to disk *before* the operation starts,
so an interruption at any point leaves a list that covers everything on disk.  Undo walks it
backwards and checks the state of each file before it acts:

* ``move``: moved back when the original's place is free (a move cut short, with the file under both
  names, is finished the other way);
* ``copy``: removed when it is still byte-identical to its original;
* ``link``: removed when it is still a symbolic link to its original;
* ``xmp``: the sidecar's earlier bytes restored (or the sidecar removed when it was new) when it
  still holds what cull wrote.

Anything else (changed since, original gone, place taken) is refused and kept in the list, so that
``--undo`` can be run again once it is sorted out; an entry whose operation never happened is
dropped.  Folders left empty are removed up to the culled folder.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from msdunet.cull.xmp import sha256
from msdunet.io.files import replacing, temp_beside

UNDO_NAME = ".msdunet-cull-undo.jsonl"
FILE_OPS = ("copy", "move", "link")


class UndoLog:
    """Append-only, fsynced JSON lines."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / UNDO_NAME
        self.file = None

    def entries(self) -> list[dict]:
        """The entries so far ([] when there is no list); a line cut short by a crash is ignored."""
        if not self.path.is_file():
            return []
        found = []
        for line in self.path.read_text().splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return found

    def add(self, entry: dict) -> None:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a")  # noqa: SIM115 (closed in close())
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def transfer(op: str, source: Path, dest: Path) -> None:
    """Copy, move or symlink ``source`` to ``dest``; FileExistsError when ``dest`` is taken (never
    replaced).  Copies go through a temp file beside ``dest``, so ``dest`` is complete or absent."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if op == "link":
        os.symlink(source.absolute(), dest)
        return
    if op == "move":
        try:
            os.link(source, dest)  # one file system with hard links: the file is never copied
            os.unlink(source)
            return
        except FileExistsError:
            raise
        except OSError:
            pass  # another file system, or none with hard links (FAT): copy, then remove
    tmp = temp_beside(dest)
    try:
        shutil.copy2(source, tmp)
        _claim(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    if op == "move":
        os.unlink(source)


def _claim(tmp: Path, dest: Path) -> None:
    """Give ``tmp`` the name ``dest`` unless that name is taken."""
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:  # no hard links here: check, then rename (not atomic, but never over a file seen)
        if os.path.lexists(dest):
            raise FileExistsError(dest) from None
        os.rename(tmp, dest)


def write_file(path: Path, data: bytes) -> None:
    """Replace ``path``'s content through a temp file and a rename."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


@dataclass
class UndoResult:
    undone: int = 0
    not_done: int = 0  # entries whose operation never happened, or was already undone
    refused: list[str] = field(default_factory=list)  # one message per entry kept in the list


def undo(folder: Path, *, dry_run: bool = False) -> UndoResult:
    """Apply ``folder``'s undo list backwards (see the module docstring)."""
    log = UndoLog(folder)
    if not log.path.is_file():
        raise FileNotFoundError(f"{log.path}: no undo list here (nothing was culled into {folder})")
    entries = [e for e in log.entries() if e.get("op") in (*FILE_OPS, "xmp")]
    result, kept, emptied = UndoResult(), [], set()
    for entry in reversed(entries):
        dest = Path(entry["dest"])
        outcome = _undo_one(entry, dest, dry_run)
        if outcome is True:
            result.undone += 1
            emptied.add(dest.parent)
        elif outcome is False:
            result.not_done += 1
        else:
            result.refused.append(outcome)
            kept.append(entry)
    if dry_run:
        return result
    if kept:
        text = "".join(json.dumps(e) + "\n" for e in reversed(kept))
        write_file(log.path, text.encode())
    else:
        log.path.unlink()
    for parent in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        _prune(parent, folder)
    return result


def _undo_one(entry: dict, dest: Path, dry_run: bool) -> bool | str:
    """True: undone; False: nothing to undo; a string: refused, and why."""
    op = entry["op"]
    if op == "xmp":
        return _undo_xmp(entry, dest, dry_run)
    source = Path(entry["source"])
    if not os.path.lexists(dest):
        return False
    if op == "link":
        if not dest.is_symlink() or Path(os.readlink(dest)) != source.absolute():
            return f"{dest}: no longer a link to {source}; kept"
        _act(dry_run, dest.unlink)
        return True
    if op == "copy":
        if not source.is_file():
            return f"{dest}: its original {source} is gone, so this copy is the only one; kept"
        if not filecmp.cmp(source, dest, shallow=False):
            return f"{dest}: changed since it was copied from {source}; kept"
        _act(dry_run, dest.unlink)
        return True
    if os.path.lexists(source):  # a move: back to where it came from
        if source.is_file() and os.path.samefile(source, dest):  # cut short between link and unlink
            _act(dry_run, dest.unlink)
            return True
        return f"{dest}: cannot move back, {source} exists; kept"
    _act(dry_run, lambda: transfer("move", dest, source))
    return True


def _undo_xmp(entry: dict, dest: Path, dry_run: bool) -> bool | str:
    before = entry.get("before")
    if not dest.is_file():
        return False if before is None else f"{dest}: the sidecar is gone; its earlier content is in the undo list"
    now = dest.read_bytes()
    if sha256(now) != entry["after"]:
        if before is not None and now == before.encode("utf-8"):
            return False  # never written
        return f"{dest}: the sidecar changed since cull wrote it; kept"
    _act(dry_run, dest.unlink if before is None else lambda: write_file(dest, before.encode("utf-8")))
    return True


def _act(dry_run: bool, action) -> None:
    if not dry_run:
        action()


def _prune(folder: Path, top: Path) -> None:
    """Remove ``folder`` and its parents while they are empty, below ``top``."""
    top = top.absolute()
    folder = folder.absolute()
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
