"""Trigonometric and hyperbolic functions, elementwise (``sin``, ``cosh``, ``atan``...).

Each forward keeps the input for backward; each derivative is the textbook one written next to
its function, e.g. ``d sin(x) = cos(x) dx``, ``d atan(x) = dx / (1 + x^2)``.
"""

from __future__ import annotations

from typing import Any

from juanji._ops.elementwise import _ieee
from juanji.autograd.function import Function
from juanji.backend import xp_of


class _Unary(Function):
    """``f(x)`` with ``f'(x)`` given as a function of the saved input."""

    def forward(self, a: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a)
        with _ieee():  # asin(2) is NaN, as in PyTorch, without NumPy's warning
            return self.f(xp_of(a), a)

    def backward(self, grad_output: Any) -> Any:
        (a,) = self.saved_tensors
        with _ieee():  # acos' slope at 1 is -inf, as in PyTorch
            return grad_output * self.df(xp_of(a), a)

    @staticmethod
    def f(xp: Any, a: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def df(xp: Any, a: Any) -> Any:
        raise NotImplementedError


class Sin(_Unary):
    f, df = staticmethod(lambda xp, a: xp.sin(a)), staticmethod(lambda xp, a: xp.cos(a))


class Cos(_Unary):
    f, df = staticmethod(lambda xp, a: xp.cos(a)), staticmethod(lambda xp, a: -xp.sin(a))


class Tan(_Unary):
    f = staticmethod(lambda xp, a: xp.tan(a))
    df = staticmethod(lambda xp, a: 1 + xp.tan(a) ** 2)


class Sinh(_Unary):
    f, df = staticmethod(lambda xp, a: xp.sinh(a)), staticmethod(lambda xp, a: xp.cosh(a))


class Cosh(_Unary):
    f, df = staticmethod(lambda xp, a: xp.cosh(a)), staticmethod(lambda xp, a: xp.sinh(a))


class Asin(_Unary):
    f = staticmethod(lambda xp, a: xp.arcsin(a))
    df = staticmethod(lambda xp, a: 1 / xp.sqrt(1 - a * a))


class Acos(_Unary):
    f = staticmethod(lambda xp, a: xp.arccos(a))
    df = staticmethod(lambda xp, a: -1 / xp.sqrt(1 - a * a))


class Atan(_Unary):
    f = staticmethod(lambda xp, a: xp.arctan(a))
    df = staticmethod(lambda xp, a: 1 / (1 + a * a))
