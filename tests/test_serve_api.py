"""``msdunet serve``'s API with FastAPI's TestClient (and one real server for raw HTTP): every API
rule, the upload limits, and that nothing outside OUT is ever served."""

from __future__ import annotations

import asyncio
import csv
import http.client
import io
import json
import re
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason='the web app needs its extra: pip install torch==2.13.0 -e ".[serve]"')
pytest.importorskip("fastapi_offline", reason='the web app needs its extra: pip install torch==2.13.0 -e ".[serve]"')

from fastapi.testclient import TestClient  # noqa: E402

from msdunet import BlurDetector, focus  # noqa: E402
from msdunet.detect import FIELDS  # noqa: E402
from msdunet.serve import create_app, running  # noqa: E402
from msdunet.serve.routes.files import STATIC  # noqa: E402
from msdunet.serve.store import StoreError, inside  # noqa: E402

from .conftest import half_blurred, invoke  # noqa: E402
from .serve_common import make_detect_out  # noqa: E402

LIMIT = 300_000  # bytes: the tests' upload limit


@pytest.fixture(scope="module")
def detector(tiny_weights):
    return BlurDetector(tiny_weights)


@pytest.fixture(scope="module")
def made(tmp_path_factory, tiny_weights) -> Path:
    return make_detect_out(tmp_path_factory.mktemp("serve"), tiny_weights)


@pytest.fixture()
def out(made, tmp_path) -> Path:
    """A fresh copy of the detect output (tests write picks.csv into it)."""
    return Path(shutil.copytree(made, tmp_path / "out"))


@pytest.fixture()
def client(out, detector, tmp_path):
    app = create_app(out, detector=detector, max_upload=LIMIT, uploads=tmp_path / "uploads", model_name="tiny")
    with TestClient(app) as c:
        yield c


def report_rows(out: Path) -> list[dict]:
    return json.loads((out / "report.json").read_text())["rows"]


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_config_gives_the_verdict_rule_of_msdunet_focus(client):
    config = client.get("/api/config").json()
    assert (config["sharp_from"], config["subject_from"]) == (focus.SHARP_FROM, focus.SUBJECT_FROM)
    assert config["verdicts"] == list(focus.VERDICTS) and config["max_upload"] == LIMIT


def test_config_gives_the_px_limit_the_report_was_judged_with(client, out):
    assert client.get("/api/config").json()["limit_px"] == json.loads((out / "report.json").read_text())["limit_px"]
    data = json.loads((out / "report.json").read_text())
    (out / "report.json").write_text(json.dumps({**data, "limit_px": 1.25}))  # as detect --limit-px 1.25 writes
    assert client.get("/api/config").json()["limit_px"] == 1.25
    del data["limit_px"]  # a report from before the limit was recorded
    (out / "report.json").write_text(json.dumps(data))
    assert client.get("/api/config").json()["limit_px"] == focus.LIMIT_PX


def test_report_gives_detects_rows_with_urls_of_their_files(client, out):
    body = client.get("/api/report").json()
    assert body["source"].endswith("report.json") and body["threshold"] == 0.5
    rows = body["rows"]
    assert [{k: r[k] for k in FIELDS} for r in rows] == report_rows(out)
    assert set(rows[0]) == {*FIELDS, "map_url", "overlay_url", "thumb_url", "photo_url", "crop_url"}
    good = [r for r in rows if not r["error"]]
    assert len(good) == 3 and any(r["output"] == "trip/day 2/small_blur.png" for r in good)
    for row in good:
        got = client.get(row["map_url"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.content == (out / row["output"]).read_bytes()
        assert client.get(row["overlay_url"]).headers["content-type"] == "image/jpeg"
    (failed,) = [r for r in rows if r["error"]]
    assert "broken.jpg" in failed["error"] and failed["map_url"] is None and failed["overlay_url"] is None


def test_report_is_read_from_the_csv_while_detect_is_still_writing(client, out, made):
    (out / "report.json").unlink()
    body = client.get("/api/report").json()
    assert body["source"].endswith("report.csv")
    assert [{k: r[k] for k in FIELDS} for r in body["rows"]] == report_rows(made)


def test_upload_gives_the_row_and_files_detect_gives(client, out, tmp_path):
    row = next(r for r in report_rows(out) if r["path"].endswith("half.jpg"))
    photo = Path(row["path"])
    response = client.post("/api/detect", files={"file": ("half.jpg", photo.read_bytes(), "image/jpeg")})
    assert response.status_code == 200, response.text
    got = response.json()
    same = [k for k in FIELDS if k not in ("path", "ms", "output")]
    assert {k: got[k] for k in same} == {k: row[k] for k in same}
    assert got["path"] == "half.jpg" and got["output"].endswith("/half_blur.png")
    served = Image.open(io.BytesIO(client.get(got["map_url"]).content))
    assert np.array_equal(np.asarray(served), np.asarray(Image.open(out / row["output"])))
    assert client.get(got["overlay_url"]).headers["content-type"] == "image/jpeg"
    assert not list((tmp_path / "uploads").rglob("half.jpg")), "the uploaded photo itself is not kept"


def test_upload_names_cannot_escape_the_uploads_folder(client, tmp_path):
    image, _ = half_blurred(64, 48)
    response = client.post("/api/detect", files={"file": ("../../evil name.jpg", jpeg_bytes(image), "image/jpeg")})
    assert response.status_code == 200, response.text
    assert response.json()["path"] == "evil_name.jpg"
    assert all(p.resolve().is_relative_to((tmp_path / "uploads").resolve()) for p in tmp_path.rglob("*evil*"))


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("notes.txt", b"hello, not a photo", 415),
        ("fake.jpg", b"hello, not a photo", 415),
        ("empty.jpg", b"", 415),
        ("truncated.jpg", "truncated", 422),
        ("huge.jpg", "huge", 413),
    ],
    ids=["text", "text-named-jpg", "empty", "truncated", "too-large"],
)
def test_bad_uploads_are_refused_and_the_server_goes_on(client, name, data, status):
    if data == "truncated":
        data = jpeg_bytes(half_blurred(200, 150)[0])[:1500]
    elif data == "huge":
        data = b"\xff\xd8\xff" + bytes(LIMIT)
    response = client.post("/api/detect", files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == status, response.text
    if status != 413:
        assert name in response.json()["detail"]
    image, _ = half_blurred(64, 48)
    assert client.post("/api/detect", files={"file": ("ok.jpg", jpeg_bytes(image), "image/jpeg")}).status_code == 200


def test_upload_without_the_file_field_is_422(client):
    assert client.post("/api/detect", data={"photo": "x"}).status_code == 422


def test_oversize_upload_is_refused_while_it_streams_in(client):
    """No Content-Length: the limit must be counted chunk by chunk, before the body is all read."""
    head = b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    chunks = [head + b"\xff\xd8\xff"] + [bytes(65536)] * 100
    read = 0
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"multipart/form-data; boundary=XYZ"), (b"transfer-encoding", b"chunked")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/detect", "raw_path": b"/api/detect", "root_path": "", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip
    asyncio.run(client.app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert read <= LIMIT // 65536 + 2, f"read {read} chunks of {len(chunks)}"


def test_picks_are_saved_to_picks_csv_for_cull(client, out):
    rows = [r for r in report_rows(out) if not r["error"]]
    first, second = rows[0]["path"], rows[2]["path"]
    assert client.get("/api/picks").json() == {}
    assert client.post("/api/picks", json={"path": first, "pick": "pick"}).json() == {first: "pick"}
    client.post("/api/picks", json={"path": second, "pick": "reject"})
    with open(out / "picks.csv", newline="") as f:
        assert list(csv.reader(f)) == [["path", "pick"], [first, "pick"], [second, "reject"]]
    assert client.post("/api/picks", json={"path": first, "pick": None}).json() == {second: "reject"}
    assert client.post("/api/picks", json={"path": "/elsewhere/x.jpg", "pick": "pick"}).status_code == 404
    assert client.post("/api/picks", json={"path": second, "pick": "maybe"}).status_code == 422
    assert (out / "picks.csv").read_text().splitlines() == ["path,pick", f"{second},reject"]
    assert not list(out.glob(".picks.csv*")), "no temp file left behind"


def test_picks_csv_is_read_back_and_a_broken_one_is_named(out, detector):
    (out / "picks.csv").write_text("path,pick\n/a.jpg,reject\n")
    with TestClient(create_app(out, detector=detector)) as c:
        assert c.get("/api/picks").json() == {"/a.jpg": "reject"}
    (out / "picks.csv").write_text("path,pick\n/a.jpg,keep\n")
    with pytest.raises(StoreError, match=r"picks\.csv, line 2: .*'keep'"):
        create_app(out, detector=detector)


def test_without_out_only_uploads_work_and_their_temp_folder_goes_at_shutdown(detector):
    app = create_app(None, detector=detector)
    with TestClient(app) as c:
        assert c.get("/api/config").json()["out"] is None
        assert c.get("/api/report").status_code == 404 and c.get("/api/picks").status_code == 404
        image, _ = half_blurred(64, 48)
        assert c.post("/api/detect", files={"file": ("a.jpg", jpeg_bytes(image), "image/jpeg")}).status_code == 200
        assert list(app.state.uploads_dir.rglob("a_blur.png"))
    assert not app.state.uploads_dir.exists()


ATTACKS = [
    "../secret.png", "../../out/../secret.png", "%2e%2e/secret.png", "..%2fsecret.png", "%2e%2e%2fsecret.png",
    "/{root}/secret.png", "//{root}/secret.png", "link_out.png", "trip/../../secret.png", "report.csv",
    "report.json", "picks.csv", "nothing_blur.png", "trip", "", "%00.png", "..\\secret.png",
]  # fmt: skip


@pytest.fixture()
def traps(out) -> Path:
    """A PNG beside OUT (outside it) and a symlink inside OUT that points to it."""
    secret = out.parent / "secret.png"
    Image.new("L", (4, 4)).save(secret)
    (out / "link_out.png").symlink_to(secret)
    (out / "picks.csv").write_text("path,pick\n")
    return secret


def test_nothing_outside_out_is_served_over_real_http(out, detector, traps):
    """Raw request targets (http.client sends them as written, no client-side normalisation)."""
    app = create_app(out, detector=detector, max_upload=LIMIT)
    with running(app) as url:
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)

        def get(target: str) -> int:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            return response.status

        for attack in ATTACKS:
            target = attack.replace("{root}", str(out.parent).lstrip("/"))
            assert get(f"/files/{target}") == 404, target
            assert get(f"/uploads/{target}") == 404, target
        assert get("/files/trip/../half_blur.png") == 200
        conn.request("POST", "/api/detect", body=b"x" * (LIMIT + 10), headers={"Content-Type": "multipart/form-data"})
        assert conn.getresponse().status == 413
        conn.close()
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        assert get("/api/config") == 200, "the server is still up"


def test_inside_allows_only_maps_and_overlays_within_the_folder(out, traps):
    assert inside(out, "half_blur.png") == (out / "half_blur.png").resolve()
    assert inside(out, "trip/day 2/small_overlay.jpg") is not None
    for attack in ATTACKS:
        assert inside(out, attack.replace("{root}", str(out.parent).lstrip("/"))) is None, attack
    (out / "loop.png").symlink_to(out / "loop.png")
    assert inside(out, "loop.png") is None


def test_page_and_docs_load_nothing_from_another_host(client):
    for path in ("/", "/static/app.js", "/static/app.css", "/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        for ref in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", response.text):
            assert ref.startswith(("/", "data:")) and not ref.startswith("//"), (path, ref)
            if ref.startswith("/"):
                assert client.get(ref).status_code == 200, ref
    assert not re.search(r"https?://", "".join(p.read_text() for p in STATIC.iterdir()))
    spec = client.get("/openapi.json").json()
    upload = spec["paths"]["/api/detect"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert "file" in json.dumps(spec["components"]["schemas"]) and upload
    assert {"/api/config", "/api/report", "/api/picks"} <= set(spec["paths"])


def test_serve_binds_127_0_0_1_by_default_and_checks_out(monkeypatch, out, tiny_weights, tmp_path):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    result = invoke(["serve", out, "--weights", tiny_weights])
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "127.0.0.1", "port": 8000, "log_level": "warning"}]
    assert invoke(["serve", tmp_path / "missing"]).exit_code == 2
    result = invoke(["serve", out, "--host", "0.0.0.0", "--weights", tiny_weights])
    assert "warning: listening on 0.0.0.0" in result.output
    (out / "picks.csv").write_text("path\n")
    result = invoke(["serve", out, "--weights", tiny_weights])
    assert result.exit_code == 2 and "picks.csv" in result.output


def test_report_row_model_is_the_report_row():
    from msdunet.detect import Row
    from msdunet.serve.schemas import ReportRow

    assert list(ReportRow.model_fields) == [*FIELDS, "map_url", "overlay_url", "thumb_url", "photo_url", "crop_url"]
    assert ReportRow(**asdict(Row("x"))).path == "x"


def test_bursts_come_from_bursts_csv(tmp_path, tiny_weights):
    from fastapi.testclient import TestClient

    from msdunet import BlurDetector
    from msdunet.serve import create_app

    out = tmp_path / "out"
    out.mkdir()
    client = TestClient(create_app(out, detector=BlurDetector(tiny_weights), uploads=tmp_path / "up"))
    assert client.get("/api/bursts").json() == {"source": "", "photos": {}}
    (out / "bursts.csv").write_text(
        "path,group,rank,subject_blur_px,sharp_share\na.jpg,1,2,1.5,0.2\nb.jpg,1,1,0.0,1.0\n"
    )
    got = client.get("/api/bursts").json()
    assert got["photos"] == {"a.jpg": {"group": 1, "rank": 2}, "b.jpg": {"group": 1, "rank": 1}}
    (out / "bursts.csv").write_text("not,a,bursts,file\n1,2,3,4\n")
    assert client.get("/api/bursts").json()["photos"] == {}
