"""``msdunet serve`` in a real browser: Playwright driving Debian's headless ``chromium`` against the
real server (uvicorn on a free port of 127.0.0.1).  Skips when playwright or chromium is missing
(``.ci/run`` installs chromium with apt-get; ``MSDUNET_CHROMIUM`` names another binary)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

pytest.importorskip("fastapi", reason='the web app needs its extra: pip install torch==2.13.0 -e ".[serve]"')
sync_api = pytest.importorskip(
    "playwright.sync_api", reason='playwright is not installed (pip install torch==2.13.0 -e ".[dev]")'
)
CHROMIUM = os.environ.get("MSDUNET_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    not CHROMIUM, reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)"
)

from msdunet import BlurDetector, focus  # noqa: E402
from msdunet.serve import create_app, running  # noqa: E402

from .serve_common import make_detect_out  # noqa: E402

WAIT = 60_000  # ms: the machine may be busy


@pytest.fixture(scope="module")
def out(tmp_path_factory, tiny_weights) -> Path:
    return make_detect_out(tmp_path_factory.mktemp("browser"), tiny_weights)


@pytest.fixture(scope="module")
def url(out, tiny_weights, tmp_path_factory):
    app = create_app(out, detector=BlurDetector(tiny_weights), uploads=tmp_path_factory.mktemp("uploads"))
    with running(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, url):
    """A page that may reach only the server: any other request is aborted and fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    errors: list[str] = []

    def route(r):
        if urlparse(r.request.url).netloc == urlparse(url).netloc or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.set_default_timeout(WAIT)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(url)
    tab.wait_for_selector("body[data-ready]")
    yield tab
    context.close()
    assert not elsewhere, f"the page asked another host for {elsewhere}"
    assert not errors, f"JavaScript errors: {errors}"


def rows(out: Path) -> list[dict]:
    return json.loads((out / "report.json").read_text())["rows"]


def loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_upload_shows_the_overlay_and_the_slider_fades_it(page, out, tmp_path):
    photo = next(Path(r["path"]) for r in rows(out) if r["path"].endswith("half.jpg"))
    page.set_input_files("#file-input", str(photo))
    page.wait_for_selector(".result .stack img.overlay")
    page.wait_for_function("document.querySelector('.result img.overlay').naturalWidth > 0")
    assert loaded(page, ".result .map img") and loaded(page, ".result img.photo")
    expected = next(r for r in rows(out) if r["path"].endswith("half.jpg"))["verdict"]
    assert page.inner_text(".result .verdict") == expected
    opacity = "getComputedStyle(document.querySelector('.result img.overlay')).opacity"
    assert page.evaluate(opacity) == "0.7"
    page.fill("#opacity", "20")
    assert page.evaluate(opacity) == "0.2" and page.inner_text("#opacity-value") == "20 %"
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    assert Image.open(tmp_path / "upload.png").width == 1280


def test_a_bad_upload_is_shown_and_the_next_one_works(page, tmp_path):
    (tmp_path / "notes.txt").write_text("not a photo")
    page.set_input_files("#file-input", str(tmp_path / "notes.txt"))
    page.wait_for_selector(".result.failed")
    assert "415" in page.inner_text(".result.failed")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(tmp_path / "red.png")
    page.set_input_files("#file-input", str(tmp_path / "red.png"))
    page.wait_for_selector(".result:not(.failed) .verdict")


def test_keyboard_review_saves_picks_csv(page, out):
    page.wait_for_selector("#gallery .thumb")
    good = [r for r in rows(out) if not r["error"]]
    assert page.locator("#gallery .thumb").count() == len(good) == 3
    assert "failed 1" in page.inner_text("#counts")
    paths = page.eval_on_selector_all("#gallery .thumb", "ts => ts.map(t => t.dataset.path)")
    assert paths == sorted(r["path"] for r in good)  # sorted by name at first
    page.click("#gallery .thumb >> nth=0")
    page.keyboard.press("p")
    page.wait_for_selector("#gallery .thumb.pick")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#viewer", "data-path") == paths[1]
    page.keyboard.press("x")
    page.wait_for_selector("#gallery .thumb.reject")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # past the end: stays on the last
    assert page.get_attribute("#viewer", "data-path") == paths[2]
    with open(out / "picks.csv", newline="") as f:
        assert list(csv.reader(f)) == [["path", "pick"], [paths[0], "pick"], [paths[1], "reject"]]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("u")
    page.wait_for_function("!document.querySelector('#gallery .thumb.reject')")
    assert (out / "picks.csv").read_text().splitlines() == ["path,pick", f"{paths[0]},pick"]
    page.select_option("#filter", "pick")
    assert page.eval_on_selector_all("#gallery .thumb", "ts => ts.map(t => t.dataset.path)") == [paths[0]]
    page.reload()
    page.wait_for_selector("#gallery .thumb.pick")  # picks come back from picks.csv
    (out / "picks.csv").unlink()


@pytest.mark.parametrize("limit_px", [0.2, 0.7, 1.5, 4.0])
def test_limit_slider_rederives_verdicts_as_verdict_at_does(page, out, limit_px):
    page.wait_for_selector("#gallery .thumb")
    page.fill("#limit-px", str(limit_px))
    shown = dict(page.eval_on_selector_all("#gallery .thumb", "ts => ts.map(t => [t.dataset.path, t.dataset.verdict])"))
    expected = {
        r["path"]: focus.verdict_at(
            verdict=r["verdict"],
            judged_blur_px=r["judged_blur_px"],
            map_verdict=r["map_verdict"],
            limit_px=limit_px,
            shaken=r["shaken"],
        )
        for r in rows(out)
        if not r["error"]
    }
    assert shown == expected
    page.select_option("#sort", "blur")
    order = page.eval_on_selector_all("#gallery .thumb", "ts => ts.map(t => t.dataset.path)")
    fractions = {r["path"]: r["blurred_fraction"] for r in rows(out)}
    assert [fractions[p] for p in order] == sorted(fractions[p] for p in expected)[::-1]


def test_viewer_shows_the_subject_at_100_percent_with_its_blur(page, out):
    page.wait_for_selector("#gallery .thumb")
    page.wait_for_function("document.querySelector('#subject-crop').naturalWidth > 0")
    first = page.eval_on_selector("#viewer", "v => v.dataset.path")
    row = next(r for r in rows(out) if r["path"] == first)
    assert f"σ = {row['subject_blur_px']:.2f} px" in page.text_content("#subject-caption")


def test_api_docs_render_offline(page, url):
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    paths = page.eval_on_selector_all(".opblock-summary-path", "ps => ps.map(p => p.textContent)")
    assert {"/api/detect", "/api/report", "/api/config"} <= {p.replace("\u200b", "") for p in paths}


def test_verdicts_at_the_limit_itself_match_verdict_at(browser, tmp_path, tiny_weights):
    """Rows exactly at LIMIT_PX and just above, one the map rejects, one without texture (a hand-written
    report)."""
    out = tmp_path / "edge"
    out.mkdir()
    limit = focus.LIMIT_PX
    cases = [  # (verdict as judged, judged_blur_px, map_verdict, shaken)
        ("sharp", limit, "sharp", False), ("subject in focus", limit + 0.01, "sharp", False),
        ("subject in focus", 0.1, "blurred", False), ("subject in focus", None, "subject in focus", False),
        ("blurred", 0.1, "sharp", True),
    ]  # fmt: skip
    report = []
    for i, (verdict, blur, map_verdict, shaken) in enumerate(cases):
        Image.new("L", (8, 8)).save(out / f"p{i}_blur.png")
        row = {"path": f"p{i}.jpg", "verdict": verdict, "judged_blur_px": blur, "map_verdict": map_verdict}
        row["shaken"] = shaken
        report.append({**row, "output": f"p{i}_blur.png", "blurred_fraction": 0.5})
    (out / "report.json").write_text(json.dumps({"threshold": 0.5, "rows": report}))
    with running(create_app(out, detector=BlurDetector(tiny_weights), uploads=tmp_path / "up")) as base:
        tab = browser.new_page()
        tab.goto(base)
        tab.wait_for_selector("#gallery .thumb")
        shown = tab.eval_on_selector_all("#gallery .thumb", "ts => ts.map(t => t.dataset.verdict)")
        tab.click('#gallery .thumb[data-path="p4.jpg"]')
        tab.wait_for_function("document.querySelector('#viewer').dataset.path === 'p4.jpg'")
        assert "shaken" in tab.text_content("#viewer-caption")
        assert "why: long shake: the edges across one direction are gone" in tab.text_content("#viewer-caption")
        tab.click('#gallery .thumb[data-path="p1.jpg"]')
        tab.wait_for_function("document.querySelector('#viewer').dataset.path === 'p1.jpg'")
        assert "why: subject blur" in tab.text_content("#viewer-caption")  # over the page's limit, at its size
        tab.close()
    expected = [
        focus.verdict_at(verdict=v, judged_blur_px=b, map_verdict=m, limit_px=limit, shaken=s) for v, b, m, s in cases
    ]
    assert shown == expected == ["sharp", "blurred", "blurred", "subject in focus", "blurred"]


def test_after_no_overlay_the_gallery_shows_the_photos_and_m_shows_the_map(browser, tmp_path, tiny_weights):
    """detect --no-overlay left only maps: the gallery and viewer show the photos (thumbnails made by
    the server), and m or the view menu switches to the map (no overlay to show in between)."""
    from .test_serve_thumbs import make_no_overlay_out

    out = make_no_overlay_out(tmp_path, tiny_weights)
    with running(create_app(out, detector=BlurDetector(tiny_weights), uploads=tmp_path / "up")) as base:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(WAIT)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(base)
        tab.wait_for_selector("#gallery .thumb")
        srcs = tab.eval_on_selector_all("#gallery .thumb img", "is => is.map(i => new URL(i.src).pathname)")
        assert len(srcs) == 3 and all(s.startswith("/thumbs/small/") for s in srcs), srcs
        tab.wait_for_function("[...document.querySelectorAll('#gallery .thumb img')].every(i => i.complete)")
        assert tab.eval_on_selector_all("#gallery .thumb img", "is => is.every(i => i.naturalWidth > 0)")
        tab.click("#gallery .thumb >> nth=0")
        viewer = "new URL(document.querySelector('#viewer-img').src).pathname"
        assert tab.evaluate(viewer).startswith("/thumbs/large/")
        tab.keyboard.press("m")
        assert tab.evaluate(viewer).endswith("_blur.png") and tab.input_value("#view") == "map"
        assert all(
            s.endswith("_blur.png") for s in tab.eval_on_selector_all("#gallery .thumb img", "is => is.map(i => i.src)")
        )
        tab.keyboard.press("m")
        assert tab.evaluate(viewer).startswith("/thumbs/large/") and tab.input_value("#view") == "photo"
        tab.select_option("#view", "overlay")  # none: the map stands in
        assert tab.evaluate(viewer).endswith("_blur.png")
        tab.close()
    assert not errors, errors
    assert len(list((out / ".thumbs" / "small").rglob("*.jpg"))) == 3


def test_m_cycles_the_viewer_through_photo_overlay_and_map(page):
    page.wait_for_selector("#gallery .thumb")
    page.click("#gallery .thumb >> nth=0")
    viewer = "new URL(document.querySelector('#viewer-img').src).pathname"
    seen = []
    for _ in range(4):
        seen.append(page.evaluate(viewer))
        page.keyboard.press("m")
    assert seen[0].startswith("/thumbs/large/") and seen[3] == seen[0]
    assert seen[1].endswith("_overlay.jpg") and seen[2].endswith("_blur.png")
    page.wait_for_function("document.querySelector('#viewer-img').naturalWidth > 0")


CLICK_PATH = "(thumbs, path) => thumbs.find(t => t.dataset.path === path).click()"


def test_a_burst_shows_side_by_side_sharpest_first(page, out):
    """With OUT/bursts.csv (msdunet cull --bursts) the viewer shows the photo's burst, each shot's subject
    at 100 %, in rank order; a photo alone in its burst shows none."""
    good = [r for r in rows(out) if not r["error"]]
    first, second = good[0]["path"], good[1]["path"]
    lines = ["path,group,rank,subject_blur_px,sharp_share", f"{second},1,1,0.0,1.0", f"{first},1,2,1.5,0.2"]
    lines += [f"{r['path']},{i + 2},1,0.0,1.0" for i, r in enumerate(good[2:])]
    (out / "bursts.csv").write_text("\n".join(lines) + "\n")
    try:
        page.reload()
        page.wait_for_selector("body[data-ready]")
        page.eval_on_selector_all("#gallery .thumb", CLICK_PATH, first)
        page.wait_for_selector("#burst figure")
        shown = page.eval_on_selector_all("#burst figure", "fs => fs.map(f => f.dataset.path)")
        assert shown == [second, first]
        assert page.eval_on_selector("#burst figure.current", "f => f.dataset.path") == first
        page.wait_for_function("[...document.querySelectorAll('#burst img')].every(i => i.naturalWidth > 0)")
        if len(good) > 2:
            page.eval_on_selector_all("#gallery .thumb", CLICK_PATH, good[2]["path"])
            assert page.eval_on_selector("#burst", "b => b.hidden")
    finally:
        (out / "bursts.csv").unlink()
