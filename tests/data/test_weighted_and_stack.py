"""WeightedRandomSampler and StackDataset: PyTorch's rules and errors (juanji's own draws)."""

import numpy as np
import pytest

import juanji
from juanji.utils.data import StackDataset, WeightedRandomSampler
from reference import torch

TU = pytest.importorskip("torch.utils.data")


@pytest.mark.parametrize(
    "args",
    [([1.0, 2.0], 0), ([1.0, 2.0], -3), ([[1.0, 2.0]], 3), ([1.0, 2.0], 2.5)],
)
def test_weighted_sampler_refuses_what_torch_refuses(args):
    with pytest.raises(ValueError) as theirs:
        TU.WeightedRandomSampler(*args)
    with pytest.raises(ValueError) as ours:
        WeightedRandomSampler(*args)
    assert str(ours.value).split(",")[0].split(" but")[0] == str(theirs.value).split(",")[0].split(
        " but"
    )[0]


def test_weighted_sampler_draws_in_proportion_and_never_a_zero_weight():
    weights = [0.0, 1.0, 3.0]
    sampler = WeightedRandomSampler(weights, 4000, generator=juanji.Generator().manual_seed(1))
    drawn = np.array(list(sampler))
    assert len(sampler) == 4000 and set(drawn.tolist()) <= {1, 2}
    assert abs((drawn == 2).mean() - 0.75) < 0.03
    once = WeightedRandomSampler(torch.tensor([1.0, 1.0, 0.0, 1.0]), 3, replacement=False)
    assert sorted(once) == [0, 1, 3]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False))
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        list(WeightedRandomSampler([1.0, -1.0], 2))


def test_stack_dataset_as_torchs():
    for args, kwargs in (([[1, 2], [3, 4]], {}), ([], {"a": [1, 2], "b": [3, 4]})):
        ours, theirs = StackDataset(*args, **kwargs), TU.StackDataset(*args, **kwargs)
        assert len(ours) == len(theirs) and [ours[i] for i in range(2)] == [
            theirs[i] for i in range(2)
        ]
    for args, kwargs in (([[1], [1, 2]], {}), ([], {}), ([[1]], {"b": [2]})):
        with pytest.raises(ValueError) as theirs:
            TU.StackDataset(*args, **kwargs)
        with pytest.raises(ValueError, match=str(theirs.value)[:20]):
            StackDataset(*args, **kwargs)
    loader = juanji.data.DataLoader(StackDataset(juanji.arange(4), juanji.arange(4) * 2), 2)
    first = next(iter(loader))
    assert first[0].tolist() == [0, 1] and first[1].tolist() == [0, 2]
