"""The web app shows the photos of a detect output folder, not only their maps: thumbnails made on
demand from the original photos (upright, as ``msdunet.io`` decodes them) and cached in OUT/.thumbs/."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("fastapi", reason='the web app needs its extra: pip install torch==2.13.0 -e ".[serve]"')

from fastapi.testclient import TestClient  # noqa: E402

from msdunet import BlurDetector  # noqa: E402
from msdunet.serve import create_app  # noqa: E402
from msdunet.serve import thumbs as serve_thumbs  # noqa: E402

from .conftest import half_blurred, invoke  # noqa: E402


def make_no_overlay_out(root: Path, weights: Path) -> Path:
    """``msdunet detect root/photos -r -o root/out --no-overlay``: a large landscape photo, a portrait
    one stored sideways with EXIF orientation 6, one in a subfolder, and a broken one."""
    photos = root / "photos"
    (photos / "sub dir").mkdir(parents=True)
    image, _ = half_blurred(900, 600, seed=1, cell=3)
    image.save(photos / "wide.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 120×80, seen 80×120
    half_blurred(120, 80, seed=2)[0].save(photos / "turned.jpg", exif=exif.tobytes())
    half_blurred(64, 48, seed=3)[0].save(photos / "sub dir" / "small.png")
    (photos / "broken.jpg").write_bytes(b"not a photo")
    out = root / "out"
    result = invoke(["detect", photos, "-r", "-o", out, "--weights", weights, "--no-overlay", "-q"])
    assert result.exit_code == 1, result.output
    return out


@pytest.fixture()
def out(tmp_path, tiny_weights) -> Path:
    return make_no_overlay_out(tmp_path, tiny_weights)


@pytest.fixture()
def client(out, tiny_weights, tmp_path):
    with TestClient(create_app(out, detector=BlurDetector(tiny_weights), uploads=tmp_path / "up")) as c:
        yield c


def rows_by_name(client) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in client.get("/api/report").json()["rows"]}


def jpeg(response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content))


def test_rows_link_thumbnails_of_their_photos_upright_and_sized(client, out):
    rows = rows_by_name(client)
    assert rows["broken.jpg"]["thumb_url"] is None and rows["broken.jpg"]["photo_url"] is None
    for name in ("wide.jpg", "turned.jpg", "small.png"):
        row = rows[name]
        assert row["overlay_url"] is None  # --no-overlay: before, the gallery showed only maps
        small, large = jpeg(client.get(row["thumb_url"])), jpeg(client.get(row["photo_url"]))
        assert max(small.size) == min(400, max(row["width"], row["height"]))
        assert max(large.size) == min(1600, max(row["width"], row["height"]))
        for thumb in (small, large):  # the photo's way round: the map's, EXIF orientation applied
            assert (thumb.width > thumb.height) == (row["width"] > row["height"]), (name, thumb.size)
    assert (rows["turned.jpg"]["width"], rows["turned.jpg"]["height"]) == (80, 120)
    assert (out / ".thumbs" / "small" / "sub dir" / "small.jpg").is_file()
    assert (out / ".thumbs" / "large" / "wide.jpg").is_file()


def test_the_subject_at_100_percent(client, out):
    from msdunet.serve.thumbs import CROP_SIDE

    rows = rows_by_name(client)
    assert rows["broken.jpg"]["crop_url"] is None
    row = rows["wide.jpg"]
    crop = jpeg(client.get(row["crop_url"]))
    assert crop.size == (min(CROP_SIDE, row["width"]), min(CROP_SIDE, row["height"]))  # pixels of the photo, not scaled
    assert (out / ".thumbs" / "crop" / "wide.jpg").is_file()


def test_thumbnails_are_cached_and_made_again_when_the_photo_changes(client, out):
    row = rows_by_name(client)["wide.jpg"]
    first = client.get(row["thumb_url"]).content
    cached = out / ".thumbs" / "small" / "wide.jpg"
    made = cached.stat().st_mtime_ns
    assert client.get(row["photo_url"]).status_code == 200
    assert client.get(row["thumb_url"]).content == first and cached.stat().st_mtime_ns == made  # one decode
    photo = Path(row["path"])
    Image.new("RGB", (300, 200), (200, 30, 30)).save(photo)
    os.utime(photo, ns=(made + 10**9, made + 10**9))
    again = jpeg(client.get(row["thumb_url"]))
    assert again.size == (300, 200) and again.getpixel((150, 100))[0] > 150


def test_only_photos_of_the_report_are_served(client, out, tmp_path):
    row = rows_by_name(client)["wide.jpg"]
    rel = row["thumb_url"].removeprefix("/thumbs/small/")
    for url in (
        f"/thumbs/huge/{rel}",
        "/thumbs/small/nothing_blur.png",
        "/thumbs/small/../report.json",
        "/thumbs/small/%2e%2e/%2e%2e/photos/wide.jpg",
        "/thumbs/small/broken_blur.png",
    ):
        assert client.get(url).status_code == 404, url
    Path(row["path"]).unlink()
    assert client.get(row["thumb_url"]).status_code == 404  # gone: the page falls back to the map
    assert rows_by_name(client)["wide.jpg"]["thumb_url"] is None


def test_a_folder_that_cannot_be_written_still_gets_its_thumbnails(client, out, monkeypatch):
    @contextlib.contextmanager
    def read_only(path):
        raise PermissionError(13, "Read-only file system", str(path))
        yield

    monkeypatch.setattr(serve_thumbs, "replacing", read_only)
    row = rows_by_name(client)["wide.jpg"]
    assert max(jpeg(client.get(row["thumb_url"])).size) == 400
    assert not (out / ".thumbs" / "small" / "wide.jpg").exists()


def test_without_out_there_are_no_thumbnails(tiny_weights, tmp_path):
    with TestClient(create_app(None, detector=BlurDetector(tiny_weights), uploads=tmp_path / "up")) as c:
        assert c.get("/thumbs/small/a_blur.png").status_code == 404
