"""ConvNd: the only convolution implementation, lowered to matrix products (im2col + GEMM).

Notation (as in ``_ops/im2col.py``, plus):
    C_in, C_out   input / output channels;  G  groups;  C_g = C_in / G,  O_g = C_out / G
    K             rows of one group's im2col matrix: C_g * prod(k)
    L             number of output positions: prod(out)
    x             (N, C_in, *in_)          weight  (C_out, C_g, *k)          bias  (C_out,)
    col           (N, G, K, L)             the im2col matrix of the padded input, per group
    y             (N, C_out, *out)

Forward, for every n and g at once (one batched GEMM; NumPy hands each (O_g, K) @ (K, L) product
to BLAS, and broadcasting the weight over N costs no copy):

    y[n, g] = W[g] @ col[n, g]          W (G, O_g, K) @ col (N, G, K, L) -> (N, G, O_g, L)

This order puts the channels before the positions, so the product *is* (N, C_out, *out) after a
free reshape: no transpose copy of the output.

Backward (the two other products of the same three matrices, then col2im):

    grad_W[g]       = sum_n grad_y[n, g] @ col[n, g].T      (col.T is a view: BLAS's trans flag)
    grad_col[g]     = W[g].T @ grad_y[g]                    -> col2im -> crop padding -> grad_x
    grad_bias       = grad_y summed over N and L

The input gradient runs with the batch as the LAST axis: grad_y is copied once (small: the size
of the output) to (G, O_g, L*N), so ``W[g].T @ grad_y[g]`` is one GEMM per group, and col2im then
adds slices whose contiguous runs are N times longer (see ``col2im_batch_last``); the result is
copied back to (N, C_in, *in_) while the padding is cropped off.

Memory: ``col`` has K*L elements per sample, prod(k) times the input. When one batch's col would
pass ``COL_BUDGET_BYTES`` the batch is processed in chunks (same GEMMs, fewer rows at a time) and
col is recomputed in backward instead of kept. This is the seam where a later lowering
(a different GEMM layout, Winograd, FFT, a GPU kernel) plugs in.
"""

from __future__ import annotations

import math
from typing import Any

from juanji._ops.im2col import Ints, col2im_batch_last, im2col
from juanji._ops.pad import Pads, pad_constant, pad_constant_adjoint
from juanji.autograd.function import Function
from juanji.backend import xp_of

# Largest im2col matrix built at once, in bytes (per forward or backward chunk of the batch).
COL_BUDGET_BYTES = 256 * 2**20


def batch_chunks(N: int, bytes_per_sample: int, budget: int | None = None) -> list[slice]:
    """Split range(N) into slices whose im2col matrices fit the budget (at least 1 sample each).

    Example:
        >>> batch_chunks(5, 100, budget=250)
        [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    budget = COL_BUDGET_BYTES if budget is None else budget
    step = max(1, budget // max(1, bytes_per_sample))
    return [slice(start, min(start + step, N)) for start in range(0, N, step)] or [slice(0, 0)]


class ConvNd(Function):
    """N-d grouped convolution (cross-correlation, as in PyTorch) of a batched input.

    Parameters (already validated by ``nn.functional.conv``): ``stride`` and ``dilation`` are
    tuples of S ints, ``padding`` S (before, after) pairs of zeros added around the input,
    ``groups`` an int dividing C_in and C_out.
    """

    def forward(
        self,
        x: Any,
        weight: Any,
        bias: Any = None,
        *,
        stride: Ints,
        padding: Pads,
        dilation: Ints,
        groups: int,
    ) -> Any:
        xp = xp_of(x, weight)
        N, C_in = x.shape[:2]
        C_out, kernel_size = weight.shape[0], weight.shape[2:]
        G = groups
        x_padded = pad_constant(x, padding)  # (N, C_in, *in_ + pads)
        out = tuple(
            (n - dl * (k - 1) - 1) // st + 1
            for n, k, st, dl in zip(x_padded.shape[2:], kernel_size, stride, dilation, strict=True)
        )
        K, L = (C_in // G) * math.prod(kernel_size), math.prod(out)
        self.geometry = (kernel_size, stride, dilation, G, K, L)
        w = weight.reshape(G, C_out // G, K)  # (G, O_g, K)
        y = xp.empty((N, G, C_out // G, L), dtype=x.dtype)
        chunks = batch_chunks(N, G * K * L * x.itemsize)
        for chunk in chunks:
            col = self._im2col(x_padded[chunk])  # (n, G, K, L)
            xp.matmul(w, col, out=y[chunk])  # (n, G, O_g, L)
        y = y.reshape((N, C_out) + out)  # (N, C_out, *out), a view
        if bias is not None:
            y += bias.reshape((C_out,) + (1,) * len(out))  # y is fresh: in place is safe
        if self.requires_grad:
            self.chunks, self.x_shape, self.padded_shape = chunks, x.shape, x_padded.shape
            self.padding, self.weight_shape = padding, weight.shape
            needs_x, needs_w = self.needs_input_grad[:2]
            # grad_W needs col: keep it when it was built in one piece, else rebuild per chunk.
            keep_col = needs_w and len(chunks) == 1
            self.save_for_backward(
                col if keep_col else None,
                x_padded if needs_w and not keep_col else None,
                w if needs_x else None,
            )
        return y

    def _im2col(self, x_padded: Any) -> Any:
        kernel_size, stride, dilation, G, K, L = self.geometry
        col = im2col(x_padded, kernel_size, stride, dilation)  # (n, C_in*prod(k), L)
        return col.reshape(col.shape[0], G, K, L)  # (n, G, K, L), a view

    def _grad_input(self, g: Any, w: Any) -> Any:
        """grad_x = crop(col2im(W.T @ grad_y)), computed with the batch as the last axis."""
        kernel_size, stride, dilation, G, K, L = self.geometry
        xp = xp_of(g)
        n, O_g = g.shape[0], g.shape[2]
        g_last = xp.ascontiguousarray(g.transpose(1, 2, 3, 0))  # (G, O_g, L, n): a small copy
        grad_col = w.swapaxes(-1, -2) @ g_last.reshape(G, O_g, L * n)  # (G, K, L*n): one GEMM
        grad_col = grad_col.reshape(G * K, L, n)  # (C_in*prod(k), L, n), a view
        x_last = col2im_batch_last(
            grad_col, self.padded_shape[2:], kernel_size, stride, dilation
        )  # (C_in, *in_ + pads, n)
        x_padded = x_last.transpose((x_last.ndim - 1,) + tuple(range(x_last.ndim - 1)))
        return pad_constant_adjoint(x_padded, (n,) + self.x_shape[1:], self.padding)  # a view

    def backward(self, grad_output: Any) -> tuple[Any, Any, Any]:
        kernel_size, stride, dilation, G, K, L = self.geometry
        col, x_padded, w = self.saved_tensors
        xp = xp_of(grad_output)
        N, C_out = grad_output.shape[:2]
        grad_y = grad_output.reshape(N, G, C_out // G, L)  # (N, G, O_g, L); copies if strided
        needs_x, needs_w = self.needs_input_grad[:2]
        grad_input = grad_weight = grad_bias = None
        if needs_x:
            grad_input = xp.empty(self.x_shape, dtype=grad_output.dtype)
        for chunk in self.chunks:
            g = grad_y[chunk]  # (n, G, O_g, L)
            if needs_w:
                chunk_col = col if col is not None else self._im2col(x_padded[chunk])
                term = (g @ chunk_col.swapaxes(-1, -2)).sum(axis=0)  # (G, O_g, K)
                grad_weight = term if grad_weight is None else grad_weight + term
            if needs_x:
                grad_input[chunk] = self._grad_input(g, w)  # copies back to batch-first
        if needs_w:
            grad_weight = grad_weight.reshape(self.weight_shape)  # (C_out, C_g, *k)
        if self.needs_input_grad[2]:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        return grad_input, grad_weight, grad_bias
