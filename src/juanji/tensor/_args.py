"""Normalising the arguments of Tensor methods: data to arrays, dims, shapes, index tuples.

Duck-typed (a tensor is anything with ``_data``), so that ``tensor.py`` and its method groups can
share these without importing each other. Errors use PyTorch's wording where users know it.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from juanji import _dtype
from juanji.backend import Device, as_device


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "_data") and hasattr(value, "_ctx")


def to_array(data: Any, dtype: Any) -> Any:
    """Turn Python data into an array, with PyTorch's dtype inference (floats -> float32)."""
    if _is_tensor(data):
        array = data._data
    elif hasattr(data, "__cuda_array_interface__"):
        array = data
    else:
        source_is_array = isinstance(data, (np.ndarray, np.generic))
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise ValueError(
                f"tensor: could not make a tensor of {type(data).__name__}: {error}"
            ) from None
        if not source_is_array and (array.dtype == object or array.dtype.kind == "u"):
            array = _big_ints(array, dtype)
        if array.dtype == object or array.dtype.kind in "USc":
            raise TypeError(
                "tensor: expected numbers (nested lists or an array), got elements of type "
                f"{array.dtype}"
            )
        if not source_is_array and dtype is None:  # a dtype given: cast once, from float64
            if array.dtype.kind == "f":
                with np.errstate(over="ignore"):  # 1e40 becomes inf in float32, as in torch
                    array = array.astype(_dtype.get_default_dtype().np_dtype, copy=False)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64, copy=False)
    if dtype is not None:
        with np.errstate(over="ignore"):
            array = array.astype(_dtype.as_dtype(dtype, "tensor").np_dtype, copy=False)
    return array


_INT64 = (-(2**63), 2**63 - 1)


def _big_ints(array: Any, dtype: Any) -> Any:
    """Python ints past int64 (NumPy made uint64 or object): floats if asked, else an error.

    ``tensor([2**70])`` raises ValueError as PyTorch does; with a float among the values or a
    float ``dtype`` the numbers become floats (``tensor([1.0, 2**70])`` is ``[1.0, 1.18e21]``).
    """
    values = array.reshape(-1).tolist()
    if not all(isinstance(v, (int, float)) for v in values):
        return array  # strings, None, nested objects: the caller's TypeError
    wants_float = dtype is not None and _dtype.as_dtype(dtype, "tensor").np_dtype.kind == "f"
    if wants_float or any(isinstance(v, float) for v in values):
        return array.astype(np.float64)
    for v in values:
        if not _INT64[0] <= v <= _INT64[1]:
            raise ValueError(
                f"tensor: the integer {v} does not fit in int64 (range [-2**63, 2**63 - 1]); "
                "give it as a float or pass dtype=float64"
            )
    return array.astype(np.int64)


def check_sizes(shape: tuple[int, ...], itemsize: int, fn: str) -> tuple[int, ...]:
    """Refuse negative sizes and tensors larger than the machine's memory, before allocating.

    PyTorch's errors (RuntimeError): a negative dimension, a byte count that overflows, or an
    allocation the allocator cannot serve. juanji checks the last against the physical memory
    up front, so ``ones(3_000_000_000, 4)`` fails at once instead of swapping or being killed.
    """
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"{fn}: Trying to create tensor with negative dimension {n}: {list(shape)}"
            )
    nbytes = itemsize * math.prod(shape)
    if nbytes > 2**63 - 1:
        raise RuntimeError(f"{fn}: Storage size calculation overflowed with sizes={list(shape)}")
    if nbytes > physical_memory():
        raise RuntimeError(
            f"{fn}: not enough memory: a tensor of shape {list(shape)} needs {nbytes} bytes "
            f"({nbytes / 2**30:.1f} GiB), more than this machine's "
            f"{physical_memory() / 2**30:.1f} GiB"
        )
    return shape


def physical_memory() -> int:
    """Bytes of RAM on this machine (2**63 - 1 where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def operand(value: Any) -> Any:
    """The raw array or Python scalar behind an operand (NumPy scalars become Python ones)."""
    if _is_tensor(value):
        return value._data
    if isinstance(value, np.generic):
        return value.item()
    return value


def dim_index(dim: Any, ndim: int, fn: str) -> int:
    """Normalise one dimension index, with PyTorch's error for out-of-range values."""
    if _is_tensor(dim):
        dim = dim.item()
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__}")
    low, high = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(
            f"{fn}: Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})"
        )
    return int(dim) % max(ndim, 1)


def dim_tuple(dim: Any, ndim: int, fn: str) -> tuple[int, ...] | None:
    """Normalise ``None``, an int, or a sequence of ints to a sorted tuple of axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        listed = [dim_index(d, ndim, fn) for d in dim]
        for axis in listed:
            if listed.count(axis) > 1:
                raise RuntimeError(f"{fn}: dim {axis} appears multiple times in the list of dims")
        return tuple(sorted(listed)) or None
    return (dim_index(dim, ndim, fn),)


def shape_args(args: tuple, fn: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` like PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for n in args:
        if _is_tensor(n):
            n = n.item()
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{fn}: sizes must be ints, got {n!r}")
        if not _INT64[0] <= n <= _INT64[1]:
            raise TypeError(f"{fn}: size {n} does not fit in int64")
        out.append(int(n))
    return tuple(out)


def resolve_shape(shape: tuple[int, ...], size: int, fn: str) -> tuple[int, ...]:
    """Fill in one -1 and check that the element count matches ``size``."""
    if shape.count(-1) > 1:
        raise RuntimeError(f"{fn}: only one dimension can be inferred (-1), got shape {shape}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"{fn}: shape {list(shape)} is invalid for input of size {size}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif known != size:
        raise RuntimeError(f"{fn}: shape {list(shape)} is invalid for input of size {size}")
    return shape


def index_arrays(index: Any) -> Any:
    """Replace tensors inside an index by their arrays (int64 or bool)."""
    if _is_tensor(index):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if _is_tensor(i) else i for i in index)
    return index


def parse_to(args: tuple, kwargs: dict) -> tuple[_dtype.DType | None, Device | None, bool]:
    """Read ``to``'s arguments (Tensor.to and Module.to): a dtype, a device, both, or a tensor.

    Returns ``(dtype, device, copy)``, None where not given.
    """
    kwargs = dict(kwargs)
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    from juanji.tensor._settings import check_memory_format  # noqa: PLC0415

    check_memory_format(kwargs.pop("memory_format", None), "to")  # accepted, layout unchanged
    copy = bool(kwargs.pop("copy", False))
    if kwargs:
        raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if _is_tensor(arg):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, (str, Device)):
            device = arg
        else:
            dtype = arg
    return (
        None if dtype is None else _dtype.as_dtype(dtype, "to"),
        None if device is None else as_device(device),
        copy,
    )


class WholeView:
    """How a view covering all of its base (reshape, permute...) maps back onto the base.

    Stored as the index of ``_view_of`` for such views: an in-place write into the view then
    makes the base the result of ``to_base(view)`` in the graph, as PyTorch rebases a view's
    base (basic-indexing views keep a real index and go through ``IndexPut``).
    """

    __slots__ = ("to_base",)

    def __init__(self, to_base: Any) -> None:
        self.to_base = to_base
