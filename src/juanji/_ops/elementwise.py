"""Elementwise arithmetic with broadcasting.

Each backward returns gradients in the broadcast output shape; the engine sums them down to the
input shapes. An input may be a Python scalar (a constant): its gradient slot is ``None``.
Ties and kinks follow PyTorch: ``abs`` has gradient 0 at 0, ``maximum``/``minimum`` split the
gradient evenly between equal inputs, ``clamp`` passes gradient on the closed interval.
Division, powers, ``exp``, ``log`` and ``sqrt`` give IEEE infinities and NaNs without a
warning (``1 / 0 = inf``, ``log(0) = -inf``, ``sqrt(-1) = nan``), forward and backward, as
PyTorch does.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from juanji.autograd.function import Function
from juanji.backend import xp_of

# Silences NumPy's floating-point warnings for one computation (CuPy never warns).
_ieee = functools.partial(np.errstate, divide="ignore", over="ignore", invalid="ignore")


class Add(Function):
    def forward(self, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        return grad_output, grad_output


class Sub(Function):
    def forward(self, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        return grad_output, (-grad_output if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a: Any, b: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a, b)
        return a * b

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        a, b = self.saved_tensors
        return (
            grad_output * b if self.needs_input_grad[0] else None,
            grad_output * a if self.needs_input_grad[1] else None,
        )


class Div(Function):
    def forward(self, a: Any, b: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a, b)
        with _ieee():
            return a / b

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        a, b = self.saved_tensors
        with _ieee():
            grad_a = grad_output / b if self.needs_input_grad[0] else None
            grad_b = -grad_output * a / (b * b) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, grad_output: Any) -> Any:
        return -grad_output


class Pow(Function):
    """``a ** b`` where either side may be a scalar constant."""

    def forward(self, a: Any, b: Any) -> Any:
        with _ieee():
            out = a**b
        if self.requires_grad:
            self.save_for_backward(a, b, out)
        return out

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        with _ieee():
            return self._backward(grad_output)

    def _backward(self, grad_output: Any) -> tuple[Any, Any]:
        a, b, out = self.saved_tensors
        xp = xp_of(out)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            if isinstance(b, (int, float)) and b == 0:
                grad_a = xp.zeros_like(out) * grad_output  # d(a^0)/da = 0, also at a == 0
            else:
                grad_a = grad_output * b * a ** (b - 1)
        if self.needs_input_grad[1]:
            # d(a^b)/db = a^b * log(a); PyTorch defines it as 0 where a == 0 and b >= 0.
            log_a = (
                xp.log(xp.where(a == 0, 1, a))
                if not isinstance(a, (int, float))
                else (xp.log(a) if a != 0 else 0.0)
            )
            grad_b = grad_output * out * log_a
        return grad_a, grad_b


class Exp(Function):
    def forward(self, a: Any) -> Any:
        with _ieee():
            out = xp_of(a).exp(a)
        if self.requires_grad:
            self.save_for_backward(out)
        return out

    def backward(self, grad_output: Any) -> Any:
        (out,) = self.saved_tensors
        return grad_output * out


class Log(Function):
    def forward(self, a: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a)
        with _ieee():
            return xp_of(a).log(a)

    def backward(self, grad_output: Any) -> Any:
        (a,) = self.saved_tensors
        with _ieee():
            return grad_output / a


class Sqrt(Function):
    def forward(self, a: Any) -> Any:
        with _ieee():
            out = xp_of(a).sqrt(a)
        if self.requires_grad:
            self.save_for_backward(out)
        return out

    def backward(self, grad_output: Any) -> Any:
        (out,) = self.saved_tensors
        with _ieee():
            return grad_output / (2 * out)


class Abs(Function):
    def forward(self, a: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a)
        return xp_of(a).abs(a)

    def backward(self, grad_output: Any) -> Any:
        (a,) = self.saved_tensors
        return grad_output * xp_of(a).sign(a)


class Maximum(Function):
    """Elementwise max of two tensors; on ties each side gets half the gradient (as PyTorch)."""

    _pick = "maximum"

    def forward(self, a: Any, b: Any) -> Any:
        xp = xp_of(a, b)
        if self.requires_grad:
            self.save_for_backward(a, b)
        return getattr(xp, self._pick)(a, b)

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        a, b = self.saved_tensors
        xp = xp_of(grad_output)
        wins = (a > b) if self._pick == "maximum" else (a < b)
        share = xp.where(wins, 1.0, xp.where(a == b, 0.5, 0.0)).astype(grad_output.dtype)
        return (
            grad_output * share if self.needs_input_grad[0] else None,
            grad_output * (1 - share) if self.needs_input_grad[1] else None,
        )


class Minimum(Maximum):
    """Elementwise min of two tensors; ties split the gradient evenly."""

    _pick = "minimum"


class Clamp(Function):
    """Clip to ``[min, max]`` (either may be None); gradient flows where min <= x <= max."""

    def forward(self, a: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        xp = xp_of(a)
        if self.requires_grad:
            self.save_for_backward(a)
            self.bounds = (min, max)
        out = a
        if min is not None:
            out = xp.maximum(out, xp.asarray(min, dtype=a.dtype))
        if max is not None:
            out = xp.minimum(out, xp.asarray(max, dtype=a.dtype))
        return out if out is not a else a.copy()

    def backward(self, grad_output: Any) -> Any:
        (a,) = self.saved_tensors
        low, high = self.bounds
        keep = True
        if low is not None:
            keep = a >= low
        if high is not None:
            keep = keep & (a <= high)
        return grad_output * keep


class Where(Function):
    """``where(condition, a, b)``: the condition is a constant boolean array."""

    def forward(self, condition: Any, a: Any, b: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(condition)
        return xp_of(a, b).where(condition, a, b)

    def backward(self, grad_output: Any) -> tuple[None, Any, Any]:
        (condition,) = self.saved_tensors
        zero = grad_output.dtype.type(0)
        return (
            None,
            grad_output * condition if self.needs_input_grad[1] else None,
            xp_of(grad_output).where(condition, zero, grad_output)
            if self.needs_input_grad[2]
            else None,
        )


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    def forward(self, a: Any, dtype: Any) -> Any:
        self.input_dtype = a.dtype
        with _ieee():  # 70000 -> float16 is inf, nan -> int64 is whatever the CPU gives: torch's
            return a.astype(dtype)

    def backward(self, grad_output: Any) -> Any:
        return grad_output.astype(self.input_dtype)
