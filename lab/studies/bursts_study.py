"""The sharpest of a burst, the sharpest frames of a video: ``msdunet cull --bursts`` and ``msdunet frames``
checked on material of known blur.

    python -m lab bursts_study [--data ../shared/data] [--scenes 120] [--windows 30] [--timing-photos 1000]
    python -m lab bursts_study --parts memory     # one part again, the others kept from reports/bursts.json

1. **Synthetic bursts** (``lab.studies.bursts_data``): benchmark photos shot 3–5 times each, re-framed
   and blurred by known kernels, in file order without EXIF times (the harder case: only the look
   separates two scenes).  Each shot is judged as detect does (``msdunet.focus.judge_photo``); then
   grouped and ranked by ``msdunet.cull.bursts``.  Scored: scenes grouped exactly, groups that mix
   scenes, the sharpest shot ranked first (within its own scene, and end to end), by the σ gap
   between the sharpest and the next.
2. **Real scenes**: the eight three-shot scenes (sharp, missed focus, shake) of
   ``realworld/mxagar_blur300`` (no EXIF times: file order): one group each, the sharp shot first.
3. **Likeness measures**: shots of one scene against different scenes (the next scene in file order,
   and 1000 random pairs of DUT test photos, all 320 × 320) for the shift-tolerant thumbnail
   correlation of ``msdunet.cull.likeness``, the same without shifts, and ``imagehash``'s perceptual
   hashes when installed (the ``bench`` extra); and the threshold ``SIMILAR_FROM`` swept.
4. **Video**, **time for 1000 photos** and **memory of a long video**: ``lab.studies.bursts_timing``.

Writes reports/bursts.json and reports/bursts.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from lab import ROOT
from lab.studies import bursts_timing
from lab.studies.bursts_data import burst, source_photos
from lab.studies.bursts_likeness import likeness_measures
from msdunet.cull import bursts
from msdunet.cull.bursts import Shot
from msdunet.data.sources import data_root
from msdunet.focus import judge_photo
from msdunet.io import read_image

THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def judged(paths: list[Path]) -> list[Shot]:
    """Each photo judged as detect does, its look and time read as cull does."""
    shots = []
    for path in paths:
        j = judge_photo(read_image(path))
        shots.append(Shot(str(path), j.subject_blur_px, j.sharp_share))
    return bursts.read_shots(shots)[0]


def make_synthetic(data: str | None, scenes: int, folder: Path) -> tuple[list[Path], dict[str, dict]]:
    """The burst files (file order mixes each burst's shots) and each file's truth."""
    rng = np.random.default_rng(0)
    truth, paths = {}, []
    for scene, (name, photo) in enumerate(source_photos(data, scenes)):
        shots = burst(photo, scene=scene, rng=rng)
        places = rng.permutation(len(shots))
        for k, shot in enumerate(shots):
            path = folder / f"{scene:03d}_{places[k]}.jpg"
            shot.image.save(path, quality=95)
            truth[str(path)] = {"scene": scene, "source": name, "sigma": shot.sigma, "kind": shot.kind}
            paths.append(path)
    return sorted(paths), truth


def scores(shots: list[Shot], scene_of: dict[str, int], sharpest: dict[int, set[str]], *, similar_from: float) -> dict:
    """Grouping and ranking against the truth (``sharpest``: each scene's sharpest path(s))."""
    rows = bursts.rank_groups(shots, bursts.group_shots(shots, similar_from=similar_from))
    members: dict[int, list[str]] = {}
    for row in rows:
        members.setdefault(row.group, []).append(row.path)
    groups_of: dict[int, set[int]] = {}
    for group, paths in members.items():
        for path in paths:
            groups_of.setdefault(scene_of[path], set()).add(group)
    size = {s: sum(1 for p in scene_of.values() if p == s) for s in sharpest}
    exact = {s for s, gs in groups_of.items() if len(gs) == 1 and len(members[next(iter(gs))]) == size[s]}
    first = {s for s in exact if members[next(iter(groups_of[s]))][0] in sharpest[s]}
    mixed = sum(1 for paths in members.values() if len({scene_of[p] for p in paths}) > 1)
    n = len(sharpest)
    return {
        "similar_from": similar_from, "scenes": n, "exact": len(exact), "mixed_groups": mixed,
        "split_scenes": sum(1 for gs in groups_of.values() if len(gs) > 1), "sharpest_first": len(first),
        "share_exact": round(len(exact) / n, 3), "share_sharpest_first": round(len(first) / n, 3),
    }  # fmt: skip


def ranking_alone(shots: list[Shot], truth: dict[str, dict]) -> dict:
    """Within each true scene: is a sharpest shot ranked first?  Overall and by the σ gap to the next."""
    by_scene: dict[int, list[Shot]] = {}
    for shot in shots:
        by_scene.setdefault(truth[shot.path]["scene"], []).append(shot)
    by_gap: dict[float, list[int]] = {}
    misses = []
    for scene, members in by_scene.items():
        sigmas = sorted({truth[s.path]["sigma"] for s in members})
        gap = round(sigmas[1] - sigmas[0], 2) if len(sigmas) > 1 else 0.0
        best = min(members, key=bursts.sharpness_key)
        right = truth[best.path]["sigma"] == sigmas[0]
        by_gap.setdefault(gap, [0, 0])[0 if right else 1] += 1
        if not right:
            read = {Path(s.path).name: [truth[s.path]["sigma"], s.subject_blur_px, s.sharp_share] for s in members}
            misses.append({"scene": scene, "source": truth[best.path]["source"], "gap": gap, "σ, read, share": read})
    right = sum(v[0] for v in by_gap.values())
    return {
        "scenes": len(by_scene), "sharpest_first": right, "share": round(right / len(by_scene), 3),
        "by_gap": {str(g): {"scenes": sum(v), "sharpest_first": v[0]} for g, v in sorted(by_gap.items())},
        "misses": misses,
    }  # fmt: skip


def synthetic(data: str | None, scenes: int, folder: Path) -> tuple[dict, list[Shot], dict[str, dict]]:
    paths, truth = make_synthetic(data, scenes, folder)
    shots = judged(paths)
    scene_of = {p: t["scene"] for p, t in truth.items()}
    low: dict[int, float] = {}
    for t in truth.values():
        low[t["scene"]] = min(low.get(t["scene"], 9.0), t["sigma"])
    sharpest: dict[int, set[str]] = {}
    for path, t in truth.items():
        if t["sigma"] == low[t["scene"]]:
            sharpest.setdefault(t["scene"], set()).add(path)
    sweep = [scores(shots, scene_of, sharpest, similar_from=thr) for thr in THRESHOLDS]
    report = {
        "shots": len(shots), "default": scores(shots, scene_of, sharpest, similar_from=bursts.SIMILAR_FROM),
        "sweep": sweep, "ranking_alone": ranking_alone(shots, truth),
    }  # fmt: skip
    return report, shots, truth


def realworld(data: str | None) -> tuple[dict, list[Shot]]:
    folder = data_root(data) / "realworld" / "mxagar_blur300"
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    shots = judged(paths)
    scene_of = {s.path: int(Path(s.path).name.split("_")[0]) for s in shots}
    sharpest = {scene: {s.path for s in shots if scene_of[s.path] == scene and "_S." in s.path} for scene in range(8)}
    found = bursts.rank_groups(shots, bursts.group_shots(shots))
    groups = [[Path(r.path).name, r.rank, r.subject_blur_px, r.sharp_share] for r in found]
    sweep = [scores(shots, scene_of, sharpest, similar_from=thr) for thr in THRESHOLDS]
    default = scores(shots, scene_of, sharpest, similar_from=bursts.SIMILAR_FROM)
    return {"folder": "realworld/mxagar_blur300", "default": default, "sweep": sweep, "rows": groups}, shots


PARTS = ("bursts", "video", "timing", "memory")


def bursts_part(data: str | None, *, scenes: int) -> dict:
    """Parts 1–3: synthetic bursts, the real scenes, the likeness measures."""
    folder = Path(tempfile.mkdtemp(prefix="bursts-synthetic-"))
    try:
        found, synthetic_shots, truth = synthetic(data, scenes, folder)
        print("synthetic:", json.dumps(found["default"]), "ranking alone:", found["ranking_alone"]["share"])
        real, real_shots = realworld(data)
        print("realworld:", json.dumps(real["default"]))
        like = likeness_measures(data, synthetic_shots, truth, real_shots)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"synthetic": found, "realworld": real, "likeness": like}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab bursts_study", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    parser.add_argument("--scenes", type=int, default=120, help="synthetic bursts (default 120)")
    parser.add_argument("--windows", type=int, default=30, help="video windows of 1 s at 10 fps (default 30)")
    parser.add_argument("--timing-photos", type=int, default=1000, help="photos cull groups for the timing")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"some of {','.join(PARTS)}; the others are "
                        "kept from the report already written")  # fmt: skip
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    out = ROOT / "reports" / "bursts.json"
    report: dict = json.loads(out.read_text()) if out.is_file() and parts != set(PARTS) else {}
    report.update({"similar_from": bursts.SIMILAR_FROM, "gap_s": bursts.GAP_S})
    if "bursts" in parts:
        report.update(bursts_part(args.data, scenes=args.scenes))
    if "video" in parts:
        report["video"] = bursts_timing.video(args.data, windows=args.windows)
        print("video:", json.dumps({k: v for k, v in report["video"].items() if k != "windows_detail"}))
    if "timing" in parts:
        report["timing"] = bursts_timing.timing(args.data, photos=args.timing_photos)
        print("timing:", json.dumps(report["timing"]))
    if "memory" in parts:
        report["memory"] = bursts_timing.memory(args.data)
        print("memory:", json.dumps(report["memory"]))
    out.write_text(json.dumps(report, indent=1) + "\n")
    from lab.studies.bursts_markdown import write_markdown

    write_markdown(report, ROOT / "reports" / "bursts.md")
    print("→", out)


if __name__ == "__main__":
    main()
