"""Argument checks of the matrix products and the masked ops, with PyTorch's rules and errors.

``mm`` takes two matrices, ``bmm`` two 3-D batches of the same size, ``matmul`` anything from
1-D up with broadcast batch dimensions; all three need both operands of one dtype (PyTorch
promotes neither). ``where`` and ``masked_fill`` take bool masks only. Duck-typed, so that
``tensor.py`` can stay short.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from juanji import _dtype


def check_matmul(fn: str, a: Any, b: Any) -> None:
    """Raise RuntimeError as PyTorch does when ``fn(a, b)`` (mm, bmm, matmul) cannot run."""
    if fn == "mm":
        for name, t in (("self", a), ("mat2", b)):
            if t.ndim != 2:
                raise RuntimeError(f"mm: {name} must be a matrix (2-D), got shape {t.shape}")
    if fn == "bmm":
        for name, t in (("batch1", a), ("batch2", b)):
            if t.ndim != 3:
                raise RuntimeError(f"bmm: {name} must be a 3D tensor, got shape {t.shape}")
        if b.shape[:2] != (a.shape[0], a.shape[2]):
            raise RuntimeError(
                "bmm: Expected size for first two dimensions of batch2 tensor to be: "
                f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
            )
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"{fn}: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"{fn}: shapes {a.shape} and {b.shape} cannot be multiplied ({k_a} != {k_b})"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{fn}: the batch dimensions of {a.shape} and {b.shape} do not broadcast"
        ) from None
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{fn}: expected both arguments to have the same dtype, but got {a.dtype} and "
            f"{b.dtype}; cast one, e.g. b.to(a.dtype)"
        )
    if a._data.dtype == bool:
        raise NotImplementedError(f"{fn}: not implemented for bool tensors")


def bool_mask(mask: Any, fn: str) -> Any:
    """The array of a bool mask tensor; TypeError for other objects, RuntimeError for dtypes."""
    if not hasattr(mask, "_data"):
        raise TypeError(f"{fn}: the condition must be a bool tensor, got {type(mask).__name__}")
    array = mask._data
    if array.dtype != bool:
        raise RuntimeError(
            f"{fn}: expected a bool tensor as the condition (mask), but got dtype "
            f"{getattr(mask, 'dtype', array.dtype)}; compare to get one, e.g. mask != 0"
        )
    return array


def check_int_power(base: Any, exponent: Any) -> None:
    """PyTorch's RuntimeError for an integer tensor raised to a negative Python int."""
    if (
        base._data.dtype.kind in "iu"
        and isinstance(exponent, (int, np.integer))
        and not isinstance(exponent, bool)
        and exponent < 0
    ):
        raise RuntimeError(
            "pow: Integers to negative integer powers are not allowed; use a float base, "
            "e.g. x.float() ** -1"
        )


def check_broadcast(fn: str, *shapes: Any) -> None:
    """PyTorch's RuntimeError when shapes do not broadcast (NumPy raises ValueError)."""
    try:
        np.broadcast_shapes(*(tuple(s) for s in shapes))
    except ValueError:
        raise RuntimeError(
            f"{fn}: shapes {' and '.join(str(tuple(s)) for s in shapes)} do not broadcast (sizes "
            "must match or be 1, aligned from the right)"
        ) from None


def check_comparable(fn: str, a: Any, b: Any) -> None:
    """``isclose``/``allclose``: tensors of one dtype and broadcastable shapes, as PyTorch."""
    if hasattr(b, "_data"):
        check_broadcast(fn, a.shape, b.shape)
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"{fn}: {a.dtype} did not match {b.dtype}")


_KINDS = {"b": 0, "u": 1, "i": 1, "f": 2}


def check_inplace_result(fn: str, target: Any, other: Any, result_dtype: Any = None) -> None:
    """An in-place op cannot store a result of a higher kind (float into int, int into bool).

    ``result_dtype`` is the out-of-place result's; by default ``target op other``'s.
    """
    if result_dtype is None:
        result_dtype = _result_dtype(target, other)
    if _KINDS.get(np.dtype(result_dtype).kind, 3) > _KINDS.get(target._data.dtype.kind, 3):
        raise RuntimeError(
            f"{fn}: result type {np.dtype(result_dtype)} can't be cast to the desired output "
            f"type {target._data.dtype} of this in-place operation; use the out-of-place form"
        )


def _result_dtype(target: Any, other: Any) -> Any:
    da = target._data.dtype
    if hasattr(other, "_data"):
        return _dtype.promote_tensors(da, target.ndim, other._data.dtype, other.ndim)
    if isinstance(other, (bool, int, float)):
        return _dtype.scalar_result(da, other)
    return np.result_type(da, getattr(other, "dtype", da))


def check_scalar_fits(fn: str, value: Any, np_dtype: Any) -> None:
    """PyTorch's RuntimeError when a Python number does not fit an integer dtype."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind not in "iu" or not isinstance(value, (int, float, np.number)):
        return
    info = np.iinfo(np_dtype)
    if isinstance(value, bool):
        return
    if not (np.isfinite(value) and info.min <= value <= info.max):
        raise RuntimeError(
            f"{fn}: value {value} cannot be converted to type {np_dtype} without overflow"
        )


@contextlib.contextmanager
def broadcast_errors(fn: str) -> Iterator[None]:
    """Turn NumPy's ValueError for shapes that do not fit into PyTorch's RuntimeError."""
    try:
        yield
    except ValueError as error:
        raise RuntimeError(f"{fn}: {error}") from None
