"""Data types: the objects ``juanji.float32`` etc., the default dtype, and PyTorch's promotion rule.

A ``DType`` wraps a NumPy dtype and prints like PyTorch's (``juanji.float32``). Promotion follows
PyTorch, not NumPy, where the two differ:

* a Python scalar never widens a tensor of the same kind: ``float32_tensor * 2.0`` stays float32;
* a float Python scalar turns an integer tensor into the *default* float dtype (float32), where
  NumPy would pick float64;
* tensor-with-tensor: the wider of two floats wins; integer with float gives the float;
* a 0-d tensor acts like a scalar next to a dimensioned one (``promote_tensors``).

All of the rule lives here; ``Tensor``'s operators call ``scalar_result`` and ``promote_tensors``.
"""

from __future__ import annotations

import builtins

import numpy as np


class DType:
    """A tensor element type; compare with ``==`` against another DType or a NumPy dtype."""

    __slots__ = ("name", "np_dtype", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np_dtype = np.dtype(np_dtype)
        self.is_floating_point = self.np_dtype.kind == "f"
        self.itemsize = self.np_dtype.itemsize

    def __repr__(self) -> str:
        return f"juanji.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.np_dtype == other.np_dtype
        try:
            return self.np_dtype == np.dtype(other)  # type: ignore[arg-type,call-overload]
        except TypeError:
            return False

    def __hash__(self) -> builtins.int:
        return hash(self.np_dtype)


float16 = half = DType("float16", np.float16)
float32 = float = DType("float32", np.float32)  # noqa: A001 - PyTorch spells it juanji.float
float64 = double = DType("float64", np.float64)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
int16 = short = DType("int16", np.int16)
int32 = int = DType("int32", np.int32)  # noqa: A001
int64 = long = DType("int64", np.int64)
bool_ = DType("bool", np.bool_)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_BY_NUMPY = {d.np_dtype: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

_default_float = float32


def get_default_dtype() -> DType:
    """Return the dtype that floating-point tensors get when none is given (float32)."""
    return _default_float


def set_default_dtype(dtype: object) -> None:
    """Set the default floating-point dtype (float32 or float64), as torch.set_default_dtype."""
    global _default_float
    d = as_dtype(dtype, "set_default_dtype")
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: dtype must be float32 or float64, got {d}")
    _default_float = d


def as_dtype(dtype: object, fn: str = "dtype") -> DType:
    """Turn a DType, NumPy dtype, Python type or name into a DType, or raise ``TypeError``."""
    if isinstance(dtype, DType):
        return dtype
    if dtype is builtins.float:
        return _default_float
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool_
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    try:
        found = _BY_NUMPY.get(np.dtype(dtype))  # type: ignore[call-overload]
    except TypeError:
        found = None
    if found is None:
        names = ", ".join(sorted(_BY_NAME))
        raise TypeError(f"{fn}: unsupported dtype {dtype!r}; expected one of {names}")
    return found


def from_numpy_dtype(np_dtype: np.dtype) -> DType:
    """Return the DType of a NumPy dtype, or raise ``TypeError`` for unsupported ones."""
    found = _BY_NUMPY.get(np.dtype(np_dtype))
    if found is None:
        raise TypeError(f"juanji has no dtype for NumPy's {np.dtype(np_dtype)}")
    return found


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """Result dtype of a binary op between two arrays, by PyTorch's rule (int + float -> float)."""
    if a == b:
        return a
    a_float, b_float = a.kind == "f", b.kind == "f"
    if a_float and not b_float:
        return a
    if b_float and not a_float:
        return b
    return np.promote_types(a, b)


def _category(kind: str) -> builtins.int:
    """PyTorch's promotion categories: bool < integer < float."""
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(kind, 2)


def promote_tensors(
    da: np.dtype, a_ndim: builtins.int, db: np.dtype, b_ndim: builtins.int
) -> np.dtype:
    """Common dtype of two tensors by PyTorch's rule: a 0-d tensor acts like a scalar.

    A 0-d operand does not widen a dimensioned one of the same category; one of a higher
    category lifts the result to its own dtype (an int tensor plus a 0-d float64 tensor is
    float64, as in PyTorch; a Python float gives the default dtype, see ``scalar_result``).
    """
    if da == db:
        return da
    a_scalar, b_scalar = a_ndim == 0, b_ndim == 0
    if a_scalar != b_scalar:
        if _category(da.kind) == _category(db.kind):
            return db if a_scalar else da
        return da if _category(da.kind) > _category(db.kind) else db
    return promote(da, db)


def scalar_result(array_dtype: np.dtype, scalar: object) -> np.dtype:
    """Result dtype of ``array op python_scalar``: the scalar never widens the array's kind."""
    if array_dtype.kind in "iub" and isinstance(scalar, builtins.float):
        return _default_float.np_dtype
    if (
        array_dtype.kind == "b"
        and isinstance(scalar, builtins.int)
        and not isinstance(scalar, builtins.bool)
    ):
        return np.dtype(np.int64)
    return array_dtype
