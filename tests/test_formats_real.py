"""Photo formats as cameras and phones really write them: a HEIC with an EXIF orientation but no
rotation box of its own (made here), and the real HEIC, AVIF, DNG and GoPro GPR files of
``realworld/`` in the data folder (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msdunet.io import formats as io_formats
from msdunet.io import image_size, read_image

from .test_formats import marked, red_corner

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
