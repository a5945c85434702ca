"""``msdunet detect --engine ray``: the same maps and rows as the local engine, and every row after a
worker is killed on a 2-node cluster this test starts on 127.0.0.1 (skipped without Ray)."""

from __future__ import annotations

import csv
import json
import os
import sys
import threading
from importlib.util import find_spec
from pathlib import Path

import pytest

from .conftest import half_blurred, invoke

needs_ray = pytest.mark.skipif(
    find_spec("ray") is None, reason='Ray is not installed (pip install torch==2.13.0 -e ".[ray]")'
)
ROOT = Path(__file__).resolve().parents[1]
TIMING = {"ms"}


def rows(out: Path) -> list[dict]:
    with open(out / "report.csv", newline="") as f:
        return list(csv.DictReader(f))


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*_*.*")) if p.is_file()}


def without_timing(report: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in report]


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """Good photos in nested folders (one name in three places, and ``x.jpg`` beside ``x.png``) and
    broken ones."""
    root = tmp_path / "photos"
    for i, rel in enumerate(["x.jpg", "x.png", "a/x.jpg", "b/x.jpg", "b/y.webp", "c/d/z.jpg"]):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        half_blurred(72 + 8 * i, 48, seed=i)[0].save(root / rel)
    (root / "a/empty.jpg").write_bytes(b"")
    (root / "b/text.jpg").write_text("not an image")
    (root / "notes.txt").write_text("not a photo")
    return root


@pytest.fixture()
def local_ray():
    import ray

    from msdunet.detect.ray_local import init_local

    init_local(2)
    yield
    ray.shutdown()


def test_missing_ray_names_the_extra(corpus, tmp_path, tiny_weights, monkeypatch):
    monkeypatch.setitem(sys.modules, "msdunet.detect.ray_engine", None)  # as if Ray were not installed
    out = tmp_path / "out"
    result = invoke(["detect", corpus, "-o", out, "--weights", tiny_weights, "--engine", "ray", "-q"])
    assert result.exit_code == 2
    assert 'pip install torch==2.13.0 -e ".[ray]"' in result.stderr
    assert not out.exists()


@needs_ray
def test_ray_engine_gives_the_local_engines_files_and_rows(corpus, tmp_path, tiny_weights, local_ray):
    import pyarrow.parquet as pq

    from msdunet.detect import DetectOptions, RayOptions, list_inputs
    from msdunet.detect.ray_engine import run_ray
    from msdunet.inference import ModelOptions

    common = [corpus, "-r", "--weights", tiny_weights, "--threads", "1", "-q"]
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert invoke(["detect", *common, "-o", local]).exit_code == 1  # the broken photos
    result = invoke(["detect", *common, "-o", on_ray, "--engine", "ray", "--ray-actors", "2", "--ray-batch", "2"])
    assert result.exit_code == 1, result.output
    assert "empty.jpg" in result.stderr and "text.jpg" in result.stderr

    expected = rows(local)
    assert len(expected) == 8 and len({r["output"] for r in expected if r["output"]}) == 6  # nothing overwritten
    assert without_timing(rows(on_ray)) == without_timing(expected)  # same rows, same order
    assert outputs(on_ray) == outputs(local)  # byte-identical maps and overlays, same tree
    summary = json.loads((on_ray / "report.json").read_text())
    assert summary["engine"] == "ray" and summary["images"] == 8 and summary["failed"] == 2
    assert summary["not_images"] == 1
    table = pq.read_table(on_ray / "report.parquet").to_pylist()
    assert table == summary["rows"]

    # the same folder as a URI, read through pyarrow's file system by the actors
    listing = list_inputs([corpus.as_uri()], recursive=True, uris=True)
    assert [s.rel for s in listing.inputs] == [Path(r["path"]).relative_to(corpus) for r in expected]
    uri_out = tmp_path / "uri"
    model = ModelOptions(weights=str(tiny_weights), working_size=256, threads=1)
    run_ray(listing.inputs, uri_out, DetectOptions(model=model, ray=RayOptions(actors=2)))
    assert outputs(uri_out) == outputs(local)
    for got, want in zip(rows(uri_out), expected, strict=True):
        uri = Path(want["path"]).as_uri()
        want = {**want, "path": uri, "error": want["error"].replace(want["path"], uri)}
        assert without_timing([got]) == without_timing([want])


@needs_ray
def test_a_killed_worker_on_a_two_node_cluster_loses_no_row(tmp_path, tiny_weights):
    """`ray start --head` + a second `ray start` (1 CPU each, 127.0.0.1 only); one actor's process is
    SIGKILLed in the middle of the run; Ray restarts it and retries its task, and every row is there."""
    import ray

    from msdunet.detect import DetectOptions, RayOptions, list_inputs, run_batch
    from msdunet.detect.ray_engine import run_ray
    from msdunet.detect.ray_local import keep_to_loopback, start_cluster, stop_cluster
    from msdunet.inference import ModelOptions
    from msdunet.inference.detector import BlurDetector

    from .ray_faults import DieOnce

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(12):
        half_blurred(64, 48, seed=i)[0].save(photos / f"p{i:02d}.jpg")
    (photos / "p06.jpg.kill").touch()  # the worker holding p06 dies
    sources = [s for s in list_inputs([photos]).inputs if s.label.endswith(".jpg")]
    model = ModelOptions(weights=str(tiny_weights), working_size=256, threads=1)
    path = os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    done: dict = {}

    def job():
        try:
            options = DetectOptions(model=model, ray=RayOptions(address=cluster.address, actors=2, batch_size=2))
            done["rows"] = run_ray(sources, tmp_path / "out", options, worker=DieOnce)
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            done["error"] = exc

    keep_to_loopback()
    try:
        cluster = start_cluster(2, cpus_per_node=1, env={"PYTHONPATH": path})
        thread = threading.Thread(target=job, daemon=True)
        thread.start()
        thread.join(timeout=150)
        assert not thread.is_alive(), "the Ray job did not finish in 150 s"
    finally:
        ray.shutdown()
        stop_cluster()
    assert "error" not in done, done.get("error")
    assert (photos / "p06.jpg.killed").exists() and not (photos / "p06.jpg.kill").exists()  # it did die
    got = done["rows"]
    assert [r.path for r in got] == [s.label for s in sources]
    assert all(not r.error for r in got), [r.error for r in got if r.error]
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    assert summary["ray_nodes"] == 2 and summary["actors"] == 2 and summary["images"] == 12
    expected = run_batch(
        BlurDetector(tiny_weights, threads=1), [photos / f"p{i:02d}.jpg" for i in range(12)], tmp_path / "local"
    )
    assert [(r.verdict, r.mean_blur, r.output) for r in got] == [(r.verdict, r.mean_blur, r.output) for r in expected]
    assert outputs(tmp_path / "out") == outputs(tmp_path / "local")
