"""Training batches from a pack held in memory (CPU or GPU): shuffling, the paper's augmentation, crops.

Augmentation (paper §4.1, "horizontal reversal at each orientation"): the 8 dihedral transforms
(4 rotations × optional horizontal flip), applied to image and mask together.

* ``expand=True`` (paper): one epoch visits every image in all 8 transforms — the paper's
  "enhanced training set" — in random order.
* ``expand=False``: one epoch visits every image once, in one random transform.

``crop`` < pack size takes a random crop of that size (same scale as inference, less compute);
``crop`` = pack size uses the whole image, as the paper does.

``motion_blur`` (not the paper's; default 0): the probability that an image's *blurred* region is
smeared further by a random linear motion kernel (length ``MOTION_LENGTHS`` px at the pack's scale,
any direction), as a panning shot smears the background behind a tracked subject.  The mask stays
as it is — the region was blurred already — so no label is invented; it adds motion-like blur,
which the training data lack (DUT-DBD is all defocus: ``reports/accuracy_kinds.md``).  Tried once
(4 fine-tuning epochs at 0.5): no gain on Kim test (``reports/pretrained_study.md``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

DIHEDRAL = 8
MOTION_LENGTHS = (5, 21)  # px, odd, inclusive, at the pack's 256² scale


def motion_kernel(length: int, angle: float) -> torch.Tensor:
    """A normalised (length × length) kernel, ``length`` odd: a line of ``length`` px through the
    centre at ``angle`` (radians), drawn by bilinear splatting of points along it."""
    if length % 2 == 0 or length < 3:
        raise ValueError(f"motion kernel length must be odd and at least 3, got {length}")
    kernel = torch.zeros(length, length)
    centre = (length - 1) / 2
    for t in torch.linspace(-centre, centre, 4 * length):
        x, y = centre + float(t) * math.cos(angle), centre + float(t) * math.sin(angle)
        x0, y0 = min(int(x), length - 2), min(int(y), length - 2)
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return kernel / kernel.sum()


def smear_blurred_region(image: torch.Tensor, mask: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """uint8 (S,S,3) image whose pixels with mask 1 are replaced by the image convolved with
    ``kernel`` (reflect padding; the sharp subject smears into the region next to it, as in a
    panning shot); pixels with mask 0 are left exactly as they were."""
    x = image.permute(2, 0, 1)[None].float()
    pad = kernel.shape[-1] // 2
    weight = kernel.to(x.device)[None, None].expand(3, 1, -1, -1)
    smeared = F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), weight, groups=3)
    smeared = smeared[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8)
    return torch.where(mask[..., None].bool(), smeared, image)


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """Transform k (0..7) of the last two dims: rotate by 90°·(k % 4), then flip if k >= 4."""
    x = torch.rot90(x, k % 4, dims=(-2, -1))
    return torch.flip(x, dims=(-1,)) if k >= 4 else x


class BatchSampler:
    """Yields (images uint8 (B,S,S,3), masks int64 (B,S,S)) on the images' device.

    With ``rank``/``world`` each process sees a disjoint shard of the same shuffled order.
    """

    def __init__(
        self,
        images: torch.Tensor,
        masks: torch.Tensor,
        batch_size: int,
        expand: bool,
        crop: int | None = None,
        rank: int = 0,
        world: int = 1,
        motion_blur: float = 0.0,
    ) -> None:
        self.images, self.masks = images, masks
        self.batch_size, self.expand, self.crop = batch_size, expand, crop
        self.rank, self.world = rank, world
        self.motion_blur = motion_blur

    def __len__(self) -> int:
        n = len(self.images) * (DIHEDRAL if self.expand else 1)
        return n // self.world // self.batch_size

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        if self.expand:
            order = torch.randperm(n * DIHEDRAL, generator=generator)
            index, transform = order % n, order // n
        else:
            index = torch.randperm(n, generator=generator)
            transform = torch.randint(0, DIHEDRAL, (n,), generator=generator)
        per_rank = len(index) // self.world
        index = index[self.rank * per_rank : (self.rank + 1) * per_rank]
        transform = transform[self.rank * per_rank : (self.rank + 1) * per_rank]
        size = self.images.shape[1]
        crop = self.crop or size
        offsets = torch.randint(0, size - crop + 1, (len(index), 2), generator=generator)
        smear = self.motion_draws(len(index), generator) if self.motion_blur > 0 else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            imgs, msks = [], []
            for j in range(start, start + self.batch_size):
                i, k = int(index[j]), int(transform[j])
                y, x = int(offsets[j, 0]), int(offsets[j, 1])
                img = self.images[i, y : y + crop, x : x + crop].permute(2, 0, 1)
                img, msk = dihedral(img, k).permute(1, 2, 0), dihedral(self.masks[i, y : y + crop, x : x + crop], k)
                if smear is not None and smear[j] is not None:
                    img = smear_blurred_region(img, msk, smear[j])
                imgs.append(img)
                msks.append(msk)
            yield torch.stack(imgs), torch.stack(msks).long()

    def motion_draws(self, n: int, generator: torch.Generator) -> list[torch.Tensor | None]:
        """Per image: a motion kernel with probability ``motion_blur``, else None (drawn only when
        the option is on, so that runs without it keep their random stream)."""
        chosen = torch.rand(n, generator=generator) < self.motion_blur
        low, high = MOTION_LENGTHS  # odd lengths only: the kernel has a centre pixel
        lengths = 2 * torch.randint(low // 2, high // 2 + 1, (n,), generator=generator) + 1
        angles = torch.rand(n, generator=generator) * math.pi
        return [motion_kernel(int(lengths[j]), float(angles[j])) if chosen[j] else None for j in range(n)]
