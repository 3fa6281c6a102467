"""DistributedSampler against torch.utils.data.DistributedSampler (no process group needed)."""

import itertools

import pytest
import torch

import juanji.distributed as dist
from juanji.data import DataLoader, DistributedSampler

CASES = list(itertools.product([0, 1, 2, 5, 7, 10, 11], [1, 2, 3, 4], [False, True]))


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_unshuffled_shards_equal_pytorchs(n, replicas, drop_last):
    for rank in range(replicas):
        kwargs = {"num_replicas": replicas, "rank": rank, "shuffle": False, "drop_last": drop_last}
        ours = DistributedSampler(range(n), **kwargs)
        theirs = torch.utils.data.DistributedSampler(range(n), **kwargs)
        assert list(ours) == list(theirs)
        assert (len(ours), ours.total_size) == (len(theirs), theirs.total_size)


@pytest.mark.parametrize(
    ("n", "replicas", "drop_last"), [(10, 3, False), (10, 3, True), (2, 5, False)]
)
def test_shuffled_shards_follow_pytorchs_rules(n, replicas, drop_last):
    def shards(epoch, seed=0):
        samplers = [
            DistributedSampler(range(n), replicas, rank, seed=seed, drop_last=drop_last)
            for rank in range(replicas)
        ]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(s) for s in samplers]

    first = shards(0)
    assert shards(0) == first  # every rank draws the same order: the shards are stable
    lengths = {len(shard) for shard in first}
    theirs = len(torch.utils.data.DistributedSampler(range(n), replicas, 0, drop_last=drop_last))
    assert lengths == {theirs}
    # Interleaving the shards gives back the one order every rank cut: a permutation of the
    # dataset, cut (drop_last) or padded with its own beginning.
    order = [shard[i] for i in range(theirs) for shard in first]
    if drop_last:
        assert len(set(order)) == len(order) == theirs * replicas
    else:
        assert sorted(set(order)) == list(range(n))
        head = order[:n]
        assert order[n:] == (head * replicas)[: len(order) - n]
    if n >= 10:  # 10! orders: a repeat would be a bug, not chance
        assert shards(1) != first  # set_epoch reshuffles
        assert shards(0, seed=1) != first


def test_rank_and_replicas_come_from_the_process_group():
    dist.init_process_group()
    try:
        sampler = DistributedSampler(range(4), shuffle=False)
        assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3])
    finally:
        dist.destroy_process_group()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("rank", [-1, 2])
def test_invalid_rank_raises_as_pytorch(rank):
    message = rf"Invalid rank {rank}, rank should be in the interval \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        torch.utils.data.DistributedSampler(range(4), num_replicas=2, rank=rank)
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), num_replicas=2, rank=rank)


def test_a_loader_over_the_sampler_sees_only_its_shard():
    sampler = DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(list(range(10)), batch_size=2, sampler=sampler)
    assert [b.tolist() for b in loader] == [[1, 3], [5, 7], [9]]
