"""More elementwise functions with their derivatives: ``expm1``, ``log1p``, ``asinh``, rounding.

Each is a ``trig._Unary``: the forward is NumPy's ufunc (precise near zero, where ``exp(x) - 1``
would not be), the derivative is the textbook one written next to it. Rounding functions are
piecewise constant: their gradient is zero everywhere, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from juanji._ops.trig import _Unary
from juanji.autograd.function import Function
from juanji.backend import xp_of


class Expm1(_Unary):
    f, df = staticmethod(lambda xp, a: xp.expm1(a)), staticmethod(lambda xp, a: xp.exp(a))


class Log1p(_Unary):
    f, df = staticmethod(lambda xp, a: xp.log1p(a)), staticmethod(lambda xp, a: 1 / (1 + a))


class Log2(_Unary):
    f = staticmethod(lambda xp, a: xp.log2(a))
    df = staticmethod(lambda xp, a: 1 / (a * xp.log(a.dtype.type(2))))


class Log10(_Unary):
    f = staticmethod(lambda xp, a: xp.log10(a))
    df = staticmethod(lambda xp, a: 1 / (a * xp.log(a.dtype.type(10))))


class Exp2(_Unary):
    f = staticmethod(lambda xp, a: xp.exp2(a))
    df = staticmethod(lambda xp, a: xp.exp2(a) * xp.log(a.dtype.type(2)))


class Asinh(_Unary):
    f = staticmethod(lambda xp, a: xp.arcsinh(a))
    df = staticmethod(lambda xp, a: 1 / xp.sqrt(a * a + 1))


class Acosh(_Unary):
    f = staticmethod(lambda xp, a: xp.arccosh(a))
    df = staticmethod(lambda xp, a: 1 / xp.sqrt(a * a - 1))


class Atanh(_Unary):
    f = staticmethod(lambda xp, a: xp.arctanh(a))
    df = staticmethod(lambda xp, a: 1 / (1 - a * a))


class Reciprocal(_Unary):
    f = staticmethod(lambda xp, a: 1 / a)
    df = staticmethod(lambda xp, a: -1 / (a * a))


class Rounded(Function):
    """``floor``, ``ceil``, ``trunc`` or ``round`` (to ``decimals``); zero gradient."""

    def forward(self, a: Any, mode: str = "floor", decimals: int = 0) -> Any:
        self.shape, self.dtype = a.shape, a.dtype
        xp = xp_of(a)
        if mode != "round":
            return getattr(xp, mode)(a)
        if decimals == 0:
            return xp.round(a)
        scale = a.dtype.type(10.0 ** abs(decimals))
        if decimals > 0:  # PyTorch scales, rounds half to even, and scales back
            return xp.round(a * scale) / scale
        return xp.round(a / scale) * scale

    def backward(self, grad_output: Any) -> Any:
        return xp_of(grad_output).zeros(self.shape, self.dtype)


class Cumsum(Function):
    """Running sum along ``dim``; its gradient is the running sum of the gradient, reversed."""

    def forward(self, a: Any, dim: int = 0) -> Any:
        self.dim = dim
        return xp_of(a).cumsum(a, axis=dim, dtype=a.dtype)

    def backward(self, grad_output: Any) -> Any:
        xp, d = xp_of(grad_output), self.dim
        return xp.flip(xp.cumsum(xp.flip(grad_output, d), axis=d), d)


class Prod(Function):
    """Product along ``dim``, kept; the gradient of each factor is the product of the others.

    The others' product is the exclusive running product from the left times the one from the
    right, exact where a factor is zero (where ``prod / a`` would divide by it).
    """

    def forward(self, a: Any, dim: int = 0) -> Any:
        if self.requires_grad:
            self.save_for_backward(a)
        self.dim = dim
        return xp_of(a).prod(a, axis=dim, keepdims=True, dtype=a.dtype)

    def backward(self, grad_output: Any) -> Any:
        (a,) = self.saved_tensors
        xp, d = xp_of(a), self.dim
        if a.shape[d] == 0:
            return xp.zeros_like(a)
        ones = xp.ones_like(xp.take(a, [0], axis=d))
        left = xp.cumprod(xp.concatenate([ones, xp.take(a, range(a.shape[d] - 1), axis=d)], d), d)
        flipped = xp.flip(a, d)
        right = xp.cumprod(
            xp.concatenate([ones, xp.take(flipped, range(a.shape[d] - 1), axis=d)], d), d
        )
        return grad_output * left * xp.flip(right, d)
