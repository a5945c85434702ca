"""Sort the photos of a detect report into one folder per verdict, and rate them in XMP sidecars.

A photo goes to ``DIR/<folder>/<relative path>``: the folder is its verdict's (``sharp``,
``subject-in-focus``, ``blurred``), or ``picked`` / ``rejected`` when OUT's ``picks.csv`` (columns
``path,pick``, values ``pick`` / ``reject``, written by the review in ``msdunet serve``) names it; the
relative path is the one detect mirrored its outputs under (the map's folder in OUT and the photo's
own name).  Rows with an error have no verdict and are skipped, as are photos no longer found.

Never overwrites: when a name is taken (by a file already there, or by another photo of this run
with the same relative path), the photo gets ``name_2.ext``, ``name_3.ext``, ...  Existing sidecars
(``photo.xmp``, ``photo.ext.xmp``) go along with their photo (copied for ``copy`` and ``link``, moved
for ``move``) under the photo's new name.  Every operation is in the undo list first
(``msdunet.cull.undo``); a photo the list shows as already sorted is not sorted again, so an
interrupted run is simply run again.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from msdunet.cull import xmp
from msdunet.cull.picks import PICKS_NAME, PicksError, read_picks
from msdunet.cull.undo import FILE_OPS, UndoLog, transfer, write_file
from msdunet.detect.report import ReportError, read_report
from msdunet.focus import VERDICTS

VERDICT_FOLDERS = {"sharp": "sharp", "subject in focus": "subject-in-focus", "blurred": "blurred"}
PICK_FOLDERS = {"pick": "picked", "reject": "rejected"}
SIMILAR_FOLDER = "similar"  # a burst's shots but its sharpest (msdunet.cull.bursts)


class CullError(ValueError):
    """A report or picks file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Photo:
    source: Path  # the original, as the report names it
    rel: Path  # its path under the input root, as detect mirrored it
    verdict: str
    pick: str = ""  # "", "pick" or "reject"
    subject_blur_px: float | None = None  # the report's: rank a burst
    sharp_share: float | None = None
    shaken: bool = False  # the report's: a long shake's blur reads small, so a burst ranks it last
    similar: bool = False  # in a burst, not its sharpest

    @property
    def folder(self) -> str:
        return PICK_FOLDERS.get(self.pick) or (SIMILAR_FOLDER if self.similar else VERDICT_FOLDERS[self.verdict])


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str


@dataclass(frozen=True)
class Selection:
    photos: list[Photo]
    skipped: list[Skip]
    picked: int  # photos whose folder a pick decides
    unmatched_picks: list[str]  # paths in picks.csv that no usable row has


@dataclass(frozen=True)
class Step:
    """One operation done (or, in a dry run, to do)."""

    op: str  # copy, move, link or xmp
    source: Path | None
    dest: Path
    folder: str = ""  # the photo's folder (empty for sidecars)


@dataclass
class CullResult:
    steps: list[Step] = field(default_factory=list)
    already: int = 0  # photos an earlier run sorted (per the undo list)
    skipped: list[Skip] = field(default_factory=list)


def select(out: Path) -> Selection:
    """The photos of OUT's report that can be sorted, with picks applied, and the rows skipped."""
    try:
        picks = read_picks(out / PICKS_NAME)
    except PicksError as exc:
        raise CullError(str(exc)) from exc
    try:
        report = read_report(out)
    except ReportError as exc:
        raise CullError(str(exc)) from exc
    if not report.source:
        raise CullError(f"{out}: no report.json or report.csv (is it a `msdunet detect -o` folder?)")
    photos, skipped, used = [], [], set()
    for row in report.rows:
        path = row.path
        if row.error:
            skipped.append(Skip(path, f"detect failed ({row.error})"))
            continue
        if row.verdict not in VERDICTS or not row.output:
            skipped.append(Skip(path, f"no verdict in the report ({row.verdict!r}); run detect again"))
            continue
        rel = Path(row.output).parent / Path(path).name
        key = next((k for k in (path, rel.as_posix()) if k in picks), None)
        used.add(key)
        pick = picks.get(key, "")
        blur = {"subject_blur_px": row.subject_blur_px, "sharp_share": row.sharp_share, "shaken": row.shaken}
        photos.append(Photo(Path(path), rel, row.verdict, pick, **blur))
    unmatched = sorted(set(picks) - used)
    return Selection(photos, skipped, sum(1 for p in photos if p.pick), unmatched)


def missing(source: Path) -> str:
    """Why a photo of the report is skipped when it is not where the report says."""
    if source.is_absolute():
        return "not found (moved or deleted since detect?)"
    return (f"not found from {Path.cwd()}: the report's paths are relative to the folder detect ran in, so run "
            "cull from there (or the photo was moved or deleted since detect)")  # fmt: skip


def cull(
    photos: list[Photo],
    *,
    into: Path | None,
    log_dir: Path,
    mode: str = "copy",
    sidecar: str | None = None,
    dry_run: bool = False,
    on_step: Callable[[Step], None] | None = None,
) -> CullResult:
    """Sort ``photos`` into ``into`` (or leave them where they are when None) and, with ``sidecar``
    (a naming of ``xmp.SIDECAR_NAMINGS``), write each one's rating and label; the undo list is kept
    in ``log_dir``."""
    if mode not in FILE_OPS:
        raise ValueError(f"mode is one of {FILE_OPS}, not {mode!r}")
    run = _Run(into=into, mode=mode, sidecar=sidecar, dry_run=dry_run, log=UndoLog(log_dir), on_step=on_step)
    earlier = _sorted_before(run.log.entries())
    try:
        for photo in photos:
            source = photo.source.absolute()
            placed = source
            if into is not None:
                op, placed = earlier.get(source, ("", None))
                if placed is not None:
                    run.result.already += 1
                    if op == "move":
                        _finish_move(source, placed, dry_run)
                elif not source.is_file():
                    run.skip(photo, missing(photo.source))
                    continue
                else:
                    try:
                        placed = run.sort_one(photo, source)
                    except OSError as exc:
                        run.skip(photo, f"not sorted ({exc})")
                        continue
            elif not source.is_file():
                run.skip(photo, missing(photo.source))
                continue
            if sidecar:
                run.rate(photo, placed)
    finally:
        run.log.close()
    return run.result


def _sorted_before(entries: list[dict]) -> dict[Path, tuple[str, Path]]:
    """source → (operation, dest) of the photos an earlier run sorted and that are still there."""
    done = {}
    for entry in entries:
        if entry.get("op") in FILE_OPS and entry.get("kind") == "photo" and os.path.lexists(entry["dest"]):
            done[Path(entry["source"])] = (entry["op"], Path(entry["dest"]))
    return done


def _finish_move(source: Path, dest: Path, dry_run: bool) -> None:
    """A move interrupted between its two names: drop the old one."""
    if not dry_run and source.is_file() and dest.is_file() and os.path.samefile(source, dest):
        source.unlink()


def _companions(source: Path) -> list[tuple[str, Path]]:
    """(naming, path) of the sidecars already beside a photo."""
    found = [(naming, xmp.sidecar_path(source, naming)) for naming in xmp.SIDECAR_NAMINGS]
    return [(naming, path) for naming, path in found if path.is_file()]


def _candidates(path: Path) -> Iterator[Path]:
    yield path
    for i in itertools.count(2):
        yield path.with_name(f"{path.stem}_{i}{path.suffix}")


@dataclass
class _Run:
    """One cull: its settings, its undo log, and what it has done so far."""

    into: Path | None
    mode: str
    sidecar: str | None
    dry_run: bool
    log: UndoLog
    on_step: Callable[[Step], None] | None
    result: CullResult = field(default_factory=CullResult)
    taken: set[Path] = field(default_factory=set)  # names given to files in this run
    rated: dict[Path, str] = field(default_factory=dict)  # sidecar → the photo it was written for

    def record(self, step: Step) -> None:
        self.result.steps.append(step)
        if self.on_step:
            self.on_step(step)

    def skip(self, photo: Photo, reason: str) -> None:
        self.result.skipped.append(Skip(str(photo.source), reason))

    def sort_one(self, photo: Photo, source: Path) -> Path:
        """Place one photo and its sidecars under a name that is free for all of them; returns its place."""
        companions = _companions(source)

        def names(dest: Path) -> list[Path]:
            carried = [xmp.sidecar_path(dest, naming) for naming, _ in companions]
            return [dest, *carried, *([xmp.sidecar_path(dest, self.sidecar)] if self.sidecar else [])]

        dest = next(
            d
            for d in _candidates(self.into.absolute() / photo.folder / photo.rel)
            if not any(os.path.lexists(n) or n in self.taken for n in names(d))
        )
        wanted = names(dest)
        self.taken.update(wanted)
        plan = [(self.mode, source, dest, "photo")]
        carry = "move" if self.mode == "move" else "copy"  # a link's sidecars are copies: a tool may write to them
        plan += [(carry, c, n, "sidecar") for (_, c), n in zip(companions, wanted[1:], strict=False)]
        for op, src, dst, kind in plan:
            if not self.dry_run:
                self.log.add({"op": op, "kind": kind, "source": str(src), "dest": str(dst)})
                transfer(op, src, dst)
            self.record(Step(op, src, dst, photo.folder if kind == "photo" else ""))
        return dest

    def rate(self, photo: Photo, placed: Path) -> None:
        """Merge the photo's rating and label into its sidecar (once per sidecar in a run)."""
        path = xmp.sidecar_path(placed, self.sidecar)
        if path in self.rated:
            self.skip(photo, f"its sidecar {path} is {self.rated[path]}'s too; use --xmp-name photo.ext.xmp")
            return
        self.rated[path] = photo.source.name
        if self.dry_run:
            self.record(Step("xmp", None, path))
            return
        before = path.read_bytes() if path.is_file() else None
        rating, label = xmp.marks(photo.verdict, photo.pick, similar=photo.similar)
        try:
            after = xmp.merged(before, rating, label, path=path)
        except xmp.SidecarError as exc:
            self.skip(photo, str(exc))
            return
        if after is None:
            return
        log_entry = {"op": "xmp", "dest": str(path), "before": None if before is None else before.decode("utf-8")}
        self.log.add({**log_entry, "after": xmp.sha256(after)})
        write_file(path, after)
        self.record(Step("xmp", None, path))
