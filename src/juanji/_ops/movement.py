"""Ops that move or select elements without arithmetic: reshape, permute, expand, index, cat...

Forward results are NumPy views where NumPy can make one (as PyTorch's ``view``); gradients are
the adjoint movement (reshape back, inverse permutation, sum over expanded axes, scatter-add).
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import scatter_add, xp_of


class Reshape(Function):
    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad_output: Any) -> Any:
        return grad_output.reshape(self.shape)


class Permute(Function):
    def forward(self, a: Any, dims: tuple[int, ...]) -> Any:
        self.dims = dims
        return a.transpose(dims)

    def backward(self, grad_output: Any) -> Any:
        inverse = [0] * len(self.dims)
        for position, axis in enumerate(self.dims):
            inverse[axis] = position
        return grad_output.transpose(inverse)


class Expand(Function):
    """Broadcast to a larger shape (a read-only view); the engine sums the gradient back."""

    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        return xp_of(a).broadcast_to(a, shape)

    def backward(self, grad_output: Any) -> Any:
        return grad_output


class Contiguous(Function):
    """Copy into a C-ordered array (identity for gradients)."""

    def forward(self, a: Any) -> Any:
        return xp_of(a).ascontiguousarray(a)

    def backward(self, grad_output: Any) -> Any:
        return grad_output


class Index(Function):
    """``a[index]`` for basic (slices, ints) and advanced (integer/boolean arrays) indexing."""

    def forward(self, a: Any, index: Any) -> Any:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad_output: Any) -> Any:
        grad = xp_of(grad_output).zeros(self.shape, dtype=self.dtype)
        if _is_advanced(self.index):
            scatter_add(grad, self.index, grad_output)  # repeated indices accumulate
        else:
            grad[self.index] = grad_output
        return grad


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, "shape") or isinstance(p, (list, bool)) for p in parts)


class Cat(Function):
    """Concatenate arrays along ``dim``; any subset of the inputs may need gradients."""

    def forward(self, *arrays: Any, dim: int = 0) -> Any:
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return xp_of(*arrays).concatenate(arrays, axis=dim)

    def backward(self, grad_output: Any) -> tuple[Any, ...]:
        grads, start = [], 0
        for size, needs in zip(self.sizes, self.needs_input_grad, strict=True):
            if needs:
                where = [slice(None)] * grad_output.ndim
                where[self.dim] = slice(start, start + size)
                grads.append(grad_output[tuple(where)])
            else:
                grads.append(None)
            start += size
        return tuple(grads)


class Stack(Function):
    """Stack equal-shaped arrays along a new axis ``dim``."""

    def forward(self, *arrays: Any, dim: int = 0) -> Any:
        self.dim = dim
        return xp_of(*arrays).stack(arrays, axis=dim)

    def backward(self, grad_output: Any) -> tuple[Any, ...]:
        xp = xp_of(grad_output)
        return tuple(
            xp.take(grad_output, i, axis=self.dim) if needs else None
            for i, needs in enumerate(self.needs_input_grad)
        )


class Flip(Function):
    def forward(self, a: Any, dims: tuple[int, ...]) -> Any:
        self.dims = dims
        return xp_of(a).flip(a, axis=dims)

    def backward(self, grad_output: Any) -> Any:
        return xp_of(grad_output).flip(grad_output, axis=self.dims)


class Repeat(Function):
    """Tile ``a`` ``repeats`` times along each dimension (``Tensor.repeat``)."""

    def forward(self, a: Any, repeats: tuple[int, ...]) -> Any:
        self.in_shape = (1,) * (len(repeats) - a.ndim) + a.shape
        self.repeats = repeats
        return xp_of(a).tile(a, repeats)

    def backward(self, grad_output: Any) -> Any:
        split = []
        for r, n in zip(self.repeats, self.in_shape, strict=True):
            split += [r, n]
        grad = grad_output.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return grad


class IndexPut(Function):
    """``a[index] = value`` (or ``+=`` with ``accumulate``), written into ``a`` in place.

    The one op that mutates its input, on purpose: it is how ``x[i] = y``, ``copy_``,
    ``fill_`` and ``masked_fill_`` join the graph (PyTorch's ``CopySlices``). The old ``a`` gets
    the output gradient with the overwritten elements zeroed (all of it with ``accumulate``);
    ``value`` gets the output gradient at ``index`` (the engine sums it down to value's shape).
    """

    def forward(self, a: Any, value: Any, index: Any, accumulate: bool = False) -> Any:
        self.index, self.accumulate = index, accumulate
        if accumulate:
            scatter_add(a, index, value)
        else:
            a[index] = value
        return a

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        grad_a = grad_value = None
        if self.needs_input_grad[0]:
            grad_a = grad_output
            if not self.accumulate:
                grad_a = grad_output.copy()
                grad_a[self.index] = 0
        if self.needs_input_grad[1]:
            grad_value = grad_output[self.index]
        return grad_a, grad_value
