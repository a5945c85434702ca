"""Camera RAW and HEIC photos (``msdunet.io.formats``) on files made here: a HEIC written by
pillow-heif, DNGs written by pidng (raw data only) and by tifffile (raw data plus an uncompressed
preview, which pidng cannot add), JPEG previews through a stand-in for rawpy's ``RawPy``."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pillow_heif  # the raw extra is in dev: these tests run in CI, never skip
import pytest
import rawpy
from PIL import Image, features

from msdunet.io import ImageReadError, image_size, looks_like_image, read_image, scan_inputs
from msdunet.io import formats as io_formats

from .conftest import half_blurred, invoke

W, H = 128, 96  # sensor size of the test DNGs
RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def marked(width: int, height: int) -> np.ndarray:
    """Blue RGB image with a red top-left quadrant: shows which way an image was turned."""
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[:] = BLUE
    rgb[: height // 2, : width // 2] = RED
    return rgb


def red_corner(image: Image.Image) -> str:
    """Which quadrant of ``image`` is the reddest: 'top-left', 'top-right', ...."""
    rgb = np.asarray(image.convert("RGB"), dtype=float)
    h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
    redness = rgb[..., 0] - rgb[..., 2]
    quads = {
        "top-left": redness[:h, :w],
        "top-right": redness[:h, w:],
        "bottom-left": redness[h:, :w],
        "bottom-right": redness[h:, w:],
    }
    return max(quads, key=lambda k: quads[k].mean())


def mosaic(rgb: np.ndarray) -> np.ndarray:
    """RGGB Bayer mosaic of an 8-bit RGB scene, as 12-bit sensor values."""
    linear = (rgb.astype(np.float64) / 255.0) ** 2.2 * 4095
    cfa = np.empty(rgb.shape[:2], dtype=np.uint16)
    cfa[0::2, 0::2] = linear[0::2, 0::2, 0]
    cfa[0::2, 1::2] = linear[0::2, 1::2, 1]
    cfa[1::2, 0::2] = linear[1::2, 0::2, 1]
    cfa[1::2, 1::2] = linear[1::2, 1::2, 2]
    return cfa


def pidng_dng(path: Path, orientation: int = 1) -> Path:
    """A DNG of ``marked(W, H)`` written by pidng: raw data, no preview."""
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import CalibrationIlluminant, CFAPattern, PhotometricInterpretation

    tags = DNGTags()
    for tag, value in [
        (Tag.ImageWidth, W),
        (Tag.ImageLength, H),
        (Tag.TileWidth, W),
        (Tag.TileLength, H),
        (Tag.Orientation, orientation),
        (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
        (Tag.SamplesPerPixel, 1),
        (Tag.BitsPerSample, 12),
        (Tag.CFARepeatPatternDim, [2, 2]),
        (Tag.CFAPattern, CFAPattern.RGGB),
        (Tag.BlackLevel, 0),
        (Tag.WhiteLevel, 4095),
        (Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
        (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
        (Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]),
        (Tag.Make, "msdunet"),
        (Tag.Model, "test"),
        (Tag.UniqueCameraModel, "msdunet test"),
    ]:
        tags.set(tag, value)
    writer = RAW2DNG()
    writer.options(tags, path=str(path.parent), compress=False)
    writer.convert(mosaic(marked(W, H)), filename=path.stem)
    return path.with_suffix(".dng")


def tifffile_dng(path: Path, preview: np.ndarray, orientation: int = 1) -> Path:
    """A DNG of ``marked(W, H)`` whose first IFD is ``preview`` (8-bit RGB, uncompressed, as the
    DNG spec's thumbnail) and whose SubIFD holds the raw data."""
    import tifffile

    ifd0 = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (271, "s", 0, "msdunet", True),
        (272, "s", 0, "test", True),
        (50708, "s", 0, "msdunet test", True),  # UniqueCameraModel
        (274, "H", 1, orientation, True),
    ]
    raw = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern RGGB
        (50714, "H", 1, 0, True),  # BlackLevel
        (50717, "H", 1, 4095, True),  # WhiteLevel
        (50721, "2i", 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),  # ColorMatrix1
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1 D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    with tifffile.TiffWriter(path) as tif:
        tif.write(preview, photometric="rgb", subfiletype=1, subifds=1, extratags=ifd0, metadata=None)
        tif.write(mosaic(marked(W, H)), photometric=32803, extratags=raw, metadata=None)  # 32803: CFA
    return path


def heic(path: Path, rgb: np.ndarray, orientation: int | None = None) -> Path:
    """A HEIC written by pillow-heif (it stores an EXIF orientation as the file's rotation)."""
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, format="HEIF", quality=95, exif=exif.tobytes())
    return path


def test_heic_is_read_upright_and_found_by_content(tmp_path):
    path = heic(tmp_path / "p.heic", marked(64, 32), orientation=6)  # 90° clockwise to display
    image = read_image(path)
    assert image.mode == "RGB" and image.size == (32, 64) == image_size(path)
    assert red_corner(image) == "top-right"
    assert red_corner(read_image(heic(tmp_path / "q.HEIF", marked(64, 32)))) == "top-left"
    (tmp_path / "p.heic").rename(tmp_path / "renamed.bin")
    assert looks_like_image(tmp_path / "renamed.bin")
    assert [f.path.name for f in scan_inputs([tmp_path]).inputs] == ["q.HEIF", "renamed.bin"]
    assert read_image(tmp_path / "renamed.bin").size == (32, 64)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow was built without AVIF")
def test_avif_is_read_through_pillow(tmp_path):
    Image.fromarray(marked(64, 32)).save(tmp_path / "p.avif", quality=90)
    assert red_corner(read_image(tmp_path / "p.avif")) == "top-left" and image_size(tmp_path / "p.avif") == (64, 32)


def test_a_preview_pillow_cannot_take_is_not_used():
    thumb = SimpleNamespace(format=rawpy.ThumbFormat.BITMAP, data=np.zeros((48, 64, 3), dtype=np.uint16))
    raw = SimpleNamespace(extract_thumb=lambda: thumb, sizes=SimpleNamespace(width=128, height=96, flip=0))
    assert io_formats.embedded_preview(raw, open_image=Image.open) is None


@pytest.mark.parametrize(("orientation", "size", "corner"), [(1, (64, 48), "top-left"), (6, (48, 64), "top-right")])
def test_dng_without_preview_is_demosaiced_at_half_size(tmp_path, orientation, size, corner):
    path = pidng_dng(tmp_path / "p.dng", orientation)
    with rawpy.imread(str(path)) as raw, pytest.raises(rawpy.LibRawError):
        raw.extract_thumb()  # the demosaic path it is
    image = read_image(path)
    assert image.mode == "RGB" and image.size == size == image_size(path)
    assert red_corner(image) == corner
    rgb = np.asarray(image, dtype=float)
    red = rgb[..., 0] > rgb[..., 2]
    assert 0.2 < red.mean() < 0.3  # the red quadrant, a quarter of the frame, kept its colour


def test_dng_preview_is_used_when_large_enough_and_turned_like_the_raw(tmp_path):
    # the preview is a green-tinted copy of the scene at half size, so its pixels are told from the demosaic's
    preview = (marked(W // 2, H // 2) // 2 + np.array(GREEN, dtype=np.uint8) // 2).astype(np.uint8)
    big = read_image(tifffile_dng(tmp_path / "big.dng", preview, orientation=6))
    assert big.size == (H // 2, W // 2) == image_size(tmp_path / "big.dng")
    np.testing.assert_array_equal(np.asarray(big), np.rot90(preview, k=-1))  # exactly the preview, turned
    assert red_corner(big) == red_corner(read_image(pidng_dng(tmp_path / "p.dng", 6))) == "top-right"
    small = preview[::4, ::4]  # long side 16 < min(1024, half the sensor's 128)
    demosaiced = read_image(tifffile_dng(tmp_path / "small.dng", small, orientation=6))
    assert demosaiced.size == (H // 2, W // 2) and red_corner(demosaiced) == "top-right"
    assert np.asarray(demosaiced, dtype=float)[..., 1].mean() < 100  # not the green-tinted preview


@pytest.mark.parametrize(
    ("preview", "sensor", "enough"),
    [
        ((1024, 683), (6000, 4000), True),  # PREVIEW_MIN_SIDE
        ((1023, 682), (6000, 4000), False),
        ((1616, 1080), (6048, 4024), True),
        ((64, 48), (128, 96), True),  # as large as the half-size demosaic
        ((63, 47), (128, 96), False),
        ((48, 64), (96, 128), True),
    ],
)
def test_preview_rule(preview, sensor, enough):
    assert io_formats.preview_is_enough(preview, sensor) is enough


def jpeg_raw(rgb: np.ndarray, sensor: tuple[int, int], flip: int, exif_orientation: int | None = None):
    """A stand-in for ``rawpy.RawPy`` whose embedded preview is ``rgb`` as a JPEG."""
    buf = io.BytesIO()
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    Image.fromarray(rgb).save(buf, format="JPEG", quality=95, exif=exif.tobytes())
    thumb = SimpleNamespace(format=rawpy.ThumbFormat.JPEG, data=buf.getvalue())
    sizes = SimpleNamespace(width=sensor[0], height=sensor[1], flip=flip)
    return SimpleNamespace(extract_thumb=lambda: thumb, sizes=sizes)


@pytest.mark.parametrize(
    ("flip", "exif", "size", "corner"),
    [
        (0, None, (64, 48), "top-left"),
        (6, None, (48, 64), "top-right"),  # stored as the sensor saw it: turned by the raw's flip
        (5, None, (48, 64), "bottom-left"),
        (3, None, (64, 48), "bottom-right"),
        (6, 6, (48, 64), "top-right"),  # its own EXIF says the same: turned once, not twice
        (5, 8, (48, 64), "bottom-left"),
        (6, 1, (48, 64), "top-right"),  # an EXIF orientation of 1 does not overrule the raw's flip
    ],
)
def test_jpeg_preview_is_turned_once(flip, exif, size, corner):
    raw = jpeg_raw(marked(64, 48), (128, 96), flip, exif)
    image = io_formats.embedded_preview(raw, open_image=Image.open)
    assert image.mode == "RGB" and image.size == size and red_corner(image) == corner


def test_preview_the_other_way_round_or_too_small_is_not_used():
    assert io_formats.embedded_preview(jpeg_raw(marked(48, 64), (128, 96), 0), open_image=Image.open) is None
    assert io_formats.embedded_preview(jpeg_raw(marked(32, 24), (128, 96), 0), open_image=Image.open) is None
    broken = jpeg_raw(marked(64, 48), (128, 96), 0)
    broken.extract_thumb().data = broken.extract_thumb().data[:200]  # truncated: the raw data may still be fine
    assert io_formats.embedded_preview(broken, open_image=Image.open) is None


def test_raw_over_the_bomb_guard_is_refused(tmp_path, monkeypatch):
    path = pidng_dng(tmp_path / "p.dng")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the half-size demosaic is 64×48 = 3072 px
    with pytest.raises(ImageReadError, match="p.dng.*decompression-bomb.*3,072 pixels"):
        read_image(path)


@pytest.mark.parametrize("name", ["bad.nef", "bad.heic", "bad.CR3", "cut.dng"])
def test_corrupt_raw_or_heic_names_the_file(tmp_path, name):
    if name == "cut.dng":  # a real DNG cut in half: its header reads, its data does not
        whole = pidng_dng(tmp_path / "whole.dng").read_bytes()
        (tmp_path / name).write_bytes(whole[: len(whole) // 2])
    else:
        (tmp_path / name).write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(range(256)) * 4)
    problem = r"(not a camera RAW file LibRaw can read|RAW data LibRaw cannot decode|pillow-heif cannot read)"
    with pytest.raises(ImageReadError, match=rf"{name}: .*{problem}"):
        read_image(tmp_path / name)
    if name != "cut.dng":  # its size is in the header
        with pytest.raises(ImageReadError, match=name):
            image_size(tmp_path / name)


@pytest.fixture()
def without_extra(monkeypatch):
    """As if ``pip install torch==2.13.0 -e ".[raw]"`` had not been run: rawpy and pillow-heif cannot be
    imported and Pillow has no HEIF opener."""
    monkeypatch.setitem(sys.modules, "rawpy", None)
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    monkeypatch.setattr(io_formats, "_heif", None)
    monkeypatch.setattr(Image, "ID", [i for i in Image.ID if i != "HEIF"])
    monkeypatch.delitem(Image.OPEN, "HEIF", raising=False)


@pytest.fixture()
def mixed(tmp_path) -> Path:
    """A folder of a JPEG, a HEIC and a DNG."""
    folder = tmp_path / "photos"
    folder.mkdir()
    photo, _ = half_blurred(96, 64, seed=3)
    photo.save(folder / "a.jpg")
    heic(folder / "b.heic", np.asarray(photo), orientation=6)
    pidng_dng(folder / "c.dng")
    return folder


def test_without_the_extra_each_file_says_what_to_install(mixed, without_extra):
    for name, needs in (("b.heic", "pillow-heif"), ("c.dng", "rawpy")):
        hint = re.escape('pip install torch==2.13.0 -e ".[raw]"')
        with pytest.raises(ImageReadError, match=rf"{name}: .*needs {needs}.*{hint}"):
            read_image(mixed / name)


def rows(out: Path) -> dict[str, dict]:
    with open(out / "report.csv", newline="") as f:
        return {Path(r["path"]).name: r for r in csv.DictReader(f)}


def test_detect_without_the_extra_gives_rows_not_silence(mixed, tmp_path, tiny_weights, without_extra):
    out = tmp_path / "out"
    result = invoke(["detect", mixed, "-o", out, "--weights", tiny_weights, "-q"])
    assert result.exit_code == 1
    report = rows(out)
    assert report["a.jpg"]["error"] == ""
    for name in ("b.heic", "c.dng"):
        assert name in report[name]["error"] and 'pip install torch==2.13.0 -e ".[raw]"' in report[name]["error"]
        assert name in result.stderr


def test_detect_over_jpg_heic_and_dng(mixed, tmp_path, tiny_weights):
    out = tmp_path / "out"
    args = ["detect", mixed, "-o", out, "--weights", tiny_weights, "-q"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    report = rows(out)
    assert list(report) == ["a.jpg", "b.heic", "c.dng"]
    for name, row in report.items():
        assert row["error"] == "", row
        blur = Image.open(out / row["output"])
        decoded = read_image(mixed / name)
        assert blur.size == decoded.size == (int(row["width"]), int(row["height"]))
        assert Image.open(out / f"{Path(name).stem}_overlay.jpg").size == decoded.size  # under 1600 px
    assert report["b.heic"]["width"] == "64" and report["c.dng"]["width"] == str(W // 2)
    assert invoke([*args, "--skip-existing"]).exit_code == 0  # the RAW and HEIC sizes read back the same
    assert all(r["reused"] == "True" for r in rows(out).values()), rows(out)


def test_blur_detector_reads_raw_and_heic_paths(mixed, tiny_weights):
    from msdunet import BlurDetector

    detector = BlurDetector(tiny_weights)
    for name in ("b.heic", "c.dng"):
        blur = detector(mixed / name)
        assert blur.shape == read_image(mixed / name).size[::-1] and blur.dtype == np.float32
