"""Normalising the arguments of Tensor methods: data to arrays, dims, shapes, index tuples.

Duck-typed (a tensor is anything with ``_data``), so that ``tensor.py`` and its method groups can
share these without importing each other. Errors use PyTorch's wording where users know it.
"""

from __future__ import annotations

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
        if array.dtype == object or array.dtype.kind in "USc":
            raise TypeError(
                "tensor: expected numbers (nested lists or an array), got elements of type "
                f"{array.dtype}"
            )
        if not source_is_array:
            if array.dtype.kind == "f":
                array = array.astype(_dtype.get_default_dtype().np_dtype, copy=False)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64, copy=False)
    if dtype is not None:
        array = array.astype(_dtype.as_dtype(dtype, "tensor").np_dtype, copy=False)
    return array


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
        axes = tuple(sorted({dim_index(d, ndim, fn) for d in dim}))
        return axes if axes else None
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
        out.append(int(n))
    return tuple(out)


def resolve_shape(shape: tuple[int, ...], size: int, fn: str) -> tuple[int, ...]:
    """Fill in one -1 and check that the element count matches ``size``."""
    if shape.count(-1) > 1:
        raise ValueError(f"{fn}: only one dimension can be inferred (-1), got shape {shape}")
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
