"""Tensor methods that change a tensor in place: ``add_``, ``zero_``, ``uniform_``, ``[...] =``.

PyTorch's rule: a leaf that requires grad may be changed in place only inside ``no_grad()``
(optimisers and initialisers do this); a tensor inside a recorded graph may not be, since juanji
does not version saved arrays. Either case is a clear ``RuntimeError``, never a wrong gradient.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from juanji.autograd import grad_mode
from juanji.backend import xp_of
from juanji.random import numpy_rng
from juanji.tensor._args import index_arrays, operand
from juanji.tensor._base import Scalar, TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self


class InplaceMethods(TensorBase):
    """In-place arithmetic, fills, copies and random fills."""

    __slots__ = ()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        self._data[index_arrays(index)] = operand(value)

    def _check_inplace(self, name: str) -> None:
        if grad_mode._enabled and self.requires_grad:
            kind = (
                "a leaf Variable that requires grad"
                if self._ctx is None
                else ("a tensor that is part of a recorded graph")
            )
            raise RuntimeError(
                f"{name}: {kind} is being used in an in-place operation; wrap it in "
                "juanji.no_grad() or use the out-of-place form"
            )

    def _inplace(self, name: str, result: Any) -> Self:
        self._check_inplace(name)
        self._data[...] = result
        return self

    def add_(self, other: Any, alpha: Scalar = 1) -> Self:
        """In-place ``self += alpha * other``."""
        self._check_inplace("add_")
        value = operand(other)
        if alpha != 1:
            value = value * alpha
        xp_of(self._data).add(self._data, value, out=self._data, casting="unsafe")
        return self

    def sub_(self, other: Any, alpha: Scalar = 1) -> Self:
        """In-place ``self -= alpha * other``."""
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Self:
        """In-place ``self *= other``."""
        self._check_inplace("mul_")
        xp_of(self._data).multiply(self._data, operand(other), out=self._data, casting="unsafe")
        return self

    def div_(self, other: Any) -> Self:
        """In-place ``self /= other``."""
        self._check_inplace("div_")
        xp_of(self._data).divide(self._data, operand(other), out=self._data, casting="unsafe")
        return self

    def addcmul_(self, tensor1: TensorBase, tensor2: TensorBase, value: Scalar = 1) -> Self:
        """In-place ``self += value * tensor1 * tensor2``."""
        return self.add_(operand(tensor1) * operand(tensor2), alpha=value)

    def addcdiv_(self, tensor1: TensorBase, tensor2: TensorBase, value: Scalar = 1) -> Self:
        """In-place ``self += value * tensor1 / tensor2``."""
        return self.add_(operand(tensor1) / operand(tensor2), alpha=value)

    def lerp_(self, end: TensorBase, weight: Scalar) -> Self:
        """In-place ``self += weight * (end - self)``."""
        return self.add_(operand(end) - self._data, alpha=weight)

    def pow_(self, exponent: Scalar) -> Self:
        """In-place ``self **= exponent``."""
        return self._inplace("pow_", self._data**exponent)

    def sqrt_(self) -> Self:
        """In-place square root."""
        return self._inplace("sqrt_", xp_of(self._data).sqrt(self._data))

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Self:  # noqa: A002
        """In-place clamp."""
        return self._inplace("clamp_", xp_of(self._data).clip(self._data, min, max))

    def zero_(self) -> Self:
        """Fill with zeros in place."""
        return self._inplace("zero_", 0)

    def fill_(self, value: Scalar) -> Self:
        """Fill with ``value`` in place."""
        return self._inplace("fill_", operand(value))

    def copy_(self, src: Any) -> Self:
        """Copy ``src``'s values into this tensor (broadcasting, casting)."""
        return self._inplace("copy_", operand(src))

    def uniform_(
        self, a: builtins.float = 0.0, b: builtins.float = 1.0, generator: Any = None
    ) -> Self:
        """Fill with samples from U(a, b)."""
        values = numpy_rng(generator).uniform(a, b, size=self.shape)
        return self._inplace("uniform_", values)

    def normal_(
        self, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator: Any = None
    ) -> Self:
        """Fill with samples from N(mean, std**2)."""
        values = numpy_rng(generator).normal(mean, std, size=self.shape)
        return self._inplace("normal_", values)
