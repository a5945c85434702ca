"""Photos as they really are: orientation, modes, bit depths, bombs; masks of every shape; sniffing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from msdunet.io import ImageReadError, find_images, image_size, looks_like_image, read_image, read_map, read_mask

from .conftest import textured


def test_exif_orientation_is_applied(tmp_path):
    array = textured(40, 20)
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image.save(tmp_path / "r.jpg", exif=exif, quality=100)
    read = read_image(tmp_path / "r.jpg")
    assert read.size == (20, 40)
    assert image_size(tmp_path / "r.jpg") == (20, 40)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK", "I;16", "1"])
def test_any_mode_becomes_rgb(tmp_path, mode):
    base = Image.fromarray(textured(30, 20))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
        path = tmp_path / "x.png"
    elif mode == "CMYK":
        image, path = base.convert("CMYK"), tmp_path / "x.jpg"
    else:
        image, path = base.convert(mode), tmp_path / "x.png"
    image.save(path)
    read = read_image(path)
    assert read.mode == "RGB" and read.size == (30, 20)
    if mode == "I;16":  # 16-bit scaled to 8-bit, not clipped to white
        np.testing.assert_allclose(np.asarray(read)[..., 0], np.asarray(base.convert("L")), atol=1)


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    assert np.asarray(read_image(tmp_path / "t.png")).min() == 255


@pytest.mark.parametrize("limit", [1000, 3000])  # 64×64 = 4096 px: over twice the limit (error), over it (warning)
def test_decompression_bomb_guard_refuses_without_a_stray_warning(tmp_path, monkeypatch, limit):
    import warnings

    Image.fromarray(textured(64, 64)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning escaping would fail here
        for read in (read_image, image_size):
            with pytest.raises(ImageReadError, match="big.png.*decompression-bomb.*4,096 pixels.*--max-pixels"):
                read(tmp_path / "big.png")


@pytest.mark.parametrize(
    "content, problem",
    [(b"", "empty"), (b"hello, not an image", "not an image"), ("truncated", "corrupt or truncated")],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.jpg"
    if content == "truncated":
        Image.fromarray(textured(64, 64)).save(path, quality=95)
        content = path.read_bytes()[:400]
    path.write_bytes(content)
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "nope.png")


def test_masks_grey_rgb_rgba_and_polarity(tmp_path):
    grey = np.array([[0, 100, 128, 255]], dtype=np.uint8)
    expected = [[False, False, True, True]]
    Image.fromarray(grey).save(tmp_path / "g.png")
    Image.fromarray(np.stack([grey] * 3, -1)).save(tmp_path / "c.png")
    Image.fromarray(np.stack([grey] * 3 + [np.full_like(grey, 255)], -1)).save(tmp_path / "a.png")
    Image.fromarray(grey).save(tmp_path / "d.bmp")
    for name in ("g.png", "c.png", "a.png"):
        assert read_mask(tmp_path / name).tolist() == expected
    assert read_mask(tmp_path / "d.bmp", white_is_blurred=False).tolist() == [[True, True, False, False]]
    assert read_map(tmp_path / "c.png").tolist() == [[0.0, 100.0, 128.0, 255.0]]


def test_photos_are_found_by_extension_or_content(tmp_path):
    Image.fromarray(textured(8, 8)).save(tmp_path / "photo.dat", format="PNG")
    Image.fromarray(textured(8, 8)).save(tmp_path / "b.JPG", format="JPEG")
    (tmp_path / "notes.jpg").write_text("not an image")  # a photo by name: reported, not skipped
    (tmp_path / "raw.CR2").write_bytes(b"\x00" * 16)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    Image.fromarray(textured(8, 8)).save(tmp_path / "sub" / "c.webp")
    assert looks_like_image(tmp_path / "photo.dat") and not looks_like_image(tmp_path / "notes.jpg")
    assert [p.name for p in find_images([tmp_path])] == ["b.JPG", "notes.jpg", "photo.dat", "raw.CR2"]
    assert [p.name for p in find_images([tmp_path], recursive=True)][-1] == "c.webp"
    # a file named directly is passed through, so that a bad one is reported by name
    assert [p.name for p in find_images([tmp_path / "notes.txt"])] == ["notes.txt"]
    with pytest.raises(ImageReadError, match="raw.CR2.*RAW"):
        read_image(tmp_path / "raw.CR2")


def test_scan_keeps_relative_paths_counts_other_files_and_names_missing_ones(tmp_path):
    from msdunet.io import scan_inputs

    (tmp_path / "in" / "a").mkdir(parents=True)
    (tmp_path / "in" / "out").mkdir()
    for name in ("in/x.jpg", "in/a/x.jpg", "in/out/x_blur.png", "single.png"):
        Image.fromarray(textured(8, 8)).save(tmp_path / name)
    (tmp_path / "in" / "notes.txt").write_text("no")
    scan = scan_inputs(
        [tmp_path / "in", tmp_path / "single.png", tmp_path / "gone.jpg"],
        recursive=True,
        exclude=tmp_path / "in" / "out",
    )
    assert [(f.path.relative_to(tmp_path).as_posix(), f.rel.as_posix()) for f in scan.inputs] == [
        ("in/a/x.jpg", "a/x.jpg"),
        ("in/x.jpg", "x.jpg"),
        ("single.png", "single.png"),
    ]
    assert scan.skipped == 1 and scan.missing == [tmp_path / "gone.jpg"]
    assert len(scan_inputs([tmp_path / "in"], recursive=True, exclude=tmp_path / "in").inputs) == 3  # -o IN itself


def test_wide_grey_modes_scale_to_8_bits(tmp_path):
    from msdunet.io import grey_levels

    assert grey_levels(Image.fromarray(np.array([[0, 65535]], dtype=np.uint16))).tolist() == [[0.0, 255.0]]
    assert grey_levels(Image.fromarray(np.array([[0.0, 0.5]], dtype=np.float32))).tolist() == [[0.0, 127.5]]
    assert grey_levels(Image.fromarray(np.array([[3, 200]], dtype=np.int32))).tolist() == [[3.0, 200.0]]
    Image.fromarray(np.array([[0, 40000]], dtype=np.uint16)).save(tmp_path / "m16.png")
    assert read_mask(tmp_path / "m16.png").tolist() == [[False, True]]
