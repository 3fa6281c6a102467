"""Tensor methods that real PyTorch scripts call beyond the core set, and ``juanji.Size``.

Trigonometric functions, ``new_*`` factories, in-place shape changes (``squeeze_``), axis swaps
(``swapaxes``, ``moveaxis``), device flags (``is_xpu``) and the PyTorch type names that
``Tensor.type()`` reports. Each is a short delegation, as in ``tensor.py``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji import _dtype
from juanji._ops import trig
from juanji.backend import xp_of
from juanji.tensor._args import check_sizes, dim_index, shape_args, to_array
from juanji.tensor._base import TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self


# PyTorch's legacy type names: scripts compare x.type() with 'torch.FloatTensor'.
TYPE_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor",
    "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor",
    "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}
_NAME_TO_DTYPE = {
    **{name: dtype for dtype, name in TYPE_NAMES.items()},
    **{name.replace("torch.", "juanji."): dtype for dtype, name in TYPE_NAMES.items()},
}


def type_name(np_dtype: Any) -> str:
    """``'torch.FloatTensor'`` for float32, and so on (``'torch.Tensor'`` for others)."""
    return TYPE_NAMES.get(np_dtype.name, "torch.Tensor")


def dtype_of_type(spec: Any) -> _dtype.DType:
    """The dtype a ``Tensor.type(...)`` argument names: a dtype, a name, or a legacy class."""
    if isinstance(spec, str):
        if spec not in _NAME_TO_DTYPE:
            raise ValueError(
                f"type: invalid type {spec!r}; expected a name like 'torch.FloatTensor' or "
                "a dtype like juanji.float32"
            )
        return _dtype.as_dtype(_NAME_TO_DTYPE[spec], "type")
    legacy = getattr(spec, "_legacy_dtype", None)
    return _dtype.as_dtype(legacy if legacy is not None else spec, "type")


class CompatMethods(TensorBase):
    """Trigonometry, ``new_*`` factories, ``squeeze_``/``swapaxes``, device flags."""

    __slots__ = ()

    # ------------------------------------------------------------------ trigonometry
    def sin(self) -> Self:
        """Elementwise sine."""
        return self._apply(trig.Sin, self._float())

    def cos(self) -> Self:
        """Elementwise cosine."""
        return self._apply(trig.Cos, self._float())

    def tan(self) -> Self:
        """Elementwise tangent."""
        return self._apply(trig.Tan, self._float())

    def sinh(self) -> Self:
        """Elementwise hyperbolic sine."""
        return self._apply(trig.Sinh, self._float())

    def cosh(self) -> Self:
        """Elementwise hyperbolic cosine."""
        return self._apply(trig.Cosh, self._float())

    def asin(self) -> Self:
        """Elementwise inverse sine."""
        return self._apply(trig.Asin, self._float())

    def acos(self) -> Self:
        """Elementwise inverse cosine."""
        return self._apply(trig.Acos, self._float())

    def atan(self) -> Self:
        """Elementwise inverse tangent."""
        return self._apply(trig.Atan, self._float())

    arcsin, arccos, arctan = asin, acos, atan

    # ------------------------------------------------------------------ new_* factories
    def _new(self, array: Any, dtype: Any, requires_grad: builtins.bool) -> Self:
        target = self._data.dtype if dtype is None else _dtype.as_dtype(dtype).np_dtype
        return self._wrap_grad(array.astype(target, copy=False), requires_grad)

    def _wrap_grad(self, array: Any, requires_grad: builtins.bool) -> Self:
        out = self._wrap(array)
        return out.requires_grad_(True) if requires_grad else out

    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Self:
        """A new tensor holding a copy of ``data``, with this tensor's dtype unless given."""
        array = to_array(data, None).copy()
        return self._new(array, dtype, requires_grad)

    def new_zeros(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Self:
        """Zeros of ``size``, with this tensor's dtype unless given."""
        xp = _xp(self)
        return self._new(xp.zeros(_new_shape(size, "new_zeros")), dtype, requires_grad)

    def new_ones(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Self:
        """Ones of ``size``, with this tensor's dtype unless given."""
        xp = _xp(self)
        return self._new(xp.ones(_new_shape(size, "new_ones")), dtype, requires_grad)

    def new_empty(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Self:
        """An uninitialised tensor of ``size`` (zeros here), with this tensor's dtype."""
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    def new_full(
        self,
        size: Sequence[int],
        fill_value: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Self:
        """``fill_value`` repeated over ``size``, with this tensor's dtype unless given."""
        xp = _xp(self)
        array = xp.full(_new_shape((size,), "new_full"), fill_value)
        return self._new(array, dtype, requires_grad)

    # ------------------------------------------------------------------ shape, in place
    def _reshape_(self, name: str, shape: tuple[int, ...]) -> Self:
        if self._ctx is not None or self.requires_grad:
            result = self.reshape(shape)
            self._data, self._ctx = result._data, result._ctx
            self._output_index = result._output_index
        else:
            self._data = self._data.reshape(shape)
        return self

    def squeeze_(self, dim: Any = None) -> Self:
        """Remove size-1 dimensions of this tensor in place (its shape changes)."""
        return self._reshape_("squeeze_", self.squeeze(dim).shape)

    def unsqueeze_(self, dim: int) -> Self:
        """Insert a size-1 dimension at ``dim`` in place."""
        return self._reshape_("unsqueeze_", self.unsqueeze(dim).shape)

    def swapaxes(self, axis0: int, axis1: int) -> Self:
        """Swap two dimensions (``transpose``'s NumPy name)."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source: Any, destination: Any) -> Self:
        """Move dimension(s) ``source`` to position(s) ``destination``; the rest keep order."""
        src = [source] if isinstance(source, builtins.int) else list(source)
        dst = [destination] if isinstance(destination, builtins.int) else list(destination)
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: source ({len(src)} dims) and destination ({len(dst)} dims) must "
                "have the same number of dimensions"
            )
        src = [dim_index(d, self.ndim, "movedim") for d in src]
        dst = [dim_index(d, self.ndim, "movedim") for d in dst]
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
        rest = iter(d for d in range(self.ndim) if d not in src)
        placed = dict(zip(dst, src, strict=True))
        order = [placed[i] if i in placed else next(rest) for i in range(self.ndim)]
        return self.permute(order)

    moveaxis = movedim

    # ------------------------------------------------------------------ logic (not differentiable)
    def _logic(self, other: Any, name: str, op: str) -> Self:
        a, b = self._data, other._data if hasattr(other, "_ctx") else other
        if a.dtype.kind not in "biu" or getattr(b, "dtype", np.dtype(bool)).kind not in "biu":
            if op == "invert":
                raise TypeError(f"{name}: needs a bool or integer tensor, got {self.dtype}")
            raise NotImplementedError(f"{name}: needs bool or integer tensors, got {self.dtype}")
        xp = xp_of(a)
        return self._wrap(xp.invert(a) if op == "invert" else getattr(xp, op)(a, b))

    def __and__(self, other: Any) -> Self:
        return self._logic(other, "&", "bitwise_and")

    def __or__(self, other: Any) -> Self:
        return self._logic(other, "|", "bitwise_or")

    def __xor__(self, other: Any) -> Self:
        return self._logic(other, "^", "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Self:
        if self._data.dtype.kind == "b":
            return self.logical_not()
        return self._logic(0, "~", "invert")

    def logical_not(self) -> Self:
        """Elementwise NOT, as a bool tensor."""
        return self._wrap(xp_of(self._data).logical_not(self._data))

    def logical_and(self, other: Any) -> Self:
        """Elementwise AND of truth values, as a bool tensor."""
        return self._wrap(xp_of(self._data).logical_and(self._data, _raw(other)))

    def logical_or(self, other: Any) -> Self:
        """Elementwise OR of truth values, as a bool tensor."""
        return self._wrap(xp_of(self._data).logical_or(self._data, _raw(other)))

    # ------------------------------------------------------------------ devices
    @property
    def is_xpu(self) -> builtins.bool:
        """False: juanji has no Intel GPU backend."""
        return False

    @property
    def is_mps(self) -> builtins.bool:
        """False: juanji has no Apple GPU backend."""
        return False

    @property
    def is_meta(self) -> builtins.bool:
        """False: juanji tensors always hold data."""
        return False

    def get_device(self) -> builtins.int:
        """-1 on the CPU (PyTorch's convention), else the GPU index."""
        return -1 if self.device.type == "cpu" else (self.device.index or 0)


def _raw(value: Any) -> Any:
    return value._data if hasattr(value, "_ctx") else value


def _xp(tensor: Any) -> Any:
    return xp_of(tensor._data)


def _new_shape(size: tuple, fn: str) -> tuple[int, ...]:
    """The size of a ``new_*`` factory, with PyTorch's errors (negative, larger than RAM)."""
    return check_sizes(shape_args(size, fn), 8, fn)
