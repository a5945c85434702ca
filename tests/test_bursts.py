"""``msdunet cull --bursts``: near-duplicate shots grouped by time and look, ranked sharpest first, the
others sorted to similar/ (undoable) or labelled in XMP; the real three-shot scenes of mxagar_blur300."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from msdunet.cull import bursts, likeness, xmp
from msdunet.cull.bursts import Shot

from .conftest import DATA, invoke, needs_data
from .test_cull import needs_xmp, tree

REAL = DATA / "realworld" / "mxagar_blur300"


def scene(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A made-up scene: coloured shapes over a fine texture, a bit larger than ``size`` (for shifts)."""
    rng = np.random.default_rng(seed)
    width, height = size[0] + 32, size[1] + 32
    base = rng.integers(0, 256, (height // 4, width // 4, 3), dtype=np.uint8)
    image = Image.fromarray(base).resize((width, height), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(20, width // 2), rng.integers(20, height // 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=colour)
    return image


def shot(base: Image.Image, *, dx: int, dy: int, blur: float, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """``base`` re-framed by (dx, dy) px and blurred by a Gaussian of ``blur`` px."""
    frame = base.crop((16 + dx, 16 + dy, 16 + dx + size[0], 16 + dy + size[1]))
    return frame.filter(ImageFilter.GaussianBlur(blur)) if blur else frame


def exif_time(text: str) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = text
    return exif


def test_exif_time_with_sub_seconds():
    assert likeness.parse_exif_time("2024:05:01 10:00:00") == pytest.approx(1714557600.0)
    assert likeness.parse_exif_time("2024:05:01 10:00:00", "25") - 1714557600.0 == pytest.approx(0.25)
    assert likeness.parse_exif_time("0000:00:00 00:00:00") is None
    assert likeness.parse_exif_time("    ") is None and likeness.parse_exif_time(None) is None


def test_capture_time_is_read_from_the_file(tmp_path):
    path = tmp_path / "a.jpg"
    scene(0).save(path, exif=exif_time("2024:05:01 10:00:01"))
    assert likeness.capture_time(path) == pytest.approx(1714557601.0)
    scene(0).save(tmp_path / "b.jpg")
    assert likeness.capture_time(tmp_path / "b.jpg") is None
    assert likeness.capture_time(tmp_path / "missing.jpg") is None


def with_thumbnail(thumbnail: Image.Image) -> bytes:
    """EXIF bytes (as a JPEG's APP1 holds them) whose IFD1 carries ``thumbnail`` as a JPEG."""
    import io
    import struct

    buffer = io.BytesIO()
    thumbnail.save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    ifd0 = struct.pack("<H", 0) + struct.pack("<I", 14)  # no entries; IFD1 follows at 14
    ifd1 = struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, 44) + struct.pack("<HHII", 0x0202, 4, 1, len(data))
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + ifd1 + struct.pack("<I", 0) + data


def test_a_camera_jpeg_is_seen_through_its_exif_thumbnail(tmp_path):
    photo, other = shot(scene(6), dx=0, dy=0, blur=0), shot(scene(7), dx=0, dy=0, blur=0)
    thumb = Image.new("RGB", (160, 160))  # the other scene, letterboxed as some cameras do
    thumb.paste(other.resize((160, 120)), (0, 20))
    photo.save(tmp_path / "a.jpg", exif=with_thumbnail(thumb))
    seen = likeness.look_of(tmp_path / "a.jpg")
    assert likeness.similarity(seen, likeness.look_of_image(other)) > 0.9  # the thumbnail, bars cut off
    assert seen.aspect == pytest.approx(320 / 240)
    photo.save(tmp_path / "b.jpg", exif=with_thumbnail(Image.new("RGB", (40, 30))))  # too small: the photo
    assert likeness.similarity(likeness.look_of(tmp_path / "b.jpg"), likeness.look_of_image(photo)) > 0.95


def test_shots_of_one_scene_look_alike_and_other_scenes_do_not():
    base = scene(1)
    a = likeness.look_of_image(shot(base, dx=0, dy=0, blur=0))
    moved_blurred = likeness.look_of_image(shot(base, dx=12, dy=-8, blur=3))
    other = likeness.look_of_image(shot(scene(2), dx=0, dy=0, blur=0))
    assert likeness.similarity(a, moved_blurred) > 0.8
    assert likeness.similarity(a, other) < bursts.SIMILAR_FROM
    portrait = likeness.look_of_image(shot(base, dx=0, dy=0, blur=0).resize((240, 320)))
    assert likeness.similarity(a, portrait) == 0.0  # another aspect ratio: another framing


def looked(path: str, image: Image.Image, blur: float | None, **kwargs) -> Shot:
    return Shot(path, blur, look=likeness.look_of_image(image), **kwargs)


def test_grouping_by_file_order_and_look_then_ranking():
    shots, base = [], {s: scene(s) for s in (1, 2)}
    blurs = {1: [2.0, 0.0, 1.0], 2: [None, 0.5, 0.5]}
    for s in (1, 2):
        for k, blur in enumerate(blurs[s]):
            share = {0: 0.2, 1: 0.9}.get(k) if s == 2 else None
            image = shot(base[s], dx=4 * k, dy=-3 * k, blur=blur or 0)
            shots.append(looked(f"p/{s}_{k}.jpg", image, blur, sharp_share=share))
    shots.append(looked("p/3_0.jpg", shot(scene(3), dx=0, dy=0, blur=0), 0.1))
    groups = bursts.group_shots(list(reversed(shots)))  # input order does not matter: file order does
    rows = bursts.rank_groups(list(reversed(shots)), groups)
    got = [(Path(r.path).stem, r.group, r.rank) for r in rows]
    # scene 1: 0.0 first; scene 2: a tie at 0.5 goes to the larger sharp share, no blur value comes last
    assert got == [("1_1", 1, 1), ("1_2", 1, 2), ("1_0", 1, 3), ("2_1", 2, 1), ("2_2", 2, 2), ("2_0", 2, 3),
                   ("3_0", 3, 1)]  # fmt: skip


def test_a_shaken_shot_ranks_last_whatever_its_blur_reads():
    """A long shake's blur reads short (its edges across the streak are gone), so the streak score's
    verdict puts it after the others of its burst, not first."""
    shots = [Shot("a.jpg", 0.9), Shot("b.jpg", 0.1, shaken=True), Shot("c.jpg", 0.4), Shot("d.jpg", None)]
    rows = bursts.rank_groups(shots, [[0, 1, 2, 3]])
    assert [r.path for r in rows] == ["c.jpg", "a.jpg", "d.jpg", "b.jpg"]


def test_the_gap_splits_alike_shots_taken_apart_and_timed_photos_group_by_time():
    base = scene(4)
    times = [0.0, 0.4, 0.9, 5.0, 5.3]
    shots = [looked(f"p/{i}.jpg", shot(base, dx=i, dy=0, blur=0), float(i), taken=t) for i, t in enumerate(times)]
    assert bursts.group_shots(shots, gap=2.0) == [[0, 1, 2], [3, 4]]
    assert bursts.group_shots(shots, gap=10.0) == [[0, 1, 2, 3, 4]]
    shuffled = [shots[i] for i in (4, 0, 3, 1, 2)]  # sequence by time, whatever the names
    assert [[shuffled[i].taken for i in g] for g in bursts.group_shots(shuffled)] == [[0.0, 0.4, 0.9], [5.0, 5.3]]


def test_unreadable_photos_stand_alone(tmp_path):
    good = tmp_path / "a.jpg"
    scene(5).save(good)
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    found = bursts.find_bursts([Shot(str(good), 0.0), Shot(str(tmp_path / "b.jpg"), 0.0)])
    assert [r.group for r in found.rows] == [1, 2] and found.groups == 0
    assert [p for p, _ in found.unread] == [str(tmp_path / "b.jpg")]


@pytest.fixture()
def burst_shoot(tmp_path):
    """photos/: two three-shot scenes (b_ taken 10 s after a_) and a single photo; out/report.json."""
    photos, rows = tmp_path / "photos", []
    photos.mkdir()
    plan = {"a": (10, [1.5, 0.0, 3.0]), "b": (11, [0.4, 2.0, 0.0]), "c": (12, [0.2])}
    for name, (seed, blurs) in plan.items():
        base = scene(seed)
        for k, blur in enumerate(blurs):
            path = photos / f"{name}_{k}.jpg"
            when = f"2024:05:01 10:00:{10 * (ord(name) - 97) + k:02d}"
            shot(base, dx=3 * k, dy=2 * k, blur=blur).save(path, quality=92, exif=exif_time(when))
            verdict = "sharp" if blur < 1 else "blurred"
            rows.append({"path": str(path), "verdict": verdict, "output": f"{path.stem}_blur.png",
                         "subject_blur_px": blur, "sharp_share": 0.5})  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text(json.dumps({"rows": [{"error": "", **r} for r in rows]}))
    return tmp_path


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_cull_bursts_writes_bursts_csv(burst_shoot):
    result = invoke(["cull", burst_shoot / "out", "--bursts"])
    assert result.exit_code == 0, result.output
    assert "2 group(s)" in result.stderr and "4 photo(s) not the sharpest" in result.stderr
    rows = read_csv(burst_shoot / "out" / "bursts.csv")
    assert list(rows[0]) == list(bursts.COLUMNS)
    got = [(Path(r["path"]).stem, r["group"], r["rank"], r["subject_blur_px"]) for r in rows]
    assert got == [("a_1", "1", "1", "0.0"), ("a_0", "1", "2", "1.5"), ("a_2", "1", "3", "3.0"),
                   ("b_2", "2", "1", "0.0"), ("b_0", "2", "2", "0.4"), ("b_1", "2", "3", "2.0"),
                   ("c_0", "3", "1", "0.2")]  # fmt: skip
    # a gap shorter than a second splits every burst (shots are 1 s apart)
    assert invoke(["cull", burst_shoot / "out", "--bursts", "--gap", "0.5"]).exit_code == 0
    assert {r["rank"] for r in read_csv(burst_shoot / "out" / "bursts.csv")} == {"1"}


def test_cull_bursts_into_sorts_the_others_to_similar_and_undoes(burst_shoot):
    before = tree(burst_shoot / "photos")
    result = invoke(["cull", burst_shoot / "out", "--bursts", "--into", burst_shoot / "sorted", "--move"])
    assert result.exit_code == 0, result.output
    got = {p for p, h in tree(burst_shoot / "sorted").items() if h != "dir" and not p.startswith(".")}
    assert got == {"sharp/a_1.jpg", "sharp/b_2.jpg", "sharp/c_0.jpg", "similar/a_0.jpg", "similar/a_2.jpg",
                   "similar/b_0.jpg", "similar/b_1.jpg"}  # fmt: skip
    assert invoke(["cull", "--undo", burst_shoot / "sorted"]).exit_code == 0
    assert tree(burst_shoot / "photos") == before and tree(burst_shoot / "sorted") == {}


def test_a_dry_run_writes_no_bursts_csv(burst_shoot):
    result = invoke(["cull", burst_shoot / "out", "--bursts", "--into", burst_shoot / "sorted", "--dry-run"])
    assert result.exit_code == 0 and "would write" in result.stderr
    assert "similar" in result.output  # the steps it would take
    assert not (burst_shoot / "out" / "bursts.csv").exists() and not (burst_shoot / "sorted").exists()


def test_a_pick_wins_over_similar(burst_shoot):
    (burst_shoot / "out" / "picks.csv").write_text(f"path,pick\n{burst_shoot / 'photos' / 'a_2.jpg'},pick\n")
    invoke(["cull", burst_shoot / "out", "--bursts", "--into", burst_shoot / "sorted"])
    assert (burst_shoot / "sorted" / "picked" / "a_2.jpg").is_file()
    assert (burst_shoot / "sorted" / "similar" / "a_0.jpg").is_file()


def test_usage_errors():
    assert invoke(["cull", "out", "--gap", "1"]).exit_code == 2
    assert invoke(["cull", "out", "--bursts", "--gap", "0"]).exit_code == 2
    assert invoke(["cull", "--undo", "x", "--bursts"]).exit_code == 2


def test_the_others_get_a_label_not_a_reject():
    assert xmp.marks("sharp", similar=True) == (4, xmp.SIMILAR_LABEL)
    assert xmp.marks("blurred", "reject", similar=True) == (-1, xmp.SIMILAR_LABEL)
    assert xmp.marks("sharp") == (4, "Green")


@needs_xmp
def test_cull_bursts_xmp_labels_the_others(burst_shoot):
    from libxmp import XMPMeta

    assert invoke(["cull", burst_shoot / "out", "--bursts", "--xmp"]).exit_code == 0
    labels = {}
    for sidecar in sorted((burst_shoot / "photos").glob("*.xmp")):
        meta = XMPMeta()
        meta.parse_from_str(sidecar.read_text())
        labels[sidecar.stem] = meta.get_property(xmp.XMP_NS, "Label")
    assert labels == {"a_0": "Purple", "a_1": "Green", "a_2": "Purple", "b_0": "Purple", "b_1": "Purple",
                      "b_2": "Green", "c_0": "Green"}  # fmt: skip


@needs_data
@pytest.mark.parametrize(
    "name", ["mde_heic/samsung_SM-G975F_issue487.heic", "photoprism_formats/iphone_15_pro.heic",
             "photoprism_formats/iphone_7.heic", "photoprism_formats/canon_eos_6d.dng"],
)  # fmt: skip
def test_real_heic_and_raw_look_as_their_full_decode(name):
    """Through the HEIC's own thumbnail (the first two), the full decode (iphone_7: none, turned by its
    EXIF) or the RAW's preview: upright, as msdunet.io reads the photo."""
    pytest.importorskip("pillow_heif")
    pytest.importorskip("rawpy")
    from msdunet.io import read_image

    path = DATA / "realworld" / name
    seen, full = likeness.look_of(path), likeness.look_of_image(read_image(path))
    assert seen.aspect == pytest.approx(full.aspect, rel=0.01)
    assert likeness.similarity(seen, full) > 0.95


@needs_data
def test_synthetic_bursts_of_real_photos_group_and_rank_the_sharpest_first(tmp_path):
    """Four DUT test photos, each shot three times: re-framed, blurred by σ 0, 1.5 and 3 px (disk, shake)."""
    from msdunet.focus import judge_photo
    from msdunet.io import read_image
    from msdunet.training import synthetic_blur as sb

    rng = np.random.default_rng(0)
    shots, sharpest = [], set()
    for scene_no, stem in enumerate(("3", "42", "105", "260")):
        photo = np.asarray(read_image(DATA / "dut" / "test" / "image" / f"{stem}.jpg"), dtype=np.float32) / 255
        for k, (sigma, kind) in enumerate([(1.5, "disk"), (0.0, ""), (3.0, "linear")]):
            dx, dy = rng.integers(0, 24, 2)
            frame = photo[dy : dy + 288, dx : dx + 288]
            frame = sb.blur(frame, sb.make_kernel(kind, sigma, rng)) if sigma else frame
            path = tmp_path / f"{scene_no}_{k}.jpg"
            Image.fromarray(np.round(np.clip(frame, 0, 1) * 255).astype(np.uint8)).save(path, quality=92)
            j = judge_photo(read_image(path))
            shots.append(Shot(str(path), j.subject_blur_px, j.sharp_share))
            sharpest |= {str(path)} if sigma == 0 else set()
    found = bursts.find_bursts(shots)
    assert found.groups == 4 and len(found.rows) == 12
    firsts = {row.path for row in found.rows if row.rank == 1}
    assert firsts == sharpest
    assert [sorted({Path(r.path).name[0] for r in found.rows if r.group == g}) for g in (1, 2, 3, 4)] == [
        ["0"], ["1"], ["2"], ["3"]]  # fmt: skip


@needs_data
def test_the_real_three_shot_scenes_group_and_rank_sharp_first():
    from msdunet.focus import judge_photo
    from msdunet.io import read_image

    files = sorted(p for p in REAL.iterdir() if p.suffix.lower() == ".jpg")
    shots = []
    for path in files:
        j = judge_photo(read_image(path))
        shots.append(Shot(str(path), j.subject_blur_px, j.sharp_share))
    found = bursts.find_bursts(shots)
    groups: dict[int, list[str]] = {}
    for row in found.rows:
        groups.setdefault(row.group, []).append(Path(row.path).stem)
    assert len(groups) == 8
    for members in groups.values():
        assert len({m.split("_")[0] for m in members}) == 1 and len(members) == 3
        assert members[0].endswith("_S"), members
