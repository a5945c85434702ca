"""docs/serve.png, the README's picture of the web app: the default model runs ``detect`` on the
bundled examples/ into a temporary folder, ``msdunet serve``'s app is started on it, and headless
Chromium (Debian's ``chromium``, through Playwright) uploads one example, reviews the gallery with
the keyboard and takes the screenshot.

    python -m lab serve_screenshot [--out docs/serve.png] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from lab import ROOT
from msdunet import BlurDetector
from msdunet.detect import run_batch
from msdunet.io import scan_inputs
from msdunet.serve import create_app, running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "serve.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("error: no chromium found (apt-get install -y chromium, or --chromium PATH)")
    from playwright.sync_api import sync_playwright

    detector = BlurDetector()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # relative paths on the page, as after `msdunet detect photos -o out`
        shutil.copytree(ROOT / "examples", "photos", ignore=shutil.ignore_patterns("*.py"))
        run_batch(detector, scan_inputs([Path("photos")]).inputs, Path("out"))
        model = Path(detector.weights_path).stem
        app = create_app(Path("out"), detector=detector, uploads=Path(tmp) / "uploads", model_name=model)
        with running(app) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium)
            page = browser.new_page(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_selector("#gallery .thumb")
            page.set_input_files("#file-input", str(ROOT / "examples" / "defocus_portrait.jpg"))
            page.wait_for_function("document.querySelector('.result img.overlay')?.naturalWidth > 0")
            page.fill("#opacity", "60")
            page.click("#gallery .thumb >> nth=0")
            page.keyboard.press("x")  # reject the first (all blurred), pick the next
            page.keyboard.press("ArrowRight")
            page.keyboard.press("p")
            page.keyboard.press("ArrowRight")
            page.wait_for_selector("#gallery .thumb.pick")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
        os.chdir(ROOT)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
