"""What the pixel-scale judgement adds per photo: ``msdunet.focus.measure_blur`` on camera-size photos,
by each blur estimator (``classical``; ``learned``: the CNN in NumPy), on one thread (NumPy's BLAS
limited by threadpoolctl).

    python -m lab judge_speed [--repeats 7] [--write]

Photos: the 12 MP phone HEICs of ``realworld/`` (decoded once, upright RGB) and the same scaled to
24 MP (6000 × 4000, Lanczos), sharp as they are and blurred by a Gaussian of σ = 4 px (so that the
halved-photo pass runs too).  Timed in-process on decoded images (decoding is the same with or without
the judgement), median of ``--repeats`` after a warm-up, one thread; beside it, the time of Pillow's
full-size decode of the same photo saved as JPEG q92, as the scale of what a culling pass costs anyway.
Writes reports/judge_speed.{json,md} with ``--write``.  Time it on an idle machine.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

from PIL import Image, ImageFilter

from lab import ROOT
from lab.bench.common import cpu_info, median_seconds
from msdunet.data.sources import data_root
from msdunet.focus import measure_blur
from msdunet.focus.limits import ESTIMATORS
from msdunet.io import read_image

PHOTOS = ("mde_heic/samsung_SM-G975F_issue487.heic", "photoprism_formats/iphone_15_pro.heic")


def cases() -> list[tuple[str, Image.Image]]:
    root = data_root(None) / "realworld"
    out = []
    for name in PHOTOS:
        photo = read_image(root / name)
        big = photo.resize((6000, 4000) if photo.width > photo.height else (4000, 6000), Image.LANCZOS)
        for label, image in ((f"{name} 12 MP", photo), (f"{name} 24 MP", big)):
            out.append((f"{label} sharp", image))
            out.append((f"{label} σ=4", image.filter(ImageFilter.GaussianBlur(4))))
    return out


def decode_seconds(image: Image.Image, repeats: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo.jpg"
        image.save(path, quality=92)
        data = path.read_bytes()
    seconds, _ = median_seconds(lambda: Image.open(io.BytesIO(data)).convert("RGB"), repeats=repeats, warmup=1)
    return seconds


def measure(repeats: int) -> list[dict]:
    """One row per photo: each estimator's median seconds and the level it measured at, the decode."""
    rows = []
    for label, image in cases():
        row = {"photo": label, "size": list(image.size)}
        for estimator in ESTIMATORS:
            run = lambda image=image, estimator=estimator: measure_blur(image, estimator=estimator)  # noqa: E731
            row[f"{estimator}_s"] = round(median_seconds(run, repeats=repeats, warmup=1)[0], 3)
            row[f"{estimator}_scale"] = run().scale
        rows.append(row | {"jpeg_decode_s": round(decode_seconds(image, repeats), 3)})
        print(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab judge_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="write reports/judge_speed.{json,md}")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits  # the bench extra

    with threadpool_limits(limits=1):
        rows = measure(args.repeats)
    report = {"cpu": cpu_info(), "repeats": args.repeats, "rows": rows}
    lines = ["# What the judgement adds per photo", "", "Written by `python -m lab judge_speed --write`: "
             "`msdunet.focus.measure_blur` on a decoded photo (median, one thread), by each estimator, beside a "
             "full-size Pillow decode of the same photo as JPEG q92.", "",
             "| photo | size | classical (s) | learned (s) | measured at 1/… | JPEG decode (s) |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['photo']} | {r['size'][0]}×{r['size'][1]} | {r['classical_s']} | {r['learned_s']} | "
                     f"{r['classical_scale']} / {r['learned_scale']} | {r['jpeg_decode_s']} |")  # fmt: skip
    if args.write:
        (ROOT / "reports" / "judge_speed.json").write_text(json.dumps(report, indent=1, default=sorted) + "\n")
        (ROOT / "reports" / "judge_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
