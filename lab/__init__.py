"""The lab: studies, benchmarks and figures around the product (``src/msdunet``), never imported by it.

Run from the repository root as ``python -m lab VERB [ARGS]`` (``python -m lab`` lists the verbs).  A
verb is one module with a ``main()`` that reads ``sys.argv``; a new verb is one module and one line in
``VERBS``.  Reports go to ``reports/`` only when a verb is asked to write them (``--write`` for the
benchmarks; the studies write their reports, which is what they are run for).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository (reports/, runs/, cache/, examples/)

# verb → (module, one line of help); modules are imported only when their verb runs
VERBS: dict[str, tuple[str, str]] = {
    # studies: train, score, write a report under reports/
    "accuracy_checks": ("lab.studies.accuracy_checks", "Accuracy under scale, bf16, TTA, JPEG and per blur kind."),
    "engines_check": ("lab.studies.engines_check", "onnxruntime fp32 against torch bf16 and fp32: scores, maps."),
    "peers_report": ("lab.studies.peers_report", "Published methods' maps on the Sun-2019 split, scored."),
    "published_table": ("lab.studies.published_table", "Published results beside ours, per protocol and test set."),
    "geometry_study": ("lab.studies.geometry_study", "Working geometry, chosen off the test splits."),
    "pretrained_study": ("lab.studies.pretrained_study", "The ImageNet-pretrained encoder study (train, score)."),
    "pretrained_levers": ("lab.studies.pretrained_levers", "Issue 24's levers: Kim test by blur kind, ms/image."),
    "reproduce": ("lab.studies.reproduce", "The paper's tables and figures at CPU scale."),
    "reproduce_grids": ("lab.studies.reproduce_grids", "Figs 5-6: grids of photo, truth, published maps, ours."),
    "verdict_study": ("lab.studies.verdict_study", "The focus verdict's thresholds and confusion matrix."),
    "pixel_blur_data": ("lab.studies.pixel_blur_data", "Synthetic blur of known size on sharp benchmark content."),
    "pixel_blur_train_data": ("lab.studies.pixel_blur_train_data", "Training patches for the learned blur estimator."),
    "pixel_blur_train": ("msdunet.training.blur_estimator", "Train the learned blur estimator (cache/ → runs/)."),
    "pixel_blur": ("lab.studies.pixel_blur", "Blur in px: fit, error, real photos, sensitivity curve."),
    "faces_study": ("lab.studies.faces_study", "detect --faces on CUHK: faces found, agreement with the masks."),
    "bursts_study": ("lab.studies.bursts_study", "cull --bursts and frames on bursts and video of known blur."),
    "scale_demo": ("lab.studies.scale_demo", "One synthetic photo's map at several working sizes."),
    "ship_weights": ("lab.studies.ship_weights", "A trained run → shipped weights, model card and scores."),
    "ship_blur_estimator": ("lab.studies.ship_blur_estimator", "A blur-estimator run → shipped weights and card."),
    "ship_onnx": ("lab.studies.ship_onnx", "A shipped model's ONNX graph beside its weights, sha256 in the card."),
    "pack_all": ("lab.studies.pack_all", "Training and test packs of every setting into cache/."),
    "composed_blur": ("lab.studies.composed_blur", "Training samples blurred through exact masks (a pack)."),
    # benchmarks: print a report; --write saves it under reports/
    "compare_baselines": ("lab.bench.compare_baselines", "MSDU-net against classical baselines (HiFST...)."),
    "default_speed": ("lab.bench.default_speed", "The default model's speed, per image and per process."),
    "judge_speed": ("lab.bench.judge_speed", "What the pixel-scale judgement adds per camera-size photo."),
    "detect_e2e": ("lab.bench.detect_e2e", "msdunet detect end to end on a folder."),
    "camera_folder": ("lab.bench.camera_folder", "detect on 24 MP photos against a Laplacian-variance pass."),
    "model_size": ("lab.bench.model_size", "Parameters and GFLOPs of the architectures."),
    "ray_scaling": ("lab.bench.ray_scaling", "msdunet detect --engine ray against the local engine."),
    "scaling": ("lab.bench.scaling", "Time and memory against photo size."),
    "startup": ("lab.bench.startup", "Where detect's start-up goes, per engine: imports, timeline."),
    "serve_load": ("lab.bench.serve_load", "msdunet serve under concurrent uploads."),
    "speed_parts": ("lab.bench.speed_parts", "Where the network's time goes, part by part."),
    "threads_contention": ("lab.bench.threads_contention", "Thread counts on a busy machine."),
    "throughput": ("lab.bench.throughput", "Images per second of the shipped models."),
    # figures
    "grid_figure": ("lab.figures.grid_figure", "reports/grid_zoom.png: maps of every model, zoomed."),
    "readme_figure": ("lab.figures.readme_figure", "docs/example.png: the README's figure."),
    "serve_screenshot": ("lab.figures.serve_screenshot", "docs/serve.png: the web app's screenshot."),
    "make_examples": ("lab.figures.make_examples", "examples/: the procedural example photos."),
}
