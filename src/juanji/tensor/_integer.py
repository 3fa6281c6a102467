"""Integer arithmetic with PyTorch's rules: division by zero and Python ints out of range.

NumPy answers ``int_array // 0`` with zeros and a warning, and ``uint8_array + 300`` with an
``OverflowError``; PyTorch raises ``RuntimeError: ZeroDivisionError`` for the first and wraps the
second (300 becomes 44 in uint8, so 250 + 300 gives 38). Float tensors keep IEEE results
(``inf``, ``nan``), without NumPy's warning, as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from juanji.backend import xp_of
from juanji.tensor._args import operand
from juanji.tensor._base import TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self

_ROUNDING_MODES = (None, "trunc", "floor")


class IntegerDivisionByZeroError(RuntimeError, ZeroDivisionError):
    """Integer division by zero: PyTorch's ``RuntimeError``, also a ``ZeroDivisionError``."""


def wrap_int_scalar(value: int, dtype: np.dtype, fn: str) -> int:
    """``value`` cast to integer ``dtype`` by two's-complement wrapping, as PyTorch casts it."""
    info = np.iinfo(dtype)
    if info.min <= value <= info.max:
        return value
    if not -(2**63) <= value < 2**64:
        raise OverflowError(f"{fn}: the integer {value} does not fit in 64 bits")
    return int(np.array(value % 2**64, dtype=np.uint64).astype(dtype))


def _is_integer(value: Any) -> bool:
    kind = value.dtype.kind if hasattr(value, "dtype") else None
    return kind in ("i", "u", "b") if kind else isinstance(value, int)


def _carries_grad(*values: Any) -> bool:
    return any(getattr(v, "requires_grad", False) is True for v in values)


def integer_divide(fn: str, a: Any, b: Any, mode: str) -> Any:
    """``a`` divided by ``b`` on raw operands; ``mode`` is floor, trunc, remainder or fmod."""
    xp = xp_of(a)
    if _is_integer(a) and _is_integer(b):
        if bool(xp.any(xp.asarray(b) == 0)):
            raise IntegerDivisionByZeroError(f"ZeroDivisionError ({fn}: integer division by zero)")
        if mode == "trunc":  # the floor quotient, moved towards zero where signs differ
            quotient = xp.floor_divide(a, b)
            return quotient + ((xp.remainder(a, b) != 0) & ((a < 0) != (xp.asarray(b) < 0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "trunc":
            return xp.trunc(xp.true_divide(a, b))
        return {"floor": xp.floor_divide, "remainder": xp.remainder, "fmod": xp.fmod}[mode](a, b)


class IntegerMethods(TensorBase):
    """``//``, ``%``, ``floor_divide``, ``remainder``, ``fmod`` and their in-place forms."""

    __slots__ = ()

    def _divided(self, fn: str, other: Any, mode: str, reverse: bool = False) -> Self:
        a, b = self._data, operand(other)
        if reverse:
            a, b = b, a
        out = type(self)(integer_divide(fn, a, b, mode))
        if mode in ("remainder", "fmod") and _carries_grad(self, other):
            # a - q * b with the quotient q a constant: PyTorch's gradients (1 for a, -q for
            # b); the values stay the exact ones computed above.
            q = integer_divide(fn, a, b, "floor" if mode == "remainder" else "trunc")
            left, right = (other, self) if reverse else (self, other)
            graph = left - type(self)(q) * right
            graph._data = out._data.astype(graph._data.dtype, copy=False)
            return graph
        return out

    def _divided_(self, fn: str, other: Any, mode: str) -> Self:
        self._check_inplace(fn)
        self._data[...] = integer_divide(fn, self._data, operand(other), mode)
        return self

    def __floordiv__(self, other: Any) -> Self:
        return self._divided("floor_divide", other, "floor")

    def __rfloordiv__(self, other: Any) -> Self:
        return self._divided("floor_divide", other, "floor", reverse=True)

    def __ifloordiv__(self, other: Any) -> Self:
        return self._divided_("floor_divide_", other, "floor")

    def __mod__(self, other: Any) -> Self:
        return self._divided("remainder", other, "remainder")

    def __rmod__(self, other: Any) -> Self:
        return self._divided("remainder", other, "remainder", reverse=True)

    def __imod__(self, other: Any) -> Self:
        return self._divided_("remainder_", other, "remainder")

    def floor_divide(self, other: Any) -> Self:
        """``self // other``, rounded towards minus infinity (no gradient)."""
        return self._divided("floor_divide", other, "floor")

    def floor_divide_(self, other: Any) -> Self:
        """In-place ``floor_divide``."""
        return self._divided_("floor_divide_", other, "floor")

    def remainder(self, other: Any) -> Self:
        """Python's ``%``: the result has the sign of ``other`` (gradients as PyTorch's)."""
        return self._divided("remainder", other, "remainder")

    def remainder_(self, other: Any) -> Self:
        """In-place ``remainder``."""
        return self._divided_("remainder_", other, "remainder")

    def fmod(self, other: Any) -> Self:
        """C's ``fmod``: the result has the sign of ``self`` (gradients as PyTorch's)."""
        return self._divided("fmod", other, "fmod")

    def fmod_(self, other: Any) -> Self:
        """In-place ``fmod``."""
        return self._divided_("fmod_", other, "fmod")


def check_rounding_mode(rounding_mode: Any, fn: str) -> None:
    """PyTorch's rule: ``div``'s ``rounding_mode`` is None, 'trunc' or 'floor'."""
    if rounding_mode not in _ROUNDING_MODES:
        raise RuntimeError(
            f"{fn}: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
