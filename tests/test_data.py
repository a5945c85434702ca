"""Dataset listing, packs (mask decisions, polarity), and the paper's dihedral augmentation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from msdunet.data.batches import BatchSampler, dihedral
from msdunet.data.pack import build_pack, load_pack
from msdunet.data.sources import dataset_samples, read_stems

from .conftest import DATA, needs_data


def test_pack_applies_and_reports_mask_decisions(folder_dataset, tmp_path):
    samples = dataset_samples("folder", "all", folder_dataset)
    assert [s.stem for s in samples] == ["s0", "s1", "s2", "s3", "s4"]
    summary = build_pack(samples, tmp_path / "p.npz", size=32)
    assert summary.packed == ["s0", "s1", "s2", "s4"]
    assert "s3" in summary.skipped and "aspect" in summary.skipped["s3"]
    assert summary.resized_masks == ["s2"] and summary.constant_masks == ["s4"]
    assert any("skipped s3" in line for line in summary.lines())
    pack = load_pack(tmp_path / "p.npz")
    assert pack.images.shape == (4, 32, 32, 3) and pack.masks.shape == (4, 32, 32)
    for m in pack.masks[:3]:  # left half sharp, right half blurred
        assert m[:, :14].sum() == 0 and m[:, 18:].all()
    assert pack.masks[3].all()


@pytest.mark.parametrize("image_format", ["jpeg", "raw"])
def test_pack_formats_agree(folder_dataset, tmp_path, image_format):
    samples = dataset_samples("folder", "all", folder_dataset)[:2]
    build_pack(samples, tmp_path / "raw.npz", size=32, image_format="raw")
    build_pack(samples, tmp_path / "x.npz", size=32, image_format=image_format)
    raw, other = load_pack(tmp_path / "raw.npz"), load_pack(tmp_path / "x.npz")
    # pixel-level noise is JPEG's worst case: q90 4:4:4 stays within ~4 grey levels on average
    assert np.abs(raw.images.astype(int) - other.images.astype(int)).mean() < 5
    np.testing.assert_array_equal(raw.masks, other.masks)


def test_pack_jpegs_decode_like_a_plain_encoding(folder_dataset, tmp_path):
    """Optimised progressive JPEGs change only the entropy coding: the same pixels as a baseline
    JPEG of the same quality, in fewer bytes."""
    import io

    from msdunet.data.pack import JPEG_QUALITY, load_pair, resize_pair
    from msdunet.data.pack import PackSummary as Summary

    samples = dataset_samples("folder", "all", folder_dataset)[:2]
    build_pack(samples, tmp_path / "x.npz", size=64)
    packed = load_pack(tmp_path / "x.npz")
    with np.load(tmp_path / "x.npz") as data:
        packed_bytes = int(data["offsets"][-1])
    plain_bytes = 0
    for sample, pixels in zip(samples, packed.images, strict=True):
        image, _ = resize_pair(*load_pair(sample, Summary()), 64)
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0)
        plain_bytes += len(buf.getvalue())
        np.testing.assert_array_equal(np.asarray(Image.open(buf).convert("RGB")), pixels)
    assert packed_bytes < plain_bytes


def test_inverted_masks_with_polarity_option(folder_dataset, tmp_path):
    """A small copy in the original DUT convention (BMP, white = sharp) packs to the same masks."""
    inverted = tmp_path / "inv"
    (inverted / "gt").mkdir(parents=True)
    (inverted / "image").symlink_to(folder_dataset / "image")
    for stem in ("s0", "s1"):
        grey = np.asarray(Image.open(folder_dataset / "gt" / f"{stem}.png").convert("L"))
        Image.fromarray(255 - grey).save(inverted / "gt" / f"{stem}.bmp")
    (tmp_path / "two.txt").write_text("s0\ns1\n")
    build_pack(dataset_samples("folder", str(tmp_path / "two.txt"), folder_dataset), tmp_path / "a.npz", size=32)
    build_pack(
        dataset_samples("folder", str(tmp_path / "two.txt"), inverted),
        tmp_path / "b.npz",
        size=32,
        white_is_blurred=False,
    )
    np.testing.assert_array_equal(load_pack(tmp_path / "a.npz").masks, load_pack(tmp_path / "b.npz").masks)


def test_missing_stem_is_an_error(folder_dataset, tmp_path):
    (tmp_path / "s.txt").write_text("s0\nnope\n")
    with pytest.raises(FileNotFoundError, match="nope"):
        dataset_samples("folder", str(tmp_path / "s.txt"), folder_dataset)


def test_dihedral_transforms_are_the_eight_distinct_ones():
    x = torch.arange(9).view(3, 3)
    outs = {tuple(dihedral(x, k).flatten().tolist()) for k in range(8)}
    assert len(outs) == 8


@pytest.mark.parametrize("expand", [True, False])
def test_batches_transform_image_and_mask_together(expand):
    n, s = 6, 16
    masks = torch.zeros(n, s, s, dtype=torch.uint8)
    masks[:, :, : s // 2] = 1  # left half blurred
    images = (masks[..., None] * 255).repeat(1, 1, 1, 3)  # image white exactly where blurred
    sampler = BatchSampler(images, masks, batch_size=2, expand=expand, crop=12)
    seen = 0
    for imgs, msks in sampler.epoch(torch.Generator().manual_seed(0)):
        assert imgs.shape == (2, 12, 12, 3) and msks.shape == (2, 12, 12)
        assert torch.equal((imgs[..., 0] == 255).long(), msks)
        seen += len(imgs)
    assert seen == len(sampler) * 2 == n * (8 if expand else 1)


def test_ranks_see_disjoint_shards():
    images = torch.arange(8).view(8, 1, 1, 1).repeat(1, 4, 4, 3).to(torch.uint8)
    masks = torch.zeros(8, 4, 4, dtype=torch.uint8)
    firsts = []
    for rank in range(2):
        sampler = BatchSampler(images, masks, 1, expand=False, rank=rank, world=2)
        firsts.append({int(b[0][0, 0, 0, 0]) for b in sampler.epoch(torch.Generator().manual_seed(1))})
    assert not firsts[0] & firsts[1] and len(firsts[0] | firsts[1]) == 8


@needs_data
def test_standard_splits_have_the_documented_sizes():
    sizes = {
        ("dut", "train"): 600,
        ("dut", "test"): 500,
        ("cuhk", "kim_train"): 800,
        ("cuhk", "kim_test"): 200,
        ("cuhk", "defocus_train"): 604,
        ("cuhk", "defocus_test"): 100,
        ("cuhk", "sun_test"): 200,
    }
    for (dataset, split), n in sizes.items():
        assert len(dataset_samples(dataset, split, DATA)) == n
    kim_train = set(read_stems(DATA / "cuhk" / "splits" / "kim2018_train.txt"))
    assert not kim_train & set(read_stems(DATA / "cuhk" / "splits" / "kim2018_test.txt"))


@needs_data
def test_real_mask_defects_are_handled(tmp_path):
    samples = [s for s in dataset_samples("dut", "train", DATA) if s.stem in ("567", "620", "986", "1015")]
    summary = build_pack(samples, tmp_path / "d.npz", size=64)
    assert summary.skipped.keys() == {"986"} and summary.resized_masks == ["1015"]
    assert summary.constant_masks == ["567"] and "620" in summary.packed


def test_motion_kernel_is_a_normalised_line():
    from msdunet.data.batches import motion_kernel

    flat = motion_kernel(9, 0.0)
    assert flat.shape == (9, 9) and abs(float(flat.sum()) - 1) < 1e-6
    assert float(flat[4].sum()) > 0.99  # horizontal: all weight on the centre row
    upright = motion_kernel(9, math.pi / 2)
    assert float(upright[:, 4].sum()) > 0.99
    diagonal = motion_kernel(9, math.pi / 4)
    assert float(diagonal.diagonal().sum()) > 0.5 and float(diagonal[0, 8]) == 0
    with pytest.raises(ValueError, match="odd"):
        motion_kernel(8, 0.0)


def test_motion_blur_smears_only_the_blurred_region_and_keeps_the_mask():
    from msdunet.data.batches import motion_kernel, smear_blurred_region

    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (32, 32, 3), generator=generator, dtype=torch.uint8)
    mask = torch.zeros(32, 32, dtype=torch.uint8)
    mask[:, 16:] = 1
    smeared = smear_blurred_region(image, mask, motion_kernel(7, 0.0))
    assert torch.equal(smeared[:, :16], image[:, :16])  # sharp side untouched
    right = smeared[:, 16:].float()
    assert right.diff(dim=1).abs().mean() < 0.5 * image[:, 16:].float().diff(dim=1).abs().mean()  # smoothed along x

    n, s = 8, 16
    masks = torch.zeros(n, s, s, dtype=torch.uint8)
    masks[:, :, s // 2 :] = 1
    images = torch.randint(0, 256, (n, s, s, 3), generator=generator, dtype=torch.uint8)
    plain = list(BatchSampler(images, masks, 4, expand=False).epoch(torch.Generator().manual_seed(3)))
    always = BatchSampler(images, masks, 4, expand=False, motion_blur=1.0)
    for (a, am), (b, bm) in zip(plain, always.epoch(torch.Generator().manual_seed(3)), strict=True):
        assert torch.equal(am, bm)  # labels as they were
        changed = (a != b).any(dim=-1)
        assert changed.any() and not (changed & (bm == 0)).any()  # only blurred pixels change
