"""``msdunet cull OUT --into DIR``: sort the photos of a detect report into one folder per verdict,
rate them in XMP sidecars, and undo it all with ``msdunet cull --undo DIR``."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

VERBS = {"copy": "copied", "move": "moved", "link": "linked"}


@click.command("cull")
@click.argument("out", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--into", type=click.Path(path_type=Path, file_okay=False), help="Folder to sort the photos into.")
@click.option("--copy", "mode", flag_value="copy", default=True, help="Copy the photos (default).")
@click.option("--move", "mode", flag_value="move", help="Move the photos.")
@click.option("--link", "mode", flag_value="link", help="Symbolic links to the photos.")
@click.option("--xmp", is_flag=True, help="Write rating and colour label into each photo's XMP sidecar.")
@click.option(
    "--xmp-name",
    type=click.Choice(["photo.xmp", "photo.ext.xmp"]),
    default="photo.xmp",
    show_default=True,
    help="Sidecar naming: photo.xmp (Lightroom, Bridge) or photo.ext.xmp (darktable, digiKam).",
)
@click.option(
    "--bursts",
    is_flag=True,
    help="Group near-duplicate shots (taken within --gap by EXIF time, else next in file order, and alike to "
    "the eye), rank each group by the subject's blur into OUT/bursts.csv (rank 1 = sharpest). With --into the "
    "sharpest of each group goes to its verdict's folder, the others to DIR/similar/; with --xmp the others "
    "get the Purple label and keep their verdict's stars (a label, not a reject: the sharpest is not always "
    "the moment wanted, and rejects are what some tools bulk-delete).",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0, min_open=True),
    help="With --bursts: the longest time between two shots of a burst, in seconds (default 2).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option("--undo", "undo_dir", type=click.Path(path_type=Path, file_okay=False), help="Undo a cull into DIR.")
@click.option("-v", "--verbose", is_flag=True, help="One line per file.")
def command(out, into, mode, xmp, xmp_name, bursts, gap, dry_run, undo_dir, verbose):
    """Sort the photos of OUT's report into DIR/<verdict>/<their relative path>.

    Folders: sharp, subject-in-focus, blurred; picked and rejected where OUT's picks.csv (columns
    path,pick) says pick or reject. Nothing is overwritten: a taken name gets _2, _3, ... Photos
    whose row has an error are skipped. Every operation goes into DIR/.msdunet-cull-undo.jsonl
    first; `msdunet cull --undo DIR` reverses them, refusing whatever changed since. Without
    --into, --xmp rates the photos where they are (the undo list is then in OUT). --bursts alone
    only writes OUT/bursts.csv (path, group, rank, subject_blur_px, sharp_share); with --into a
    burst's other shots go to similar/ (a pick or reject still wins).

    Exit status: 0 all done, 1 some photos skipped, 2 usage error or unusable report.
    """
    if undo_dir is not None:
        if out is not None or into is not None or xmp or bursts:
            raise click.UsageError("--undo DIR takes no OUT, --into, --xmp or --bursts")
        sys.exit(_undo(undo_dir, dry_run))
    _check_usage(out=out, into=into, mode=mode, xmp=xmp, bursts=bursts, gap=gap)
    from msdunet.cull import sort as culling
    from msdunet.cull import xmp as sidecars

    if xmp:
        try:
            sidecars.check_library()
        except ImportError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    try:
        selection = culling.select(out)
    except culling.CullError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if selection.picked:
        click.echo(f"picks.csv: {selection.picked} photo(s) go to picked/ or rejected/", err=True)
    for path in selection.unmatched_picks:
        click.echo(f"warning: picks.csv names {path}, which has no verdict in the report", err=True)

    photos = selection.photos
    if bursts:
        photos = _bursts(out, photos, gap=gap, dry_run=dry_run)
        if into is None and not xmp:
            for skip in selection.skipped:
                click.echo(f"skipped {skip.path}: {skip.reason}", err=True)
            sys.exit(1 if selection.skipped else 0)
    log_dir = into if into is not None else out
    result = culling.cull(
        photos,
        into=into,
        log_dir=log_dir,
        mode=mode,
        sidecar=xmp_name if xmp else None,
        dry_run=dry_run,
        on_step=_shower(dry_run=dry_run, verbose=verbose),
    )
    skipped = selection.skipped + result.skipped
    for skip in skipped:
        click.echo(f"skipped {skip.path}: {skip.reason}", err=True)
    summary = _summary(result, mode=mode, into=into, log_dir=log_dir, dry_run=dry_run, skipped=len(skipped))
    click.echo(summary, err=True)
    sys.exit(1 if skipped else 0)


def _check_usage(*, out, into, mode: str, xmp: bool, bursts: bool, gap) -> None:
    """The usage errors of a cull (not an undo), before anything is read."""
    if out is None:
        raise click.UsageError("name a detect output folder OUT (or --undo DIR)")
    if gap is not None and not bursts:
        raise click.UsageError("--gap goes with --bursts")
    if into is None and not xmp and not bursts:
        raise click.UsageError("say where to sort the photos (--into DIR) or use --xmp to rate them in place")
    if into is None and mode != "copy":
        raise click.UsageError(f"--{mode} needs --into DIR")


def _bursts(out: Path, photos: list, *, gap: float | None, dry_run: bool) -> list:
    """Group and rank the bursts, write OUT/bursts.csv (not in a dry run), say so; the photos marked."""
    from msdunet.cull import bursts as burst_groups

    found = burst_groups.find_bursts(burst_groups.shots_of(photos), gap=burst_groups.GAP_S if gap is None else gap)
    for path, why in found.unread:
        click.echo(f"warning: {path} could not be read for --bursts ({why}); left out of every burst", err=True)
    target = out / burst_groups.BURSTS_NAME
    if not dry_run:
        burst_groups.write_bursts(target, found)
    done = "would write" if dry_run else "wrote"
    click.echo(
        f"bursts: {found.groups} group(s) of similar shots, {len(found.similar)} photo(s) not the sharpest "
        f"of theirs; {done} {target}",
        err=True,
    )
    return burst_groups.mark_similar(photos, found)


def _shower(*, dry_run: bool, verbose: bool):
    """What prints each step (a dry run's and --verbose's), or None."""

    def show(step):
        doing = "would " + step.op if dry_run else step.op
        click.echo(f"{doing}: {step.source} -> {step.dest}" if step.source else f"{doing}: {step.dest}")

    return show if dry_run or verbose else None


def _summary(result, *, mode: str, into: Path | None, log_dir: Path, dry_run: bool, skipped: int) -> str:
    folders = Counter(s.folder for s in result.steps if s.folder)
    rated = sum(1 for s in result.steps if s.op == "xmp")
    parts = []
    if into is not None:
        per = ", ".join(f"{name} {n}" for name, n in sorted(folders.items()))
        parts.append(f"{sum(folders.values())} photo(s) {VERBS[mode]} into {into}" + (f" ({per})" if per else ""))
        if result.already:
            parts.append(f"{result.already} sorted by an earlier run")
    if rated:
        parts.append(f"{rated} sidecar(s) written")
    if skipped:
        parts.append(f"{skipped} skipped")
    text = "; ".join(parts) or "nothing to do"
    if dry_run:
        return "dry run, nothing changed: " + text.replace(VERBS[mode], f"would be {VERBS[mode]}")
    return f"{text}. Undo: msdunet cull --undo {log_dir}" if result.steps else text


def _undo(folder: Path, dry_run: bool) -> int:
    from msdunet.cull.undo import undo

    try:
        result = undo(folder, dry_run=dry_run)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    for message in result.refused:
        click.echo(f"refused: {message}", err=True)
    prefix = "dry run, nothing changed: would undo" if dry_run else "undone"
    kept = f"; {len(result.refused)} refused and kept in the undo list" if result.refused else ""
    click.echo(f"{prefix} {result.undone} operation(s){kept}", err=True)
    if result.refused:
        click.echo("the refused files are left as they are: deal with each as its line says (keep the changed "
                   "copy elsewhere, delete it, or free the original's place), then run --undo again: it retries "
                   "only what it kept", err=True)  # fmt: skip
    return 1 if result.refused else 0
