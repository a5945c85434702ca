"""Part 3 of ``python -m lab bursts_study``: which likeness tells shots of one scene from different scenes.

Pairs: every two shots of one synthetic burst or one real scene (``alike``), against the last shot of
a scene and the first of the next in file order plus 1000 random pairs of different DUT test photos
(all 320 × 320, so no aspect ratio tells them apart) (``different``).  Per measure: the AUC (chance
that an alike pair scores above a different one), the best threshold's balanced accuracy, and the
same on the real scenes alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from msdunet.cull import bursts, likeness
from msdunet.cull.bursts import Shot
from msdunet.data.sources import dataset_samples

RANDOM_PAIRS = 1000


def _no_shift(a: likeness.Look, b: likeness.Look) -> float:
    if abs(np.log(a.aspect / b.aspect)) > likeness.ASPECT_TOLERANCE:
        return 0.0
    return float((a.thumb * b.thumb).sum() / np.sqrt((a.thumb**2).sum() * (b.thumb**2).sum()))


def _grey_look(path: Path) -> likeness.Look:
    with Image.open(path) as image:
        return likeness.look_of_image(image.convert("L"))  # no colour differences: luma alone


def measures() -> dict[str, tuple[Callable[[Path], object], Callable[[object, object], float]]]:
    """name → (feature of a file, similarity of two features)."""
    found = {
        "colour thumbnail correlation, shifts ±6 px (msdunet.cull.likeness)": (likeness.look_of, likeness.similarity),
        "the same in grey": (_grey_look, likeness.similarity),
        "the same without shifts": (likeness.look_of, _no_shift),
    }
    try:
        import imagehash
    except ImportError:
        return found
    for name in ("phash", "dhash", "whash", "average_hash", "colorhash"):
        function = getattr(imagehash, name)

        def feature(path: Path, function=function):
            with Image.open(path) as image:
                return function(image.convert("RGB"))

        found[f"imagehash.{name} (−Hamming distance)"] = (feature, lambda a, b: -float(a - b))
    return found


def _scene_pairs(paths_by_scene: dict[int, list[str]]) -> tuple[list, list]:
    alike = [pair for paths in paths_by_scene.values() for pair in itertools.combinations(sorted(paths), 2)]
    ordered = sorted((p, s) for s, paths in paths_by_scene.items() for p in paths)
    different = [(a, b) for (a, sa), (b, sb) in itertools.pairwise(ordered) if sa != sb]
    return alike, different


def pairs(synthetic: dict[str, int], real: dict[str, int], data: str | None) -> dict[str, list]:
    def by_scene(scene_of: dict[str, int]) -> dict[int, list[str]]:
        grouped: dict[int, list[str]] = {}
        for path, scene in scene_of.items():
            grouped.setdefault(scene, []).append(path)
        return grouped

    syn_alike, syn_next = _scene_pairs(by_scene(synthetic))
    real_alike, real_next = _scene_pairs(by_scene(real))
    dut = [str(s.image) for s in dataset_samples("dut", "test", data)]
    rng = np.random.default_rng(1)
    random_pairs = []
    while len(random_pairs) < RANDOM_PAIRS:
        i, j = rng.choice(len(dut), 2, replace=False)
        random_pairs.append((dut[i], dut[j]))
    return {"synthetic alike": syn_alike, "synthetic next scene": syn_next, "real alike": real_alike,
            "real next scene": real_next, "DUT random": random_pairs}  # fmt: skip


def auc(alike: np.ndarray, different: np.ndarray) -> float:
    """P(alike > different) + ½ P(tie)."""
    above = (alike[:, None] > different[None, :]).mean()
    ties = (alike[:, None] == different[None, :]).mean()
    return float(above + 0.5 * ties)


def best_threshold(alike: np.ndarray, different: np.ndarray) -> dict:
    """The threshold (score ≥ it: alike) of the best balanced accuracy, and the rates there."""
    best = {"balanced_accuracy": 0.0}
    for t in np.unique(np.concatenate([alike, different])):
        recall, false = float((alike >= t).mean()), float((different >= t).mean())
        balanced = (recall + 1 - false) / 2
        if balanced > best["balanced_accuracy"]:
            best = {"threshold": round(float(t), 3), "balanced_accuracy": round(balanced, 3),
                    "alike_recall": round(recall, 3), "different_false_alike": round(false, 3)}  # fmt: skip
    return best


def likeness_measures(data: str | None, synthetic: list[Shot], truth: dict[str, dict], real: list[Shot]) -> dict:
    real_scene = {s.path: int(Path(s.path).name.split("_")[0]) for s in real}
    sets = pairs({s.path: truth[s.path]["scene"] for s in synthetic}, real_scene, data)
    files = sorted({p for pair_list in sets.values() for pair in pair_list for p in pair})
    report: dict = {"pairs": {name: len(v) for name, v in sets.items()}, "measures": {}}
    for name, (feature, similar) in measures().items():
        features = {p: feature(Path(p)) for p in files}
        score = {k: np.array([similar(features[a], features[b]) for a, b in v]) for k, v in sets.items()}
        alike = np.concatenate([score["synthetic alike"], score["real alike"]])
        different = np.concatenate([score["synthetic next scene"], score["real next scene"], score["DUT random"]])
        real_different = np.concatenate([score["real next scene"], score["DUT random"]])
        report["measures"][name] = {
            "auc": round(auc(alike, different), 4), "best": best_threshold(alike, different),
            "auc_real": round(auc(score["real alike"], real_different), 4),
            "best_real": best_threshold(score["real alike"], real_different),
            "lowest_alike": {k: round(float(score[k].min()), 3) for k in ("synthetic alike", "real alike")},
            "highest_different": {k: round(float(score[k].max()), 3) for k in ("real next scene", "DUT random")},
        }  # fmt: skip
    report["dut_random_alike_by_threshold"] = {}
    for name, look in (("colour", likeness.look_of), ("grey", _grey_look)):
        features = {p: look(Path(p)) for p in files}
        random_scores = np.array([likeness.similarity(features[a], features[b]) for a, b in sets["DUT random"]])
        report["dut_random_alike_by_threshold"][name] = {
            str(t): round(float((random_scores >= t).mean()), 4) for t in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
        }
    report["similar_from"] = bursts.SIMILAR_FROM
    return report
