"""The learned blur estimator: its truth per edge direction, its training's symmetries, its weights'
checksum, and the judgement with ``estimator="learned"``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.studies.pixel_blur_train_data import directional
from msdunet.focus import JudgeOptions, judge, judge_photo, limits, measure_blur
from msdunet.focus.learned import EstimatorError, learned_sigmas, load_net, shipped_path
from msdunet.training import blur_estimator as be
from msdunet.training import synthetic_blur as sb

shipped = pytest.mark.skipif(not shipped_path().exists(), reason="no learned estimator shipped")


def test_directional_truth_is_the_kernels_spread_across_each_edge():
    assert directional(sb.gaussian(2.0)) == pytest.approx([2.0] * 4, abs=0.02)
    assert directional(sb.linear(2.0, 0)) == pytest.approx([2.0, 2**0.5, 0.0, 2**0.5], abs=0.05)
    assert directional(sb.linear(2.0, 45)).argmax() == 1 and directional(sb.linear(2.0, 135)).argmax() == 3
    assert not directional(None).any()


@pytest.mark.parametrize(
    ("turn", "perm"),
    [(np.transpose, be.TRANSPOSE), (lambda w: w[:, ::-1], be.FLIP), (lambda w: w[::-1], be.FLIP)],
)
def test_the_training_symmetries_permute_the_directions_as_the_kernel_turns(turn, perm):
    kernel = sb.curved(2.5, np.random.default_rng(3))
    turned = sb.Kernel("curved", np.ascontiguousarray(turn(kernel.weights)))
    assert directional(turned) == pytest.approx(directional(kernel)[list(perm)], abs=1e-5)


def tiny_args(tmp_path) -> argparse.Namespace:
    """pixel_blur_train's arguments for a one-epoch run of a tiny network into tmp_path/run."""
    return argparse.Namespace(
        patches=str(tmp_path),
        out=str(tmp_path / "run"),
        epochs=1,
        lr=1e-3,
        max_minutes=5.0,
        resume=False,
        channels=[4, 4, 8, 8],
    )


def tiny_run(tmp_path) -> str:
    rng = np.random.default_rng(0)
    n = 40
    np.savez(
        tmp_path / "part0.npz", patch=rng.integers(0, 255, (n, 128, 128), dtype=np.uint8),
        directional=rng.uniform(0, 3, (n, 4)).astype(np.float32), val=np.arange(n) % 4 == 0,
    )  # fmt: skip
    args = tiny_args(tmp_path)
    torch.manual_seed(0)
    assert be.fit(args)["epochs_done"] == 1
    return str(tmp_path / "run" / "model.safetensors")


def test_numpy_inference_is_the_trained_torch_network():
    from msdunet.focus.learned import Net

    torch.manual_seed(1)
    net = be.PatchBlurNet((8, 12, 16, 24)).eval()
    for p in net.parameters():
        p.data.uniform_(-0.3, 0.3)
    patches = np.random.default_rng(2).random((5, 128, 128), dtype=np.float32)
    with torch.inference_mode():
        expected = net(torch.from_numpy(patches)[:, None]).numpy()
    ours = Net.of({k: v.numpy() for k, v in net.state_dict().items()}, 4)(patches)
    assert ours == pytest.approx(expected, abs=1e-4)


def test_a_trained_run_loads_and_answers_four_sigmas(tmp_path):
    weights = tiny_run(tmp_path)
    sigmas = learned_sigmas(np.random.default_rng(1).random((3, 128, 128), dtype=np.float32), weights=weights)
    assert sigmas.shape == (3, 4) and (sigmas >= 0).all()
    card = json.loads((tmp_path / "run" / "model.json").read_text())
    assert card["channels"] and card["epoch"] == 1


def test_changed_weights_are_refused(tmp_path):
    weights = tiny_run(tmp_path)
    with open(weights, "ab") as f:
        f.write(b"\0")
    with pytest.raises(EstimatorError, match="checksum"):
        load_net(weights)


def test_a_run_folder_is_never_overwritten(tmp_path):
    tiny_run(tmp_path)
    args = tiny_args(tmp_path)
    with pytest.raises(SystemExit, match="--resume"):
        be.fit(args)


def scene(side: int = 768) -> np.ndarray:
    from tests.test_focus_judge import shapes

    return shapes(side)


@shipped
def test_learned_judgement_reads_known_blur():
    from tests.test_focus_judge import photo

    image = scene()
    sharp = judge_photo(photo(image), options=JudgeOptions(estimator="learned"))
    assert sharp.verdict != "blurred" and sharp.limit_px == limits.FITTED["learned"]["limit_px"]
    blurred = measure_blur(photo(image, sb.gaussian(2.0)), estimator="learned")
    assert blurred.estimator == "learned" and judge(blurred).verdict == "blurred"
    assert judge(blurred).subject_blur_px == pytest.approx(2.0, rel=0.35)


@shipped
def test_learned_estimator_leaves_texture_less_patches_unknown():
    from PIL import Image

    flat = Image.new("RGB", (600, 400), (90, 120, 200))
    j = judge_photo(flat, options=JudgeOptions(estimator="learned"), map_verdict="subject in focus")
    assert j.subject_blur_px is None and j.verdict == "subject in focus"


def test_unknown_estimator_is_named():
    from msdunet.focus.sharpness import estimate

    with pytest.raises(ValueError, match="classical, learned"):
        estimate(np.zeros((1, 128, 128), dtype=np.float32), "magic")


def test_the_default_estimator_is_the_one_the_rule_gives():
    from lab.studies.pixel_blur_decision import decision

    reports = Path(__file__).resolve().parent.parent / "reports"
    report = json.loads((reports / "pixel_blur.json").read_text())
    speed = json.loads((reports / "judge_speed.json").read_text())
    assert decision(report, speed)[1] == limits.ESTIMATOR == report["shipped"]["estimator"]
