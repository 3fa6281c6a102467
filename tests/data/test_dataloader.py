"""DataLoader: batching, shuffling, __getitems__, collate, samplers and the prefetch thread."""

import collections
import gc
import threading
import time

import numpy as np
import pytest

import juanji
from juanji.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
)


class Numbers(Dataset):
    """Sample i is (float32 array [i, i], i); counts the calls it gets."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return np.array([i, i], np.float32), i


class Batched(Numbers):
    """The same samples, also served a batch at a time."""

    def __init__(self, n):
        super().__init__(n)
        self.batch_calls = []

    def __getitems__(self, indices):
        self.batch_calls.append(list(indices))
        return [(np.array([i, i], np.float32), i) for i in indices]


def labels_of(loader):
    return [y.tolist() for _, y in loader]


def test_batches_in_order_and_len():
    loader = DataLoader(Numbers(10), batch_size=4)
    assert len(loader) == 3
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 2) and x.dtype == juanji.float32 and y.dtype == juanji.int64


def test_drop_last():
    loader = DataLoader(Numbers(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_iter_returns_a_fresh_iterator_each_time():
    loader = DataLoader(Numbers(6), batch_size=2)
    first, second = iter(loader), iter(loader)
    assert first is not second and iter(loader) is not loader
    next(first)
    assert next(second)[1].tolist() == [0, 1]  # independent of `first`
    assert labels_of(loader) == labels_of(loader)


def test_shuffle_reproducible_with_seed_and_new_each_epoch():
    def epochs(seed, n=2):
        loader = DataLoader(
            Numbers(20), batch_size=5, shuffle=True, generator=juanji.Generator().manual_seed(seed)
        )
        return [sum(labels_of(loader), []) for _ in range(n)]

    a, b = epochs(0), epochs(0)
    assert a == b  # same seed, same sequence of epochs
    assert a[0] != a[1]  # a new order every epoch
    assert sorted(a[0]) == list(range(20))
    assert epochs(1)[0] != a[0]


def test_shuffle_uses_default_generator_when_none_given():
    juanji.manual_seed(5)
    a = labels_of(DataLoader(Numbers(12), batch_size=12, shuffle=True))
    juanji.manual_seed(5)
    b = labels_of(DataLoader(Numbers(12), batch_size=12, shuffle=True))
    assert a == b


def test_getitems_used_when_present():
    ds = Batched(7)
    loader = DataLoader(ds, batch_size=3)
    assert labels_of(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert ds.batch_calls == [[0, 1, 2], [3, 4, 5], [6]] and ds.calls == 0


def test_getitems_stacked_samples_reach_collate_fn_as_samples():
    ds = TensorDataset(np.arange(6, dtype=np.float32), np.arange(6))
    seen = []

    def collate(batch):
        seen.append([(float(x.item()), int(y.item())) for x, y in batch])
        return len(batch)

    assert list(DataLoader(ds, batch_size=4, collate_fn=collate)) == [4, 2]
    assert seen[1] == [(4.0, 4), (5.0, 5)]


def test_default_collate_nested_structures():
    Point = collections.namedtuple("Point", "x y")
    batch = [
        {
            "image": np.full((2, 2), i, np.uint8),
            "meta": (i, float(i) / 2, f"s{i}"),
            "pt": Point(i, True),
            "t": juanji.tensor([i, i]),
        }
        for i in range(3)
    ]
    out = default_collate(batch)
    assert out["image"].shape == (3, 2, 2) and out["image"].dtype == juanji.uint8
    ints, floats, strings = out["meta"]
    assert ints.dtype == juanji.int64 and ints.tolist() == [0, 1, 2]
    assert floats.dtype == juanji.float32 and floats.tolist() == [0.0, 0.5, 1.0]
    assert strings == ["s0", "s1", "s2"]
    assert isinstance(out["pt"], Point) and out["pt"].y.dtype == juanji.bool
    assert out["t"].tolist() == [[0, 0], [1, 1], [2, 2]]
    # A tuple sample gives a list, as in PyTorch.
    assert isinstance(default_collate([(1, 2), (3, 4)]), list)
    assert default_collate([np.float64(1.5), np.float64(2)]).dtype == juanji.float64


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader(Numbers(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and len(samples) == 3
    x, y = samples[2]
    assert isinstance(x, juanji.Tensor) and x.tolist() == [2.0, 2.0] and y == 2
    converted = default_convert((np.zeros(1), "a", {"k": np.int32(3)}))
    assert isinstance(converted[0], juanji.Tensor) and converted[1] == "a"
    assert converted[2]["k"].dtype == juanji.int32


def test_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    g = juanji.Generator().manual_seed(0)
    draws = list(RandomSampler(range(5), replacement=True, num_samples=8, generator=g))
    assert len(draws) == 8 and all(0 <= d < 5 for d in draws)
    long = list(RandomSampler(range(3), num_samples=7, generator=g))
    assert sorted(long[:3]) == [0, 1, 2] and sorted(long[3:6]) == [0, 1, 2] and len(long) == 7
    assert sorted(SubsetRandomSampler([5, 9, 2], generator=g)) == [2, 5, 9]
    assert len(BatchSampler(range(10), 3, drop_last=False)) == 4
    assert len(BatchSampler(range(10), 3, drop_last=True)) == 3
    loader = DataLoader(Numbers(6), batch_sampler=[[5, 0], [3]])
    assert labels_of(loader) == [[5, 0], [3]] and len(loader) == 2
    loader = DataLoader(Numbers(6), batch_size=2, sampler=[4, 2, 0])
    assert labels_of(loader) == [[4, 2], [0]]


def test_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Numbers(3), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(Numbers(3), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(Numbers(3), batch_size=0)
    with pytest.raises(ValueError, match="prefetch"):
        DataLoader(Numbers(3), prefetch=-1)


# ----------------------------------------------------------------------------- prefetch


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "juanji-prefetch" and t.is_alive()]


def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.mark.parametrize("prefetch", [1, 3])
def test_prefetch_gives_the_same_batches(prefetch):
    def run(depth):
        loader = DataLoader(
            Batched(23),
            batch_size=4,
            shuffle=True,
            prefetch=depth,
            generator=juanji.Generator().manual_seed(1),
        )
        return [(x.numpy().copy(), y.numpy().copy()) for _ in range(2) for x, y in loader]

    plain, ahead = run(0), run(prefetch)
    assert len(plain) == len(ahead) == 12
    for (xa, ya), (xb, yb) in zip(plain, ahead, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert wait_until(lambda: not prefetch_threads())


def test_num_workers_turns_on_prefetch():
    loader = DataLoader(Numbers(4), batch_size=2, num_workers=2)
    assert loader.prefetch == 4
    assert labels_of(loader) == [[0, 1], [2, 3]]


def test_prefetch_stops_on_early_break():
    ds = Batched(1000)
    loader = DataLoader(ds, batch_size=2, prefetch=2)
    for i, _ in enumerate(loader):
        if i == 2:
            break
    gc.collect()
    assert wait_until(lambda: not prefetch_threads())
    # It read at most: 3 consumed + 2 queued + 1 being put when told to stop.
    assert len(ds.batch_calls) <= 6


def test_prefetch_close_explicitly():
    it = iter(DataLoader(Batched(100), batch_size=1, prefetch=2))
    next(it)
    it.close()
    assert not it._thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)


class Failing(Batched):
    def __getitems__(self, indices):
        if 6 in indices:
            raise KeyError("sample 6 is broken")
        return super().__getitems__(indices)


def test_prefetch_reraises_worker_exception():
    loader = DataLoader(Failing(10), batch_size=2, prefetch=2)
    got = []
    with pytest.raises(KeyError, match="sample 6 is broken"):
        for _, y in loader:
            got.append(y.tolist())
    assert got == [[0, 1], [2, 3], [4, 5]]
    assert wait_until(lambda: not prefetch_threads())


def test_plain_iteration_raises_dataset_exception_too():
    with pytest.raises(KeyError):
        list(DataLoader(Failing(10), batch_size=2))


def test_shuffling_an_empty_dataset_is_refused_at_construction_like_torch():
    import torch.utils.data as torch_data

    with pytest.raises(ValueError, match="num_samples"):
        torch_data.DataLoader([], batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match=r"RandomSampler: num_samples .*the dataset is empty"):
        DataLoader([], batch_size=2, shuffle=True)
    assert list(DataLoader([], batch_size=2)) == list(torch_data.DataLoader([], batch_size=2))
