"""Dataset, TensorDataset, Subset, ConcatDataset, random_split, StackedSamples."""

import numpy as np
import pytest

import juanji
from juanji.data import (
    ConcatDataset,
    Dataset,
    StackedSamples,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def test_tensor_dataset_items_and_getitems():
    x = juanji.tensor(np.arange(20, dtype=np.float32).reshape(10, 2))
    y = juanji.tensor(np.arange(10) % 3)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    assert xi.tolist() == [8.0, 9.0] and yi.item() == 1 and yi.shape == ()
    batch = ds.__getitems__([4, 0, 9])
    assert isinstance(batch, StackedSamples) and len(batch) == 3
    assert batch[0][0].tolist() == [8.0, 9.0]
    xs, ys = default_collate(batch)
    assert xs.dtype == juanji.float32 and ys.dtype == juanji.int64
    np.testing.assert_array_equal(xs.numpy(), x.numpy()[[4, 0, 9]])
    np.testing.assert_array_equal(ys.numpy(), [1, 0, 0])


def test_tensor_dataset_checks():
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(IndexError):
        TensorDataset(np.zeros(3)).__getitems__([3])


def test_stacked_samples_matches_a_list_of_samples():
    images = np.arange(24, dtype=np.float32).reshape(4, 1, 2, 3)
    labels = np.array([3, 1, 4, 1])
    stacked = StackedSamples([images, labels], ["tensor", "int"])
    as_list = [stacked[i] for i in range(len(stacked))]
    assert as_list[2][1] == 4 and isinstance(as_list[2][1], int)
    for a, b in zip(default_collate(stacked), default_collate(as_list), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.dtype == b.dtype
    single = StackedSamples([images], ["tensor"], as_tuple=False)
    assert single[0].shape == (1, 2, 3) and default_collate(single).shape == (4, 1, 2, 3)
    assert len(stacked[1:3]) == 2
    with pytest.raises(ValueError, match="different lengths"):
        StackedSamples([images, labels[:2]], ["tensor", "int"])


def test_subset_and_its_getitems():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [9, 3, 5])
    assert len(sub) == 3 and sub[1][0].item() == 3
    batch = sub.__getitems__([2, 0])
    assert default_collate(batch)[0].tolist() == [5, 9]

    class Plain(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * 10

    assert Subset(Plain(), [4, 1]).__getitems__([0, 1]) == [40, 10]


def test_concat_dataset_indexing():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(100, 102))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [both[i][0].item() for i in range(5)] == [0, 1, 2, 100, 101]
    assert both[-1][0].item() == 101
    with pytest.raises(IndexError):
        both[5]
    with pytest.raises(IndexError):
        both[-6]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_random_split_counts_and_fractions():
    g = juanji.Generator().manual_seed(3)
    parts = random_split(range(10), [3, 7], generator=g)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    # Fractions: floor each, then the remainder one by one from the first (PyTorch's rule).
    parts = random_split(range(11), [0.5, 0.3, 0.2], generator=g)
    assert [len(p) for p in parts] == [6, 3, 2]
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match="fractions"):
        random_split(range(10), [0.5, 0.6])


def test_random_split_is_reproducible_with_a_seed():
    first = random_split(range(50), [25, 25], generator=juanji.Generator().manual_seed(7))
    second = random_split(range(50), [25, 25], generator=juanji.Generator().manual_seed(7))
    assert first[0].indices == second[0].indices
    juanji.manual_seed(7)
    third = random_split(range(50), [25, 25])
    assert third[0].indices == first[0].indices  # the default generator is the same stream


def test_dataset_base_needs_getitem():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
