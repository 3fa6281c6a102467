"""The ``1x1`` algorithm: a 1x1 convolution is a matrix product over channels, no im2col.

Applies to every call with a kernel of all ones and no padding (any stride, groups, 1-3 d).
With ``L`` the output positions and ``x_s`` the input sampled at the stride (a view at stride
1, one small copy otherwise):

    y[n, g, :, l]      = W[g] @ x_s[n, g, :, l]            W[g]: (O_g, C_g)
    grad_W[g]          = sum_n grad_y[n, g] @ x_s[n, g].T
    grad_x_s[n, g]     = W[g].T @ grad_y[n, g]             (scattered back at the stride)

Two layouts, chosen from x (and kept through backward):

* **batch-last** (x is ``(C, *in, N)`` in memory, as after a ``gemm`` conv): the columns of all
  samples are one ``(C_g, L*N)`` matrix per group, so forward, grad_W and grad_x are ONE GEMM
  each (BLAS threads it when it is big), and y leaves batch-last;
* **NCHW** (a data batch): one GEMM per sample, ``W[g] @ x[n, g]``, run by NumPy's stacked
  matmul; samples are shared out over juanji's task pool (``run_tasks``), each task with
  single-threaded BLAS; grad_W sums the per-sample products.

``gemm`` does the same products for a 1x1 call but routes them through its im2col machinery
(slabs, a transposed copy of an NCHW input); see benchmarks/README.md for the two side by side.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.conv.gemm import _split, batch_first, batch_last
from juanji.backend import op_threads, run_tasks, xp_of


def _strided(g: Geometry) -> tuple[slice, ...]:
    return tuple(slice(None, None, s) for s in g.stride)


class Pointwise(Algorithm):
    """1x1 convolution as GEMMs over channels, in the input's layout."""

    name = "1x1"

    def applies(self, geometry: Geometry) -> bool:
        return set(geometry.kernel_size) == {1} and all(p == (0, 0) for p in geometry.padding)

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        g, xp = geometry, xp_of(x, weight)
        G, N = g.groups, g.N
        w = weight.reshape(G, g.C_out // G, g.C_in // G)  # (G, O_g, C_g)
        ctx.pw_batch_last = N > 1 and x.strides[0] == min(x.strides) and x.strides[0] > 0
        macs = g.C_out * (g.C_in // G) * math.prod(g.out) * N
        ctx.pw_macs = macs
        if ctx.pw_batch_last:
            xs = xp.ascontiguousarray(
                batch_last(x, ((0, 0),) * len(g.out))[(slice(None),) + _strided(g)]
            )
            cols = xs.reshape(G, g.C_in // G, -1)  # (G, C_g, L*N)
            with op_threads(macs):
                yb = xp.matmul(w, cols).reshape((g.C_out,) + g.out + (N,))
            y = batch_first(yb)
        else:
            xs = xp.ascontiguousarray(x[(Ellipsis,) + _strided(g)])
            cols = xs.reshape(N, G, g.C_in // G, -1)  # (N, G, C_g, L)
            y = xp.empty((N, G, g.C_out // G, cols.shape[-1]), dtype=x.dtype)
            _per_sample(partial(_product, w), cols, y, macs)
            y = y.reshape((N, g.C_out) + g.out)
        if bias is not None:
            y += bias.reshape((-1,) + (1,) * len(g.out))  # y is fresh: in place is safe
        if ctx.requires_grad:
            needs_x, needs_w = ctx.needs_input_grad[:2]
            ctx.save_for_backward(cols if needs_w else None, w if needs_x else None)
        return y

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        g, xp = ctx.geometry, xp_of(grad_output)
        cols, w = ctx.saved_tensors
        needs_x, needs_w, needs_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        G, S = g.groups, len(g.out)
        grad_input = grad_weight = grad_bias = None
        if needs_b:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        if ctx.pw_batch_last:
            gy = batch_last(grad_output, ((0, 0),) * S).reshape(G, g.C_out // G, -1)
            with op_threads(ctx.pw_macs):
                if needs_w:
                    grad_weight = xp.matmul(gy, cols.swapaxes(-1, -2))
                if needs_x:
                    gxs = batch_first(
                        xp.matmul(w.swapaxes(-1, -2), gy).reshape((g.C_in,) + g.out + (g.N,))
                    )
        else:
            gy = xp.ascontiguousarray(grad_output).reshape(g.N, G, g.C_out // G, -1)
            if needs_w:
                parts = xp.empty((g.N, G, g.C_out // G, g.C_in // G), dtype=gy.dtype)
                _per_sample(_grad_weight_product, _Pair(gy, cols), parts, ctx.pw_macs)
                grad_weight = parts.sum(axis=0)
            if needs_x:
                gxs = xp.empty((g.N, G, g.C_in // G, gy.shape[-1]), dtype=gy.dtype)
                _per_sample(partial(_product, w.swapaxes(-1, -2)), gy, gxs, ctx.pw_macs)
                gxs = gxs.reshape((g.N, g.C_in) + g.out)
        if needs_w:
            grad_weight = grad_weight.reshape((g.C_out, g.C_in // G) + (1,) * S)
        if needs_x:
            grad_input = _unstride(gxs, g, xp)
        return grad_input, grad_weight, grad_bias


def _unstride(gxs: Any, g: Geometry, xp: Any) -> Any:
    """The gradient of x from that of x sampled at the stride: zeros between samples."""
    if set(g.stride) == {1} and gxs.shape[2:] == g.in_size:
        return gxs
    grad = xp.zeros((g.N, g.C_in) + g.in_size, dtype=gxs.dtype)
    grad[(Ellipsis,) + tuple(slice(0, o * s, s) for o, s in zip(g.out, g.stride, strict=True))] = (
        gxs
    )
    return grad


class _Pair:
    """Two per-sample arrays sliced together (grad_W's operands)."""

    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b

    def __getitem__(self, rows: slice) -> tuple[Any, Any]:
        return self.a[rows], self.b[rows]


def _product(w: Any, cols: Any, out: Any) -> None:
    xp_of(cols).matmul(w, cols, out=out)


def _grad_weight_product(pair: tuple[Any, Any], out: Any) -> None:
    gy, cols = pair
    xp_of(gy).matmul(gy, cols.swapaxes(-1, -2), out=out)


def _per_sample(fn: Any, inputs: Any, out: Any, macs: int) -> None:
    """``fn(inputs[rows], out[rows])`` over the samples, split into tasks when it pays."""
    N = out.shape[0]
    with op_threads(macs, splits=True) as tasks:
        parts = _split(tasks, list(range(N))) if N else []
        jobs = [partial(fn, inputs[p[0] : p[-1] + 1], out[p[0] : p[-1] + 1]) for p in parts if p]
        run_tasks(jobs)
