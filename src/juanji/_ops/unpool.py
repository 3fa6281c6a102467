"""MaxUnpoolNd: put each value back where max pooling found it, zeros elsewhere.

Notation: as in ``juanji._ops.im2col``; R = N*C rows (or C unbatched), ``out`` the spatial output
size. ``indices`` are max pooling's: per row, the flat position in ``out`` (row-major) of each
value. Forward writes each value at its index (where two values share an index, the later one
in row-major order stays, as in PyTorch's CPU loop); backward reads the output gradient back
at the same indices.
"""

from __future__ import annotations

from typing import Any

from juanji._shapes import prod
from juanji.autograd.function import Function
from juanji.backend import xp_of


class MaxUnpoolNd(Function):
    """(lead, *in_) values and int64 indices -> (lead, *out) with the values scattered."""

    def forward(self, x: Any, indices: Any, out: tuple[int, ...]) -> Any:
        xp = xp_of(x)
        S = len(out)
        lead = x.shape[: x.ndim - S]
        rows = prod(lead)
        row = xp.arange(rows)[:, None]
        flat_indices = indices.reshape(rows, -1)  # (R, prod(in_))
        y = xp.zeros((rows, prod(out)), dtype=x.dtype)
        y[row, flat_indices] = x.reshape(rows, -1)
        if self.requires_grad:
            self.x_shape = x.shape
            self.save_for_backward(flat_indices)
        return y.reshape(lead + tuple(out))

    def backward(self, grad_output: Any) -> tuple[Any, None]:
        (flat_indices,) = self.saved_tensors
        xp = xp_of(grad_output)
        rows = flat_indices.shape[0]
        grad = grad_output.reshape(rows, -1)
        return grad[xp.arange(rows)[:, None], flat_indices].reshape(self.x_shape), None
