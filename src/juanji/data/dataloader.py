"""``DataLoader``, the samplers behind it, ``default_collate``, and the background prefetch.

A ``DataLoader`` is an iterable, not an iterator: every ``iter(loader)`` (every ``for`` loop,
every epoch) makes a fresh iterator with a fresh order, so two loops never share state (DeZero's
loader returns itself from ``__iter__`` and must be reset by hand).

One batch is made in three steps, as in PyTorch: the batch sampler yields a list of indices; the
dataset turns them into samples, with one ``dataset.__getitems__(indices)`` call when the
dataset defines it and one ``dataset[i]`` per index otherwise; ``collate_fn`` stacks the samples
into tensors.

juanji has no worker processes. ``prefetch=k`` (or ``num_workers > 0``) runs the same three
steps in one background thread that keeps up to k batches ready in a bounded queue. NumPy
releases the GIL in its array loops, so preparing the next batch overlaps with the training
step. An exception in the thread is raised again in the loop that reads the batches; leaving
the loop early (``break``) or dropping the iterator stops the thread. Random transforms draw in
that thread: give them their own ``generator`` when a run must be reproducible, since the main
thread may draw from the default generator at the same time.
"""

from __future__ import annotations

import collections.abc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from juanji.data.dataset import StackedSamples
from juanji.random import Generator, numpy_rng
from juanji.tensor.tensor import Tensor


def _checked_generator(owner: str, generator: Any) -> Generator | None:
    """``generator`` if it is None or a ``juanji.Generator``, else TypeError (PyTorch's type).

    PyTorch finds a wrong generator only when iteration starts; juanji names it at once.
    """
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(
            f"{owner}: generator must be a juanji.Generator or None, got "
            f"{type(generator).__name__} ({generator!r}); e.g. juanji.Generator().manual_seed(0)"
        )
    return generator


__all__ = [
    "DataLoader",
    "default_collate",
    "default_convert",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
]


class Sampler:
    """Base class of index samplers: iterables of dataset indices (or of lists of them)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order, a new order each time it is iterated.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement (then ``num_samples`` may exceed the length).
        num_samples: how many indices per pass; the dataset's length by default.
        generator: the random source; the default generator if None. One generator gives a
            reproducible sequence of epochs, each epoch a different order.

    Example:
        >>> import juanji
        >>> sampler = RandomSampler(range(5), generator=juanji.Generator().manual_seed(0))
        >>> sorted(sampler) == [0, 1, 2, 3, 4], list(sampler) != list(sampler)
        (True, True)
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _checked_generator("RandomSampler", generator)
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer, got {num_samples!r}"
            )
        if num_samples is None and len(data_source) == 0:  # PyTorch refuses it here too
            raise ValueError(
                "RandomSampler: num_samples should be a positive integer, got 0 (the dataset "
                "is empty; shuffle=True needs at least one sample)"
            )

    @property
    def num_samples(self) -> int:
        """Indices per pass."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = numpy_rng(self.generator)
        n = len(self.data_source)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        # Whole permutations, as many as needed (PyTorch's rule for num_samples > n).
        full, rest = divmod(self.num_samples, n)
        order = [rng.permutation(n) for _ in range(full)] + [rng.permutation(n)[:rest]]
        return iter(np.concatenate(order).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each pass.

    Example:
        >>> import juanji
        >>> sorted(SubsetRandomSampler([4, 8], generator=juanji.Generator().manual_seed(0)))
        [4, 8]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = _checked_generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        order = numpy_rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    As ``torch.utils.data.WeightedRandomSampler`` (the usual answer to imbalanced classes:
    weight each sample by one over its class's frequency). The draws come from juanji's
    generator, so a seed gives other indices than PyTorch's; the rules and errors are PyTorch's.

    Example:
        >>> import juanji
        >>> sampler = WeightedRandomSampler([0.0, 1.0, 0.0], 4, generator=juanji.Generator())
        >>> list(sampler)
        [1, 1, 1, 1]
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        array = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, np.float64)
        if array.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(array.shape)}"
            )
        self.weights, self.num_samples, self.replacement = array, num_samples, replacement
        self.generator = _checked_generator("WeightedRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        w, n = self.weights, self.num_samples
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RuntimeError(
                "invalid multinomial distribution (weights must be finite, >= 0, with a "
                "positive sum)"
            )
        if not self.replacement and n > np.count_nonzero(w):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        drawn = numpy_rng(self.generator).choice(w.size, n, replace=self.replacement, p=w / w.sum())
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last batch if it is smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(range(5), 2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer, got {batch_size!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays (also inside lists, tuples, dicts) into tensors; leave the rest.

    What ``DataLoader(batch_size=None)`` applies to each sample.

    Example:
        >>> default_convert({"x": np.zeros(2)})
        {'x': tensor([0., 0.], dtype=juanji.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into batched tensors, recursively, like PyTorch's.

    * Tensors and NumPy arrays are stacked along a new first dimension (shapes must match).
    * Python ints become an int64 tensor, bools a bool tensor, floats a float32 tensor (the
      default dtype; PyTorch makes float64 here), NumPy scalars keep their dtype.
    * Strings and bytes stay a list.
    * A dict gives a dict of collated values per key; a namedtuple the same namedtuple; a
      tuple or list gives a list with one collated entry per position (PyTorch's rule: a
      sample ``(image, label)`` becomes ``[images, labels]``).
    * A ``StackedSamples`` (from a dataset's ``__getitems__``) is already stacked: its arrays
      become the tensors directly, with no copy.

    Args:
        batch: the samples of one batch.

    Returns:
        The batch, with the structure of one sample.

    Raises:
        TypeError: for a sample type it cannot stack.
        RuntimeError: when samples have different shapes or lengths.

    Example:
        >>> images, labels = default_collate([(np.zeros((2, 2), np.float32), 3),
        ...                                   (np.ones((2, 2), np.float32), 5)])
        >>> images.shape, labels
        ((2, 2, 2), tensor([3, 5]))
    """
    if isinstance(batch, StackedSamples):
        return batch.collate()
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        arrays = [b._data if isinstance(b, Tensor) else np.asarray(b) for b in batch]
        if isinstance(elem, np.ndarray) and elem.dtype.kind not in "biuf":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                f"dicts or lists; found array of dtype {elem.dtype}"
            )
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, "
                f"but got {sorted(shapes)}"
            )
        return Tensor(np.stack(arrays))
    if isinstance(elem, np.generic):
        return Tensor(np.asarray(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(sample) for sample in batch}) != 1:
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        return [default_collate(list(samples)) for samples in zip(*batch, strict=True)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
        f"or lists; found {type(elem).__name__}"
    )


class DataLoader:
    """Iterate over a dataset in (shuffled) batches, like ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``, optionally
            ``__getitems__``).
        batch_size: samples per batch; None yields single samples, uncollated but converted
            with ``default_convert``.
        shuffle: a new random order every epoch (a ``RandomSampler``).
        sampler: an iterable of indices, instead of ``shuffle``.
        batch_sampler: an iterable of index lists, instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers: juanji has no worker processes; a value > 0 turns on the background
            prefetch thread with ``2 * num_workers`` batches (PyTorch's prefetch_factor 2).
        collate_fn: makes a batch from a list of samples; ``default_collate`` by default.
        pin_memory: accepted for PyTorch compatibility; there is no pinned memory on NumPy.
        drop_last: drop the last batch if the dataset size is not divisible by the batch size.
        generator: the random source of ``shuffle``; the default generator if None.
        prefetch: number of batches a background thread prepares ahead (0: none).

    Example:
        >>> import juanji
        >>> from juanji.data import TensorDataset
        >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True,
        ...                     generator=juanji.Generator().manual_seed(0))
        >>> [len(x) for x, y in loader], len(loader)
        ([4, 4, 2], 3)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = False,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: Generator | None = None,
        *,
        prefetch: int = 0,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}"
            )
        if not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be a non-negative int, got {prefetch!r}")
        _checked_generator("DataLoader", generator)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with "
                "batch_size, shuffle, sampler, and drop_last"
            )
        if batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is "
                "mutually exclusive with drop_last"
            )
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None and batch_size == 1 else batch_size
        self.drop_last = drop_last
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.prefetch = max(prefetch, 2 * num_workers)
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator[Any]:
        batches = _fetch_batches(
            self.dataset, self._index_source(), self.collate_fn, self._auto_collation
        )
        if self.prefetch:
            return _PrefetchIterator(batches, self.prefetch)
        return batches

    def _index_source(self) -> Iterator[Any]:
        # Created here, in the caller's thread, so the shuffle order is drawn when the epoch
        # starts, whatever the prefetch thread does later.
        source = self.batch_sampler if self._auto_collation else self.sampler
        return (
            iter(list(source))
            if isinstance(source, (RandomSampler, BatchSampler))
            else iter(source)
        )

    def __len__(self) -> int:
        source = self.batch_sampler if self._auto_collation else self.sampler
        return len(source)  # type: ignore[arg-type]


def _fetch_batches(
    dataset: Any, indices: Iterator[Any], collate_fn: Callable[[Any], Any], auto_collation: bool
) -> Iterator[Any]:
    """Yield one collated batch per entry of ``indices`` (a generator: lazy, single use)."""
    getitems = getattr(dataset, "__getitems__", None)
    for index in indices:
        if not auto_collation:
            yield collate_fn(dataset[index])
        elif getitems is not None:
            yield collate_fn(getitems(index))
        else:
            yield collate_fn([dataset[i] for i in index])


_END = object()


class _Failure:
    """An exception raised in the prefetch thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _produce(batches: Iterator[Any], out: queue.Queue, stop: threading.Event) -> None:
    """Thread body: put batches into ``out`` until done, failed, or told to stop."""
    try:
        for batch in batches:
            if not _put(out, batch, stop):
                return
        _put(out, _END, stop)
    except BaseException as error:  # noqa: BLE001 - every failure goes to the consumer
        _put(out, _Failure(error), stop)
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _put(out: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item``, waiting while the queue is full; False if told to stop meanwhile."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


class _PrefetchIterator:
    """Reads batches that a daemon thread prepares ahead into a bounded queue.

    The thread holds the queue, the stop event and the batch generator, but not this object,
    so dropping the iterator (a ``break`` out of the loop) lets ``__del__`` stop the thread.
    """

    def __init__(self, batches: Iterator[Any], depth: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_produce,
            args=(batches, self._queue, self._stop),
            name="juanji-prefetch",
            daemon=True,
        )
        self._done = False
        self._thread.start()

    def __iter__(self) -> _PrefetchIterator:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is _END:
            self.close()
            raise StopIteration
        if isinstance(item, _Failure):
            self.close()
            raise item.error
        return item

    def close(self) -> None:
        """Stop the thread and wait for it (it finishes the batch it is making, if any)."""
        self._done = True
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def __del__(self) -> None:
        self.close()
