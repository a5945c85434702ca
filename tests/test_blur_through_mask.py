"""Blur pasted through an exact mask (issue 24's composed training samples): outside the mask every
pixel is the image's own, inside it the image convolved with the kernel."""

from __future__ import annotations

import numpy as np

from msdunet.training.synthetic_blur import blur, blur_through_mask, make_kernel


def test_blur_lands_exactly_inside_the_mask():
    rng = np.random.default_rng(0)
    image = rng.random((48, 64, 3)).astype(np.float32)
    region = np.zeros((48, 64), bool)
    region[10:30, 20:50] = True
    kernel = make_kernel("curved", 3.0, rng)
    out = blur_through_mask(image, region, kernel)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[~region], image[~region])
    np.testing.assert_allclose(out[region], blur(image, kernel)[region], atol=1e-6)
    assert out[region].std() < 0.7 * image[region].std()  # blurred: the noise image is smoothed


def test_an_empty_mask_leaves_the_image_as_it_is():
    image = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    out = blur_through_mask(image, np.zeros((16, 16), bool), make_kernel("disk", 2.0, np.random.default_rng(2)))
    np.testing.assert_array_equal(out, image)
