"""PyTorch's legacy constructors: ``autograd.Variable`` and ``LongTensor``/``FloatTensor``...

Old tutorials and blog scripts still write ``Variable(x, requires_grad=True)`` and
``torch.LongTensor([1, 2])``. Here each returns an ordinary ``Tensor`` (as ``Variable`` has in
PyTorch since 0.4), and ``isinstance(x, juanji.FloatTensor)`` asks about the dtype, as in
PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji import _dtype
from juanji.tensor._args import to_array
from juanji.tensor.tensor import Tensor


class _TensorTypeMeta(type):
    """``isinstance(t, FloatTensor)``: a Tensor whose dtype is the class's."""

    _legacy_dtype: _dtype.DType | None

    def __instancecheck__(cls, obj: Any) -> bool:
        if not isinstance(obj, Tensor):
            return False
        return cls._legacy_dtype is None or obj.dtype == cls._legacy_dtype


class Variable(metaclass=_TensorTypeMeta):
    """``Variable(data, requires_grad=False)``: returns a Tensor (PyTorch's legacy wrapper).

    ``volatile=True``, long gone from PyTorch, is refused: use ``juanji.no_grad()``.

    Example:
        >>> x = Variable(Tensor(np.ones(2, dtype=np.float32)), requires_grad=True)
        >>> type(x).__name__, x.requires_grad
        ('Tensor', True)
    """

    _legacy_dtype = None

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Any:
        """Return ``data`` as a Tensor (not a copy), with ``requires_grad`` set if asked."""
        if volatile:
            raise ValueError("Variable: volatile=True was removed; use `with juanji.no_grad():`")
        if data is None:
            return Tensor(np.zeros(0, dtype=_dtype.get_default_dtype().np_dtype))
        if isinstance(data, Tensor):
            out = data.detach() if data.requires_grad and requires_grad else data
        else:
            out = Tensor(to_array(data, None))
        if requires_grad:
            out.requires_grad_(True)
        return out


class _LegacyTensor(metaclass=_TensorTypeMeta):
    """``XTensor(data)`` copies data into a new tensor; ``XTensor(2, 3)`` makes one of that size."""

    _legacy_dtype: _dtype.DType | None = None

    def __new__(cls, *args: Any, device: Any = None) -> Any:
        """Return a new Tensor of the class's dtype from data or sizes."""
        np_dtype = cls._legacy_dtype.np_dtype
        if not args:
            return Tensor(np.zeros(0, dtype=np_dtype))
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return Tensor(np.zeros(args, dtype=np_dtype))  # sizes (PyTorch leaves it unset)
        if len(args) == 1 and isinstance(args[0], tuple) and not args[0]:
            return Tensor(np.zeros(0, dtype=np_dtype))
        if len(args) != 1:
            raise TypeError(
                f"{cls.__name__}: expected data (a list, array or tensor) or sizes as ints, "
                f"got {len(args)} arguments"
            )
        return Tensor(np.array(to_array(args[0], None), dtype=np_dtype, copy=True))


def _legacy(name: str, dtype: _dtype.DType) -> type:
    doc = f"Legacy constructor of {dtype} tensors; see ``_LegacyTensor``."
    return _TensorTypeMeta(name, (_LegacyTensor,), {"_legacy_dtype": dtype, "__doc__": doc})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
BoolTensor = _legacy("BoolTensor", _dtype.bool_)

__all__ = [
    "Variable",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]
