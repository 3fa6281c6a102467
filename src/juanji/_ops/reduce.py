"""Reductions over dimensions: sum, mean, max/min, logsumexp.

``dim`` is a tuple of non-negative axes (normalised by the caller) or ``None`` for all axes.
Tie rules (PyTorch's): a full ``max()``/``min()`` shares the gradient evenly among all equal
extremes; ``max(dim)`` sends it to the one index it returns (the first occurrence).
"""

from __future__ import annotations

from typing import Any

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
        return a.sum(axis=dim, keepdims=keepdim)

    def backward(self, grad_output: Any) -> Any:
        grad = _expand_back(grad_output, self.shape, self.dim, self.keepdim)
        return xp_of(grad).broadcast_to(grad, self.shape)


class Mean(Function):
    def forward(self, a: Any, dim: tuple[int, ...] | None = None, keepdim: bool = False) -> Any:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        count = a.size if dim is None else _count(a.shape, dim)
        self.count = count
        return a.mean(axis=dim, keepdims=keepdim)

    def backward(self, grad_output: Any) -> Any:
        grad = _expand_back(grad_output, self.shape, self.dim, self.keepdim) / self.count
        return xp_of(grad).broadcast_to(grad.astype(grad_output.dtype, copy=False), self.shape)


def _count(shape: tuple[int, ...], dim: tuple[int, ...]) -> int:
    count = 1
    for axis in dim:
        count *= shape[axis]
    return count


class MaxAll(Function):
    """``max()`` or ``min()`` of every element; ties share the gradient evenly."""

    def forward(self, a: Any, largest: bool = True) -> Any:
        out = a.max() if largest else a.min()
        if self.requires_grad:
            self.save_for_backward(a, out)
        return xp_of(a).asarray(out)

    def backward(self, grad_output: Any) -> Any:
        a, out = self.saved_tensors
        mask = a == out
        return mask * (grad_output / mask.sum()).astype(a.dtype)


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


class LogSumExp(Function):
    """``log(sum(exp(a)))`` over ``dim``, computed with the max subtracted (no overflow)."""

    def forward(self, a: Any, dim: tuple[int, ...], keepdim: bool = False) -> Any:
        xp = xp_of(a)
        peak = a.max(axis=dim, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        out = xp.log(xp.exp(a - peak).sum(axis=dim, keepdims=True)) + peak
        if self.requires_grad:
            self.save_for_backward(a, out)
        self.dim, self.keepdim = dim, keepdim
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad_output: Any) -> Any:
        a, out = self.saved_tensors
        grad = grad_output if self.keepdim else xp_of(a).expand_dims(grad_output, self.dim)
        return grad * xp_of(a).exp(a - out)
