"""Where the benchmark images and masks are: CUHK, DUT-DBD, or any ``image/`` + ``gt/`` folder pair.

Files are matched by stem, whatever the extension (CUHK has ``.jpg`` and ``.JPG``).  Split names
are the files in each dataset's ``splits/`` folder, or one of the aliases below (the paper's three
settings and the Sun-2019 split of the peers' maps).  The data root is ``--data``, else
``$MSDUNET_DATA``, else ``../shared/data`` from the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATASETS = ("dut", "cuhk", "folder")
CUHK_ALIASES = {
    "kim_train": "kim2018_train",
    "kim_test": "kim2018_test",
    "defocus_train": "cuhk_defocus_btbnet_train604",
    "defocus_test": "cuhk_defocus_btbnet_test100",
    "sun_train": "bd_efpn_sun2019_train800_inferred",
    "sun_test": "bd_efpn_sun2019_test200_inferred",
}


@dataclass(frozen=True)
class TestSet:
    """A test split under its name in a shipped model's card (``metrics`` keys) and in tables."""

    dataset: str
    split: str
    label: str


# What a shipped model is scored on (lab/studies/ship_weights.py writes these keys, ``msdunet models`` reads them):
# the paper's two test sets, then two that published methods report on.
CARD_TEST_SETS = {
    "dut_test": TestSet("dut", "test", "DUT-DBD test"),
    "kim_test": TestSet("cuhk", "kim_test", "CUHK Kim test"),
    "cuhk_star_test": TestSet("cuhk", "defocus_test", "CUHK* BTBNet defocus test"),
    "sun_test": TestSet("cuhk", "sun_test", "CUHK Sun-2019 test"),
}


@dataclass(frozen=True)
class Sample:
    stem: str
    image: Path
    mask: Path


def data_root(root: str | os.PathLike | None = None) -> Path:
    return Path(root or os.environ.get("MSDUNET_DATA") or "../shared/data")


def read_stems(path: str | os.PathLike) -> list[str]:
    """One stem per line; blank lines and ``#`` comments ignored; extensions stripped."""
    stems = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            stems.append(Path(line).stem if "." in line else line)
    return stems


def files_by_stem(folder: Path, *, tag: str = "", recursive: bool = False) -> dict[str, list[Path]]:
    """Files by stem (usually one each), hidden ones left out.  With ``tag``, a file whose stem ends
    in it also answers to the stem without it (``x_blur.png`` → ``x``, as ``msdunet detect`` names
    its maps), unless a file has that stem itself.  ``recursive`` looks in subfolders too (detect's
    mirrored output tree)."""
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*") if recursive else folder.iterdir()):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            files.setdefault(path.stem, []).append(path)
    if tag:
        for stem, paths in list(files.items()):
            if stem.endswith(tag) and len(stem) > len(tag):
                files.setdefault(stem[: -len(tag)], paths)
    return files


def pair_folder(
    image_dir: Path,
    gt_dir: Path,
    stems: list[str] | None = None,
    *,
    tag: str = "",
    recursive: bool = False,
    every_mask: bool = False,
) -> list[Sample]:
    """Pair files of IMAGE_DIR (images, or maps with ``tag``/``recursive`` as in ``files_by_stem``)
    with masks by stem.  Without STEMS: the stems on both sides, or with ``every_mask`` every mask's
    stem; a stem asked for but missing on either side is an error naming the first few."""
    images, masks = files_by_stem(image_dir, tag=tag, recursive=recursive), files_by_stem(gt_dir)
    if stems is None:
        stems = sorted(masks) if every_mask else sorted(set(images) & set(masks))
    for side, folder, files in (("map" if tag else "image", image_dir, images), ("mask", gt_dir, masks)):
        missing = [s for s in stems if s not in files]
        if missing:
            raise FileNotFoundError(f"{len(missing)} stem(s) have no {side} in {folder}: {missing[:5]}")
        ambiguous = next((files[s] for s in stems if len(files[s]) > 1), None)
        if ambiguous:  # one stem in two places: refuse rather than score against the wrong mask
            raise ValueError(f"stem {ambiguous[0].stem!r} is ambiguous in {folder}: " + ", ".join(map(str, ambiguous)))
    return [Sample(s, images[s][0], masks[s][0]) for s in stems]


def dataset_samples(dataset: str, split: str, root: str | os.PathLike | None = None) -> list[Sample]:
    """The samples of one split.

    * ``dut``: split ``train`` or ``test`` (600 / 500).
    * ``cuhk``: a file name in ``cuhk/splits`` (without ``.txt``), an alias in ``CUHK_ALIASES``,
      or ``all``.
    * ``folder``: ``root`` holds ``image/`` and ``gt/``; split ``all`` or a path to a stems file.
    """
    base = data_root(root)
    if dataset == "dut":
        if split not in ("train", "test"):
            raise ValueError(f"DUT splits are 'train' and 'test', not {split!r}")
        d = base / "dut"
        return pair_folder(d / split / "image", d / split / "gt", read_stems(d / "splits" / f"{split}.txt"))
    if dataset == "cuhk":
        d = base / "cuhk"
        if split == "all":
            return pair_folder(d / "image", d / "gt")
        name = CUHK_ALIASES.get(split, split)
        split_file = d / "splits" / f"{name}.txt"
        if not split_file.exists():
            known = sorted(CUHK_ALIASES) + sorted(p.stem for p in (d / "splits").glob("*.txt"))
            raise ValueError(f"unknown CUHK split {split!r}; known: {', '.join(known)}")
        return pair_folder(d / "image", d / "gt", read_stems(split_file))
    if dataset == "folder":
        stems = None if split == "all" else read_stems(split)
        return pair_folder(base / "image", base / "gt", stems)
    raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
