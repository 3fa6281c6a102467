"""The ``numba_depthwise`` algorithm: depthwise convolution as a compiled direct loop.

Applies to 1-d and 2-d convolutions with one input channel per group (``groups == C_in``,
any channel multiplier, stride, padding, dilation), float32/float64 NumPy arrays, when the
optional compiled kernels are enabled (``juanji[fast]``; ``juanji._ops.compiled``). The math and
the loops are in ``_ops/compiled/depthwise.py``; this file only arranges the arrays.

Why: with one 3x3 filter per channel there is no matrix product worth the name. ``gemm``
writes 9 copies of the input for 9 multiply-adds per output; the compiled loop reads the input
once per tap from cache and vectorises along the image row (or along the batch, when the input
arrives batch-last from a previous ``gemm`` layer: the kernel keeps whichever layout it is
given, so no transpose is paid either way).

1-d calls run as 2-d ones with a height of 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji._ops import compiled
from juanji._ops.conv.algorithm import Algorithm, Geometry


def _as_2d(a: Any, S: int) -> Any:
    """(N, C, L) -> the (N, C, 1, L) view; 2-d arrays unchanged."""
    return a[:, :, None, :] if S == 1 else a


def _params(g: Geometry) -> tuple[int, ...]:
    """(sh, sw, ph, pw, dh, dw) of the 2-d form of the call."""
    if len(g.kernel_size) == 1:
        return 1, g.stride[0], 0, g.padding[0][0], 1, g.dilation[0]
    return (*g.stride, g.padding[0][0], g.padding[1][0], *g.dilation)


class NumbaDepthwise(Algorithm):
    """Direct depthwise convolution, Numba-compiled, parallel over (sample, channel)."""

    name = "numba_depthwise"

    def applies(self, geometry: Geometry) -> bool:
        return (
            geometry.depthwise
            and len(geometry.kernel_size) in (1, 2)
            and geometry.dtype in ("float32", "float64")
            and geometry.numpy
            and compiled.enabled()
        )

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        g, S = geometry, len(geometry.kernel_size)
        x4 = _as_2d(x, S)
        batch_last = compiled.is_batch_last(x4)
        xc = compiled.canonical(x4, batch_last)  # (A, C, H, W, B)
        A, C, H, W, B = xc.shape
        out = (1, *g.out) if S == 1 else g.out
        kernel = (1, *g.kernel_size) if S == 1 else g.kernel_size
        w3 = np.ascontiguousarray(weight.reshape((g.C_out, *kernel)), dtype=x.dtype)
        b = np.zeros(g.C_out, x.dtype) if bias is None else np.ascontiguousarray(bias, x.dtype)
        y = np.empty((A, g.C_out) + out + (B,), dtype=x.dtype)
        _run("forward", xc.reshape(A, C, H, W * B), w3, b, _merged(y), B, _params(g))
        if ctx.requires_grad:
            needs_x, needs_w = ctx.needs_input_grad[:2]
            ctx.dw = (batch_last, w3.shape)
            ctx.save_for_backward(xc if needs_w else None, w3 if needs_x else None)
        y4 = compiled.from_canonical(y, batch_last)
        return y4[:, :, 0] if S == 1 else y4

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        g, S = ctx.geometry, len(ctx.geometry.kernel_size)
        xc, w3 = ctx.saved_tensors
        x_layout, w_shape = ctx.dw
        needs_x, needs_w, needs_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        gy4 = _as_2d(grad_output, S)
        batch_last = compiled.is_batch_last(gy4)
        gyc = compiled.canonical(gy4, batch_last)  # (A, O, OH, OW, B)
        grad_input = grad_weight = grad_bias = None
        if needs_w:
            if x_layout != batch_last:  # x and grad_y must share a layout
                xc = compiled.canonical(compiled.from_canonical(xc, x_layout), batch_last)
            gw = np.empty(w_shape, dtype=grad_output.dtype)
            _run("grad_weight", _merged(gyc), _merged(xc), gw, gyc.shape[-1], _params(g))
            grad_weight = gw.reshape((g.C_out, 1) + g.kernel_size)
        if needs_x:
            A, B = gyc.shape[0], gyc.shape[-1]
            in4 = (1,) + g.in_size if S == 1 else g.in_size
            gx = np.empty((A, g.C_in) + in4 + (B,), dtype=grad_output.dtype)
            _run("grad_input", _merged(gyc), w3, _merged(gx), B, _params(g))
            gx4 = compiled.from_canonical(gx, batch_last)
            grad_input = gx4[:, :, 0] if S == 1 else gx4
        if needs_b:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        return grad_input, grad_weight, grad_bias


def _merged(a: Any) -> Any:
    """(A, C, H, W, B) -> the (A, C, H, W*B) view the kernels index."""
    return a.reshape(a.shape[:3] + (-1,))


def _run(kernel: str, *args: Any) -> None:
    """Call ``kernel`` ("forward", "grad_input", "grad_weight") in its stride-1 or general form.

    The last argument is (sh, sw, ph, pw, dh, dw); the stride-1 ("plane") kernels take no stride.
    """
    *arrays, (sh, sw, ph, pw, dh, dw) = args
    big = max(arrays[:4], key=lambda a: getattr(a, "size", 0))
    kernels = compiled.kernels("depthwise", work=big.size * 9)
    if sh == sw == 1:
        getattr(kernels, f"{kernel}_plane")(*arrays, ph, pw, dh, dw)
    else:
        getattr(kernels, f"{kernel}_rows")(*arrays, sh, sw, ph, pw, dh, dw)
