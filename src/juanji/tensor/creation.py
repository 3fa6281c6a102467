"""Tensor factories: ``tensor``, ``zeros``, ``randn``... with PyTorch's signatures and dtype rules.

Python floats become float32 (the default dtype), Python ints int64, bools bool; a NumPy array
keeps its dtype. Random factories draw from ``generator`` or the default generator that
``juanji.manual_seed`` resets.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from juanji import _dtype
from juanji.backend import as_device, to_device
from juanji.random import Generator, numpy_rng, sample
from juanji.tensor._args import check_sizes as _check_sizes
from juanji.tensor._args import shape_args as _shape_args
from juanji.tensor._args import to_array as _to_array
from juanji.tensor._checks import check_scalar_fits
from juanji.tensor.tensor import Tensor

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "is_tensor",
]


def _finish(array: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        array = array.astype(_dtype.as_dtype(dtype).np_dtype, copy=False)
    if device is not None:
        array = to_device(array, as_device(device))
    return Tensor(array, requires_grad=requires_grad)


def _float_dtype(dtype: Any) -> np.dtype:
    return (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np_dtype


def _random_float_dtype(dtype: Any, fn: str) -> np.dtype:
    """The dtype of ``rand``/``randn``: floats only, as PyTorch (an int would be all zeros)."""
    np_dtype = _float_dtype(dtype)
    if np_dtype.kind != "f":
        raise NotImplementedError(f"{fn}: not implemented for dtype {np_dtype} (floats only)")
    return np_dtype


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Copy ``data`` (nested lists, a number, an array, a Tensor) into a new tensor.

    Example:
        >>> tensor([1, 2]).dtype, tensor([1.0, 2.0]).dtype, tensor(True).dtype
        (juanji.int64, juanji.float32, juanji.bool)
    """
    array = _to_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) or array is data:
        array = array.copy()
    return _finish(array, None, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when it can."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return _finish(_to_array(data, dtype), None, device, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap a NumPy array without copying; changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    _dtype.from_numpy_dtype(array.dtype)  # raises for unsupported dtypes
    return Tensor(array)


def _sizes(shape: tuple, size: Any, fn: str, np_dtype: Any) -> tuple[int, ...]:
    """The shape given as ``fn(2, 3)``, ``fn((2, 3))`` or ``fn(size=(2, 3))``, checked to fit.

    Raises:
        RuntimeError: a negative size, or more bytes than the machine's memory (PyTorch's type).
    """
    if size is not None:
        if shape:
            raise TypeError(f"{fn}: give the size either positionally or as size=, not both")
        shape = (size,)
    return _check_sizes(_shape_args(shape, fn), np.dtype(np_dtype).itemsize, fn)


def zeros(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    np_dtype = _float_dtype(dtype)
    shape = _sizes(shape, size, "zeros", np_dtype)
    return _finish(np.zeros(shape, np_dtype), None, device, requires_grad)


def ones(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones."""
    np_dtype = _float_dtype(dtype)
    shape = _sizes(shape, size, "ones", np_dtype)
    return _finish(np.ones(shape, np_dtype), None, device, requires_grad)


def empty(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor (juanji fills it with zeros, so it is never garbage)."""
    return zeros(*shape, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value, like PyTorch)."""
    if isinstance(fill_value, int) and not -(2**63) <= fill_value < 2**63:
        raise OverflowError(f"full: fill_value {fill_value} is too big to convert to int64")
    if dtype is None:
        np_dtype = _to_array(fill_value, None).dtype
    else:
        np_dtype = _dtype.as_dtype(dtype, "full").np_dtype
    check_scalar_fits("full", fill_value, np_dtype)
    shape = _sizes((size,), None, "full", np_dtype)
    array = np.full(shape, fill_value, dtype=np_dtype)
    return _finish(array, None, device, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless an argument is a float.

    Example:
        >>> arange(4)
        tensor([0, 1, 2, 3])
    """
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    is_float = any(isinstance(v, float) for v in (start, end, step))
    default = _dtype.get_default_dtype().np_dtype if is_float else np.int64
    _check_sizes((_arange_count(start, end, step),), np.dtype(default).itemsize, "arange")
    array = np.arange(start, end, step, dtype=default)
    return _finish(array, dtype, device, requires_grad)


def _arange_count(start: Any, end: Any, step: Any) -> int:
    """How many values ``arange`` gives, with PyTorch's errors (RuntimeError) for bad ranges."""
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign: start={start}, "
            f"end={end}, step={step} (a positive step needs end >= start, a negative one "
            "end <= start)"
        )
    return math.ceil((end - start) / step)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    _check_sizes((int(steps),), 8, "linspace")
    array = np.linspace(start, end, steps, dtype=np.float64).astype(_float_dtype(dtype))
    return _finish(array, None, device, requires_grad)


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """An ``n x m`` identity matrix."""
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {value}")
    np_dtype = _float_dtype(dtype)
    shape = _sizes((n, n if m is None else m), None, "eye", np_dtype)
    return _finish(np.eye(*shape, dtype=np_dtype), None, device, requires_grad)


def rand(
    *shape: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples from U[0, 1)."""
    np_dtype = _random_float_dtype(dtype, "rand")
    array = sample(generator, "random", _sizes(shape, size, "rand", np_dtype), np_dtype)
    return _finish(array, None, device, requires_grad)


def randn(
    *shape: Any,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples from the standard normal distribution."""
    np_dtype = _random_float_dtype(dtype, "randn")
    array = sample(generator, "standard_normal", _sizes(shape, size, "randn", np_dtype), np_dtype)
    return _finish(array, None, device, requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Random integers in ``[low, high)``; ``randint(high, size)`` starts at 0."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    for name, bound in (("low", low), ("high", high)):
        if not isinstance(bound, (int, np.integer)) or isinstance(bound, bool):
            raise TypeError(f"randint: {name} must be an int, got {bound!r}")
    if high <= low:
        raise RuntimeError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _sizes((size,), None, "randint", np.int64)
    array = numpy_rng(generator).integers(low, high, size=shape, dtype=np.int64)
    return _finish(array, dtype, device, False)


def randperm(
    n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """A random permutation of ``0..n-1``."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"randperm: n must be an int, got {type(n).__name__}")
    _sizes((n,), None, "randperm", np.int64)
    return _finish(numpy_rng(generator).permutation(n).astype(np.int64), dtype, device, False)


def _like(t: Tensor, dtype: Any) -> tuple[tuple[int, ...], Any]:
    return t.shape, (t.dtype if dtype is None else dtype)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape and dtype."""
    shape, d = _like(input, dtype)
    return zeros(shape, dtype=d, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Ones with ``input``'s shape and dtype."""
    shape, d = _like(input, dtype)
    return ones(shape, dtype=d, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """An uninitialised (zero-filled) tensor with ``input``'s shape and dtype."""
    return zeros_like(input, dtype, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    dtype: Any = None,  # noqa: A002
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype."""
    shape, d = _like(input, dtype)
    return full(shape, fill_value, dtype=d, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype: Any = None, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """U[0, 1) samples with ``input``'s shape and dtype."""
    shape, d = _like(input, dtype)
    return rand(shape, dtype=d, generator=generator)


def randn_like(input: Tensor, dtype: Any = None, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Standard normal samples with ``input``'s shape and dtype."""
    shape, d = _like(input, dtype)
    return randn(shape, dtype=d, generator=generator)


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a juanji Tensor."""
    return isinstance(obj, Tensor)
