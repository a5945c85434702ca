"""Photo formats as cameras and phones really write them: a HEIC with an EXIF orientation but no
rotation box of its own (made here), and the real HEIC, AVIF, DNG and GoPro GPR files of
``realworld/`` in the data folder (skipped when it is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from msdunet.detect.outputs import MAP_SIZE, bounded
from msdunet.io import ImageReadError, image_size, read_image, scan_inputs
from msdunet.io import formats as io_formats

from .conftest import DATA, invoke
from .test_formats import marked, pidng_dng, red_corner

pillow_heif = pytest.importorskip("pillow_heif")
io_formats.enable_heif()  # Pillow saves HEIF through pillow-heif's plugin


def heic_without_irot(path: Path, rgb: np.ndarray, orientation: int, monkeypatch) -> Path:
    """A HEIC whose EXIF says ``orientation`` but that has no irot/imir box (pillow-heif would write
    one from the EXIF orientation: stopped here, as some phones' files have none)."""
    from pillow_heif import as_plugin

    exif = Image.Exif()
    exif[0x0112] = orientation
    with monkeypatch.context() as m:
        m.setattr(as_plugin, "_get_orientation_for_encoder", lambda info: 1)
        Image.fromarray(rgb).save(path, format="HEIF", quality=95, exif=exif.tobytes())
    return path


@pytest.mark.parametrize(("orientation", "size", "corner"), [(6, (32, 64), "top-right"), (3, (64, 32), "bottom-right")])
def test_heic_with_exif_orientation_and_no_irot_comes_out_upright(tmp_path, monkeypatch, orientation, size, corner):
    path = heic_without_irot(tmp_path / "p.heic", marked(64, 32), orientation, monkeypatch)
    with Image.open(path) as opened:  # what pillow-heif gives: not turned, EXIF orientation reset to 1
        assert opened.size == (64, 32) and opened.info["original_orientation"] == orientation
    assert not io_formats.heif_turns_itself(path)
    image = read_image(path)
    assert image.size == size == image_size(path)
    assert red_corner(image) == corner


def test_heic_with_its_own_irot_is_turned_once(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(marked(64, 32)).save(tmp_path / "p.heic", format="HEIF", exif=exif.tobytes())
    assert io_formats.heif_turns_itself(tmp_path / "p.heic")  # libheif turns it; the EXIF tag must not again
    assert read_image(tmp_path / "p.heic").size == (32, 64) == image_size(tmp_path / "p.heic")
    assert red_corner(read_image(tmp_path / "p.heic")) == "top-right"


def test_boxes_that_cannot_be_read_leave_the_image_as_libheif_gives_it(tmp_path):
    (tmp_path / "cut.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 12 + b"\x00\x00\x01\x00meta")
    assert io_formats.heif_turns_itself(tmp_path / "cut.heic")
    assert io_formats.heif_turns_itself(tmp_path / "missing.heic")


def vc5_dng(path: Path) -> Path:
    """A DNG whose Compression tag says VC-5 (9), as GoPro's GPR raws do: stock LibRaw opens it and
    cannot decode its data (the data itself is pidng's, uncompressed)."""
    import tifffile

    made = pidng_dng(path.with_suffix(".dng"))
    with tifffile.TiffFile(made, mode="r+b") as tif:
        tif.pages[0].tags["Compression"].overwrite(9)
    return made.rename(path)


def test_gpr_is_a_photo_and_its_problem_is_named(tmp_path, tiny_weights):
    path = vc5_dng(tmp_path / "GOPR0001.GPR")
    assert [f.path.name for f in scan_inputs([tmp_path]).inputs] == ["GOPR0001.GPR"]
    with pytest.raises(ImageReadError, match=r"GOPR0001\.GPR: a GoPro GPR raw \(DNG with VC-5 compression\)") as caught:
        read_image(path)
    assert "gpr_tools -i GOPR0001.GPR -o GOPR0001.DNG" in str(caught.value)
    result = invoke(["detect", tmp_path, "-o", tmp_path / "out", "--weights", tiny_weights, "-q"])
    assert result.exit_code == 1 and "VC-5" in result.stderr and "Traceback" not in result.output
    assert "skipped" not in result.stderr


REAL = DATA / "realworld"
needs_real = pytest.mark.skipif(not (REAL / "README.md").exists(), reason=f"real photos not found at {REAL}")
UPRIGHT = {  # (width, height) as the photo is seen
    "mde_heic/iphone11pro_IMG_2929.HEIC": (3024, 4032),
    "mde_heic/samsung_SM-G975F_issue487.heic": (3024, 4032),  # irot 270 and EXIF 6
    "photoprism_formats/iphone_15_pro.heic": (3024, 4032),
    "photoprism_formats/iphone_7.heic": (3024, 4032),  # EXIF 6 and no irot
    "photoprism_formats/canon_eos_6d.dng": (1024, 683),  # its embedded preview
    "photoprism_formats/fox.profile0.8bpc.yuv420.avif": (1204, 800),
}
GPRS = ("gopro_gpr/GOPR0024.GPR", "gopro_gpr/GOPR9231.GPR")


@needs_real
@pytest.mark.parametrize(("name", "size"), UPRIGHT.items())
def test_real_photo_decodes_upright(name, size):
    if name.endswith(".avif") and not features.check("avif"):
        pytest.skip("this Pillow was built without AVIF")
    image = read_image(REAL / name)
    assert image.mode == "RGB" and image.size == size == image_size(REAL / name)


@needs_real
@pytest.mark.parametrize("name", GPRS)
def test_real_gpr_says_what_it_is_and_what_to_do(name):
    with pytest.raises(ImageReadError, match=rf"{Path(name).name}: a GoPro GPR raw .*VC-5.*gpr_tools -i"):
        read_image(REAL / name)


@needs_real
def test_detect_over_the_real_formats(tmp_path, tiny_weights):
    folders = [REAL / "mde_heic", REAL / "photoprism_formats", REAL / "gopro_gpr"]
    out = tmp_path / "out"
    result = invoke(["detect", *folders, "-o", out, "--weights", tiny_weights, "-q"])
    assert result.exit_code == 1, result.output  # the two GPRs
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output  # (the manifests are skipped: not images)
    with open(out / "report.csv", newline="") as f:
        rows = {Path(r["path"]).relative_to(REAL).as_posix(): r for r in csv.DictReader(f)}
    assert set(rows) >= set(GPRS) | {n for n in UPRIGHT if not n.endswith(".avif") or features.check("avif")}
    for name in GPRS:
        assert "VC-5" in rows[name]["error"] and not rows[name]["output"]
    for name, size in UPRIGHT.items():
        if name in rows:
            row = rows[name]
            assert row["error"] == "" and (int(row["width"]), int(row["height"])) == size, row
            assert Image.open(out / row["output"]).size == bounded(size, MAP_SIZE)  # the map: at most --map-size
