"""reports/pixel_blur.md's section on the streak evidence (``lab.studies.pixel_blur_streaks``)."""

from __future__ import annotations

from lab.studies.pixel_blur_streaks import _score, _shaken


def _intro(part: dict) -> list[str]:
    fit, shipped = part["fit"], part["shipped"]
    return ["## Streak evidence: a long shake's erased edges", "",
            "msdunet.focus.streaks scores a photo by the sharp edges left across each direction against the "
            "contrast there (about 1: as sharp across one direction as across the other; near 0: edges erased "
            "where the contrast is), in two readings: the contrast projected on each direction (first), and "
            "binned by each pixel's own direction on the photo smoothed (second; tilted lines over a smooth "
            "surface fool the first). A photo is shaken (blurred, kind motion) when the first is under "
            f"`streak_below` = **{fit['streak_below']}** and the second under `streak_binned_below` = "
            f"**{fit['streak_binned_below']}** (shipped: {shipped['streak_below']}, {shipped['streak_binned_below']}). "
            f"Each limit fitted on its own on {fit['photos']['fitting']} fitting photos (DUT train and CUHK Kim "
            "train defocus photos, whole; lab/studies/pixel_blur_streaks.py): the largest score under which at "
            f"most {fit['false_rejects_allowed']:.0%} of them, unblurred, fall. Each photo once as it is and once "
            "shaken by a straight or curved path of length L px, judged at its size (`full`, up to 2048 px) and "
            "resized to 300–500 px (`small`, L in its px). σ rule: the pixels' judgement without the streak rule "
            "(no map); first: the first reading alone (the rule before the second reading); streak: both readings "
            "(the rule detect applies); trivial floor: reject nothing (0 of the shaken).", ""]  # fmt: skip


def _split(part: dict, split: str) -> list[str]:
    lines = [f"{split.replace('_', '-')} photos ({part['fit']['photos'][split]}):", "",
             "| size | unblurred rejected: σ rule / first / streak / either | shaken L px | photos | σ rule | first "
             "| streak | either |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in part[split]:
        n, u = row["unblurred"], row["unblurred_rejected"]
        kept = f"{u['by_sigma']}/{n} / {u['by_first']}/{n} / {u['by_streak']}/{n} / {u['either']}/{n}"
        for b in row["bins"]:
            m = b["photos"]
            lines.append(f"| {row['size']} | {kept} | {b['from']}–{b['to']} | {m} | {b['by_sigma']}/{m} | "
                         f"{b['by_first']}/{m} | {b['by_streak']}/{m} | {b['either']}/{m} |")  # fmt: skip
            kept = ""
    return [*lines, ""]


def _scenes(part: dict) -> list[str]:
    lines = ["Scenes (the unit tests' shapes, 1024 px, light noise, JPEG q92; panned: a sharp central disc over "
             "the scene blurred by a straight streak through the mask, `synthetic_blur.blur_through_mask`); "
             "score: first / second reading (the second is taken only under the first's limit):", "",
             "| scene | streak | full: score | verdict | σ px | 400 px: score | verdict | σ px |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in part["scenes"]:
        f, s = r["full"], r["400 px"]
        cells = [r["scene"], r["background_blur"] or "", _readings(f), f["verdict"], f["subject_blur_px"],
                 _readings(s), s["verdict"], s["subject_blur_px"]]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return [*lines, ""]


def _readings(row: dict) -> str:
    second = row.get("binned")
    return f"{row['streak']}" + ("" if second is None else f" / {second}")


def _camera(part: dict) -> list[str]:
    rows = part.get("camera")
    if not rows:
        return []
    rows = list({(r["photo"], tuple(r["size"])): r for r in rows}.values())  # a DNG's preview is smaller than 2048
    limits = part["fit"]["streak_below"], part["fit"]["streak_binned_below"]
    first = sum(1 for r in rows if _score(r) < limits[0])
    both = sum(1 for r in rows if _shaken(r, limits))
    lines = ["Real sharp camera photos (realworld's HEIC and DNG files, as shot and reduced with Lanczos as they "
             f"are shared), judged with the streak rule: the first reading alone would reject {first} of "
             f"{len(rows)}; both readings reject {both}. Not an independent test of the second reading, nor is "
             "the realworld/mxagar_blur300 table below: it was designed after the Samsung photo failed the first, "
             "and its form (contrast binned, on the photo smoothed by `SMOOTH` = 1.5 px) was chosen among five "
             "tried (binned as it is, smoothed 1.5 or 3 px, floor 4× the noise, evidence counted against all "
             "directions) after seeing their readings on these photos and on the mxagar ones (6_HUAWEI-MATE20_M "
             "is caught by this form, not by the floor-4× one). Its limit was fitted on the synthetic photos "
             "above only; the held-out synthetic rows are the independent test.", "",
             "| photo | size | streak: first / second | verdict (pixels, with the rule) | kind | σ px |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['photo']} | {r['size'][0]}×{r['size'][1]} | {_readings(r)} | {r['verdict']} | "
                     f"{r['blur_kind'] or ''} | {r['subject_blur_px']} |")  # fmt: skip
    return [*lines, ""]


def markdown(part: dict | None) -> list[str]:
    """The section (``part``: the report's ``streaks``); nothing when the part was not run."""
    if part is None:
        return []
    return [*_intro(part), *_split(part, "fitting"), *_split(part, "held_out"), *_scenes(part), *_camera(part)]
