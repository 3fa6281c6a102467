"""Matrix products: batched ``matmul`` with NumPy's broadcasting rules, and the fused ``linear``.

``linear`` computes ``x @ weight.T + bias`` with the transpose handed to BLAS as a flag (a view,
never a copy), which is why it is its own op rather than matmul + add.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.engine import sum_to_shape
from juanji.autograd.function import Function
from juanji.backend import op_threads, xp_of


class MatMul(Function):
    """``a @ b`` for 1-D to N-D operands; vectors are promoted to matrices and back."""

    def forward(self, a: Any, b: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        a, b = self.saved_tensors
        xp = xp_of(grad_output)
        a2 = a[None, :] if a.ndim == 1 else a  # (1, K): a vector is a one-row matrix
        b2 = b[:, None] if b.ndim == 1 else b  # (K, 1): a vector is a one-column matrix
        grad = grad_output  # restore the (..., M, P) matrix shape that the vectors dropped
        if a.ndim == 1 and b.ndim == 1:
            grad = grad.reshape(1, 1)
        elif a.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        elif b.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        grad_a = grad_b = None
        # Batch dimensions broadcast in forward are summed here, since the vector cases
        # need the matrix shape restored before reshaping back to the input's shape.
        if self.needs_input_grad[0]:
            grad_a = sum_to_shape(grad @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to_shape(xp.swapaxes(a2, -1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function):
    """``y = x @ weight.T + bias`` over the last dimension of ``x`` (any leading shape).

    Shapes: x (..., in), weight (out, in), bias (out,) or None -> y (..., out).
    """

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        if self.requires_grad:
            self.save_for_backward(x, weight)
        self.macs = x.size * weight.shape[0]
        with op_threads(self.macs):
            out = x @ weight.T  # weight.T is a view: BLAS reads it transposed, no copy
        if bias is not None:
            out += bias  # out is fresh, so in place is safe and saves a temporary
        return out

    def backward(self, grad_output: Any) -> tuple[Any, Any, Any]:
        with op_threads(self.macs):
            return self._backward(grad_output)

    def _backward(self, grad_output: Any) -> tuple[Any, Any, Any]:
        x, weight = self.saved_tensors
        grad_x = None
        if self.needs_input_grad[0]:
            if x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous:
                # x is a flattened batch-last conv output (see _ops/conv/gemm.py): give its gradient
                # the same (in, rows) memory layout, so that the layers below stay copy-free.
                grad_x = (weight.T @ grad_output.T).T
            else:
                grad_x = grad_output @ weight
        grad_weight = grad_bias = None
        if self.needs_input_grad[1]:
            g2 = grad_output.reshape(-1, grad_output.shape[-1])  # (rows, out)
            x2 = x.reshape(-1, x.shape[-1])  # (rows, in)
            grad_weight = g2.T @ x2  # (out, in)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            grad_bias = grad_output.reshape(-1, grad_output.shape[-1]).sum(axis=0)
        return grad_x, grad_weight, grad_bias
