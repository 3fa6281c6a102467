"""Reductions over dimensions: sum, mean, max/min, logsumexp.

``dim`` is a tuple of non-negative axes (normalised by the caller) or ``None`` for all axes.
Tie rules (PyTorch's): ``amax``/``amin`` and a full ``max()``/``min()`` share the gradient evenly
among the equal extremes of each reduced slice; ``max(dim)`` sends it to the one index it
returns (the first occurrence). ``Norm`` gives a zero vector the gradient 0, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.autograd.function import Function
from juanji.backend import xp_of


def _expand_back(
    grad: Any, shape: tuple[int, ...], dim: tuple[int, ...] | None, keepdim: bool
) -> Any:
    """Reinsert reduced axes (size 1) so ``grad`` broadcasts against the input of ``shape``."""
    if dim is None:
        return grad.reshape((1,) * len(shape))
    if not keepdim:
        grad = xp_of(grad).expand_dims(grad, dim)
    return grad


class Sum(Function):
    def forward(self, a: Any, dim: tuple[int, ...] | None = None, keepdim: bool = False) -> Any:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        wide = xp_of(a).int64 if a.dtype.kind in "biu" else None  # PyTorch sums ints as int64
        with np.errstate(over="ignore"):  # float16 past 65504 is inf, as in PyTorch
            return a.sum(axis=dim, keepdims=keepdim, dtype=wide)

    def backward(self, grad_output: Any) -> Any:
        grad = _expand_back(grad_output, self.shape, self.dim, self.keepdim)
        return xp_of(grad).broadcast_to(grad, self.shape)


class StdOfVar(Function):
    """``sqrt(var)`` for ``std``: where the deviation is 0 its gradient is 0, as PyTorch's."""

    def forward(self, var: Any) -> Any:
        out = xp_of(var).sqrt(var)
        if self.requires_grad:
            self.save_for_backward(out)
        return out

    def backward(self, grad_output: Any) -> Any:
        (out,) = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp_of(out).where(out == 0, 0, grad_output / (2 * out)).astype(out.dtype)


class Mean(Function):
    def forward(self, a: Any, dim: tuple[int, ...] | None = None, keepdim: bool = False) -> Any:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        count = a.size if dim is None else _count(a.shape, dim)
        self.count = count
        if count == 0:  # NaN, as PyTorch, without NumPy's "mean of empty slice" warning
            return xp_of(a).full(a.sum(axis=dim, keepdims=keepdim).shape, float("nan"), a.dtype)
        return a.mean(axis=dim, keepdims=keepdim)

    def backward(self, grad_output: Any) -> Any:
        grad = _expand_back(grad_output, self.shape, self.dim, self.keepdim) / self.count
        return xp_of(grad).broadcast_to(grad.astype(grad_output.dtype, copy=False), self.shape)


def _count(shape: tuple[int, ...], dim: tuple[int, ...]) -> int:
    count = 1
    for axis in dim:
        count *= shape[axis]
    return count


class Extreme(Function):
    """``amax``/``amin`` over ``dim`` (``None``: every element); ties share the gradient evenly."""

    def forward(
        self,
        a: Any,
        dim: tuple[int, ...] | None = None,
        keepdim: bool = False,
        largest: bool = True,
    ) -> Any:
        out = a.max(axis=dim, keepdims=True) if largest else a.min(axis=dim, keepdims=True)
        if self.requires_grad:
            self.save_for_backward(a, out)
        self.dim, self.keepdim = dim, keepdim
        return out if keepdim else xp_of(a).squeeze(out, axis=dim)

    def backward(self, grad_output: Any) -> Any:
        a, out = self.saved_tensors
        grad = _expand_back(grad_output, a.shape, self.dim, self.keepdim)
        mask = a == out
        count = mask.sum(axis=self.dim, keepdims=True)
        return mask * (grad / count).astype(a.dtype, copy=False)


class MaxDim(Function):
    """``max(dim)``/``min(dim)``: returns (values, indices); gradient goes to the index."""

    n_outputs = 2

    def forward(self, a: Any, dim: int, keepdim: bool = False, largest: bool = True) -> Any:
        xp = xp_of(a)
        indices = xp.expand_dims(a.argmax(axis=dim) if largest else a.argmin(axis=dim), dim)
        values = xp.take_along_axis(a, indices, axis=dim)
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        if self.requires_grad:
            self.save_for_backward(indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values, indices.astype(xp.int64, copy=False)

    def backward(self, grad_output: tuple[Any, Any]) -> Any:
        (indices,) = self.saved_tensors
        grad_values = grad_output[0]
        xp = xp_of(grad_values)
        if not self.keepdim:
            grad_values = xp.expand_dims(grad_values, self.dim)
        grad = xp.zeros(self.shape, dtype=grad_values.dtype)
        xp.put_along_axis(grad, indices, grad_values, axis=self.dim)
        return grad


class Norm(Function):
    """The vector p-norm over ``dim`` (``None``: all elements), for p = inf, -inf, 0 or any other.

    The gradient is PyTorch's: ``sign(x) |x|^(p-1) / norm^(p-1)``, which is 0 where the norm is
    0 (not NaN) and 0 at zero elements; for p = +-inf it is shared evenly among the elements
    whose ``|x|`` equals the norm; for p = 0 (a count) it is 0.
    """

    def forward(
        self, a: Any, p: float, dim: tuple[int, ...] | None = None, keepdim: bool = False
    ) -> Any:
        xp = xp_of(a)
        magnitude = xp.abs(a)
        if p == float("inf"):
            out = magnitude.max(axis=dim, keepdims=True)
        elif p == float("-inf"):
            out = magnitude.min(axis=dim, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=dim, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = magnitude.sum(axis=dim, keepdims=True)
        elif p == 2:
            out = xp.sqrt((a * a).sum(axis=dim, keepdims=True))
        else:
            with np.errstate(divide="ignore"):  # p < 0 with a zero element: the norm is 0
                out = (magnitude**p).sum(axis=dim, keepdims=True) ** (1.0 / p)
        if self.requires_grad:
            self.save_for_backward(a, out)
        self.p, self.dim, self.keepdim = p, dim, keepdim
        return out if keepdim else xp.squeeze(out, axis=dim)

    def backward(self, grad_output: Any) -> Any:
        a, out = self.saved_tensors
        xp, p = xp_of(a), self.p
        grad = _expand_back(grad_output, a.shape, self.dim, self.keepdim)
        sign = xp.sign(a)
        if p == 0:
            return xp.zeros_like(a)
        if p == 1:
            return grad * sign
        if p in (float("inf"), float("-inf")):
            mask = xp.abs(a) == out
            return sign * mask * (grad / mask.sum(axis=self.dim, keepdims=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = xp.abs(a) ** (p - 1) / out ** (p - 1) if p != 2 else a * sign / out
        return grad * sign * xp.where((out == 0) | (a == 0), 0, scale).astype(a.dtype)


class LogSumExp(Function):
    """``log(sum(exp(a)))`` over ``dim``, computed with the max subtracted (no overflow)."""

    def forward(self, a: Any, dim: tuple[int, ...], keepdim: bool = False) -> Any:
        xp = xp_of(a)
        if a.size == 0:  # log(0) = -inf over nothing, as PyTorch
            out = xp.full(a.sum(axis=dim, keepdims=True).shape, -xp.inf, dtype=a.dtype)
        else:
            peak = a.max(axis=dim, keepdims=True)
            peak = xp.where(xp.isfinite(peak), peak, 0)
            with np.errstate(divide="ignore"):  # all -inf: log(0) = -inf
                out = xp.log(xp.exp(a - peak).sum(axis=dim, keepdims=True)) + peak
        if self.requires_grad:
            self.save_for_backward(a, out)
        self.dim, self.keepdim = dim, keepdim
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad_output: Any) -> Any:
        a, out = self.saved_tensors
        grad = grad_output if self.keepdim else xp_of(a).expand_dims(grad_output, self.dim)
        with np.errstate(invalid="ignore"):  # a slice of all -inf: NaN, as PyTorch
            return grad * xp_of(a).exp(a - out)
