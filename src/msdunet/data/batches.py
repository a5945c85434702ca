"""Training batches from a pack held in memory (CPU or GPU): shuffling, the paper's augmentation, crops.

Augmentation (paper §4.1, "horizontal reversal at each orientation"): the 8 dihedral transforms
(4 rotations × optional horizontal flip), applied to image and mask together.

* ``expand=True`` (paper): one epoch visits every image in all 8 transforms — the paper's
  "enhanced training set" — in random order.
* ``expand=False``: one epoch visits every image once, in one random transform.

``crop`` < pack size takes a random crop of that size (same scale as inference, less compute);
``crop`` = pack size uses the whole image, as the paper does.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

DIHEDRAL = 8


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
    ) -> None:
        self.images, self.masks = images, masks
        self.batch_size, self.expand, self.crop = batch_size, expand, crop
        self.rank, self.world = rank, world

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
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            imgs, msks = [], []
            for j in range(start, start + self.batch_size):
                i, k = int(index[j]), int(transform[j])
                y, x = int(offsets[j, 0]), int(offsets[j, 1])
                img = self.images[i, y : y + crop, x : x + crop].permute(2, 0, 1)
                imgs.append(dihedral(img, k).permute(1, 2, 0))
                msks.append(dihedral(self.masks[i, y : y + crop, x : x + crop], k))
            yield torch.stack(imgs), torch.stack(msks).long()
