"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``.

Names and behaviour follow ``torch.utils.data``. A map-style dataset has ``__getitem__(index)``
and ``__len__``. It may also define ``__getitems__(indices)``, PyTorch 2.x's batched protocol:
``DataLoader`` then fetches a whole batch with one call instead of one call per sample.

``__getitems__`` returns a list-like of samples, as in PyTorch. juanji's datasets return a
``StackedSamples``: a sequence that holds the batch as a few stacked arrays (one per field of
the sample) and builds a per-sample view only if someone indexes it. ``default_collate``
recognises it and turns the arrays into tensors without restacking, so a batch of 128 MNIST
images costs one fancy-index per field and no Python loop over samples.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.random import Generator, numpy_rng
from juanji.tensor.tensor import Tensor

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "StackedSamples",
]


class Dataset:
    """An abstract map-style dataset: subclasses define ``__getitem__`` and ``__len__``.

    ``a + b`` concatenates two datasets. A subclass may add ``__getitems__(indices)`` to serve a
    whole batch at once (see the module docstring).

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, index):
        ...         return index * index
        >>> [Squares()[i] for i in range(4)], len(Squares() + Squares())
        ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class StackedSamples(Sequence):
    """A batch of samples kept as stacked arrays, one per field: what ``__getitems__`` returns.

    Indexing gives one sample, shaped like the dataset's ``__getitem__`` result, so a custom
    ``collate_fn`` sees an ordinary list of samples; ``default_collate`` calls ``collate()``
    instead, which wraps the arrays as tensors without copying them.

    Args:
        columns: one array per field, each with the batch on axis 0.
        kinds: per field, ``"tensor"`` (a sample's field is a Tensor) or ``"int"`` (a Python int,
            like MNIST's labels; collated to an int64 tensor).
        as_tuple: samples are tuples of the fields; if False there is exactly one field and a
            sample is that field alone.

    Example:
        >>> columns = [np.zeros((2, 3), np.float32), np.array([4, 7])]
        >>> batch = StackedSamples(columns, ["tensor", "int"])
        >>> len(batch), batch[1][1]
        (2, 7)
        >>> [t.shape for t in batch.collate()]
        [(2, 3), (2,)]
    """

    def __init__(
        self, columns: Sequence[np.ndarray], kinds: Sequence[str], as_tuple: bool = True
    ) -> None:
        if len(columns) != len(kinds) or not columns or (not as_tuple and len(columns) != 1):
            raise ValueError(
                "StackedSamples: need one kind per column, and one column if not as_tuple"
            )
        lengths = {len(column) for column in columns}
        if len(lengths) != 1:
            raise ValueError(f"StackedSamples: columns have different lengths {sorted(lengths)}")
        self.columns = list(columns)
        self.kinds = list(kinds)
        self.as_tuple = as_tuple

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return StackedSamples([c[index] for c in self.columns], self.kinds, self.as_tuple)
        fields = [
            int(column[index]) if kind == "int" else Tensor(column[index].copy())
            for column, kind in zip(self.columns, self.kinds, strict=True)
        ]
        return tuple(fields) if self.as_tuple else fields[0]

    def collate(self) -> Any:
        """The batch as tensors: a list of them (as ``default_collate`` gives for tuples) or one."""
        tensors = [
            Tensor(np.asarray(column, np.int64) if kind == "int" else column)
            for column, kind in zip(self.columns, self.kinds, strict=True)
        ]
        return tensors if self.as_tuple else tensors[0]


def _as_index_array(indices: Sequence[int], length: int) -> np.ndarray:
    index = np.asarray(indices, dtype=np.int64)
    if index.size and (index.min() < -length or index.max() >= length):
        raise IndexError(f"index out of range for a dataset of size {length}")
    return index


class TensorDataset(Dataset):
    """A dataset of tensors sharing their first dimension; sample ``i`` is ``(t[i] for t)``.

    Args:
        *tensors: tensors (or NumPy arrays) with the same size along dimension 0.

    Example:
        >>> import juanji
        >>> ds = TensorDataset(juanji.arange(6).reshape(3, 2), juanji.tensor([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (tensor([2, 3]), tensor(1)))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        sizes = {t.shape[0] if t.shape else None for t in self.tensors}
        if len(sizes) != 1 or None in sizes:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: {[t.shape for t in self.tensors]}"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(t._data[index]) for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> StackedSamples:
        index = _as_index_array(indices, len(self))
        columns = [t._data[index] for t in self.tensors]
        return StackedSamples(columns, ["tensor"] * len(columns))


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the full dataset.
        indices: positions in ``dataset``.

    Example:
        >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
        >>> len(sub), sub[0]
        (2, (tensor(7),))
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices) if not isinstance(indices, list) else indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: Sequence[int]) -> Any:
        outer = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(outer)
        return [self.dataset[i] for i in outer]


class ConcatDataset(Dataset):
    """Datasets one after another, like ``torch.utils.data.ConcatDataset``.

    Args:
        datasets: the parts, each with ``__len__``.

    Attributes:
        cumulative_sizes: ``[len(d0), len(d0) + len(d1), ...]``.

    Example:
        >>> both = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
        >>> len(both), both[3], both.cumulative_sizes
        (5, (tensor(10),), [3, 5])
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise IndexError("ConcatDataset: index out of range")
            index += len(self)
        part = bisect.bisect_right(self.cumulative_sizes, index)
        if part >= len(self.datasets):
            raise IndexError("ConcatDataset: index out of range")
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


class StackDataset(Dataset):
    """Samples of several equally long datasets side by side: tuples, or dicts by keyword.

    As ``torch.utils.data.StackDataset``.

    Example:
        >>> StackDataset([1, 2], [3, 4])[0], StackDataset(image=[1, 2], label=[3, 4])[1]
        ((1, 3), {'image': 2, 'label': 4})
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(part) != self._length for part in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets: Any = args if args else kwargs

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {key: part[index] for key, part in self.datasets.items()}
        return tuple(part[index] for part in self.datasets)


def _split_lengths(total: int, lengths: Sequence[int | float]) -> list[int]:
    """Turn fractions into counts the way PyTorch does (floor, then one more round-robin)."""
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts) or sum(counts) != total:
            raise ValueError(
                f"random_split: sum of input lengths {sum(counts)} does not equal the length of "
                f"the input dataset {total}"
            )
        return counts
    if not math.isclose(sum(lengths), 1.0) or any(not 0 <= x <= 1 for x in lengths):
        raise ValueError(f"random_split: fractions must be in [0, 1] and sum to 1, got {lengths}")
    counts = [int(math.floor(total * fraction)) for fraction in lengths]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: counts that add up to ``len(dataset)``, or fractions that add up to 1 (then
            each count is ``floor(len * fraction)`` and the remainder goes one by one to the
            first subsets, as in PyTorch).
        generator: the random source; the default generator (``juanji.manual_seed``) if None.
            Streams differ from PyTorch's, so the same seed gives a different split.

    Returns:
        One ``Subset`` per length.

    Example:
        >>> import juanji
        >>> g = juanji.Generator().manual_seed(0)
        >>> train, val = random_split(range(10), [0.8, 0.2], generator=g)
        >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
        (8, 2, True)
    """
    counts = _split_lengths(len(dataset), lengths)
    order = numpy_rng(generator).permutation(sum(counts)).tolist()
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[start : start + count]))
        start += count
    return subsets
