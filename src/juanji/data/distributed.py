"""``DistributedSampler``: each rank's share of a dataset, as ``torch.utils.data``'s.

Every rank draws the same order (``seed + epoch`` seeds it, so call ``set_epoch`` before each
epoch for a new one), makes it a multiple of ``num_replicas`` long, and takes every
``num_replicas``-th index starting at its rank: disjoint shards of equal length. Without
``drop_last`` the order is padded by repeating its beginning (a sample may then be seen twice
in an epoch); with it, the tail is cut. The rules and the shards for ``shuffle=False`` are
PyTorch's exactly; shuffled orders come from juanji's generator (NumPy's PCG64), so they are
not torch's orders for the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from juanji.data.dataloader import Sampler
from juanji.distributed import group as _group
from juanji.random import Generator, numpy_rng

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that belong to one rank.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: the number of ranks; the process group's world size by default.
        rank: this rank; the process group's by default.
        shuffle: draw a new order each epoch (else ``0, 1, 2, ...``). Default: True.
        seed: the seed of the order; the same on every rank. Default: 0.
        drop_last: cut the tail so that every rank gets ``floor(n / num_replicas)`` indices,
            instead of padding to ``ceil(n / num_replicas)``. Default: False.

    Raises:
        ValueError: a rank outside ``[0, num_replicas - 1]``, or no process group to ask.

    Example:
        >>> sampler = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
        >>> list(sampler), len(sampler)
        ([1, 3, 0], 3)
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None:
            num_replicas = _group.get_world_size()
        if rank is None:
            rank = _group.get_rank()
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}"
            )
        if not isinstance(rank, int) or rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # Cut to the largest multiple of num_replicas, so no rank gets a padded index.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            indices = numpy_rng(generator).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif self.total_size > n:
            repeats = math.ceil((self.total_size - n) / n) if n else 0
            indices += (indices * repeats)[: self.total_size - n]
        assert len(indices) == self.total_size
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch``'s order from the next iteration on (the same on every rank)."""
        self.epoch = epoch
