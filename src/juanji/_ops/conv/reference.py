"""The ``reference`` algorithm: the notes' formula, one kernel tap at a time. For teaching.

    y[n, o, p] = bias[o] + sum over taps t and over the channels c of o's group of
                 weight[o, c, t] * x_padded[n, c, p*stride + t*dilation]

For each of the prod(k) taps t, ``x_padded[..., t*d :: s]`` (``im2col.tap_slices``) is a strided
view holding, at output position p, the pixel that tap t meets there: one multiply-add per tap
over whole views (never a loop over pixels or samples). Backward is the same loop, transposed:

    grad_weight[o, c, t]          = sum over n, p of grad_y[n, o, p] * x_padded[n, c, p*s + t*d]
    grad_x_padded[.., p*s + t*d] += sum over o of weight[o, c, t] * grad_y[n, o, p]

Slower than ``gemm`` (no BLAS-sized products), simple enough to check by eye; selected with
``juanji.backends.conv.use("reference")`` and used by the tests as an oracle for the others.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.im2col import tap_slices
from juanji._ops.pad import pad_constant, pad_constant_adjoint
from juanji.backend import xp_of

# Channels split into groups: x (N, G, C_g, *out), weight (G, O_g, C_g), y (N, G, O_g, *out).
_FORWARD = "ngc...,goc->ngo..."
_GRAD_WEIGHT = "ngol,ngcl->goc"  # l: the output positions, flattened
_GRAD_INPUT = "ngo...,goc->ngc..."


class Reference(Algorithm):
    """Loop over kernel taps on strided views of the padded input."""

    name = "reference"
    auto = False

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        xp = xp_of(x, weight)
        g = geometry
        G, lead = g.groups, (slice(None),) * 3
        x_pad = pad_constant(x, g.padding)  # pads the last S dims
        x_pad = x_pad.reshape((g.N, G, g.C_in // G) + x_pad.shape[2:])  # (N, G, C_g, *in_p)
        w = weight.reshape((G, g.C_out // G) + weight.shape[1:])  # (G, O_g, C_g, *k)
        y = xp.zeros((g.N, G, g.C_out // G) + g.out, dtype=x.dtype)
        for tap in itertools.product(*map(range, g.kernel_size)):
            seen = x_pad[lead + tap_slices(tap, g.out, g.stride, g.dilation)]
            y += xp.einsum(_FORWARD, seen, w[lead + tap])
        y = y.reshape((g.N, g.C_out) + g.out)
        if bias is not None:
            y += bias.reshape((-1,) + (1,) * len(g.out))
        if ctx.requires_grad:
            ctx.save_for_backward(x_pad, w)
        return y

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        xp = xp_of(grad_output)
        g = ctx.geometry
        x_pad, w = ctx.saved_tensors
        needs_x, needs_w, needs_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        G, lead = g.groups, (slice(None),) * 3
        gy = grad_output.reshape((g.N, G, g.C_out // G) + g.out)  # (N, G, O_g, *out)
        L = math.prod(g.out)
        gy_flat = gy.reshape(gy.shape[:3] + (L,))  # (N, G, O_g, l)
        grad_x_pad = xp.zeros_like(x_pad) if needs_x else None
        grad_w = xp.zeros_like(w) if needs_w else None
        for tap in itertools.product(*map(range, g.kernel_size)):
            index = lead + tap_slices(tap, g.out, g.stride, g.dilation)
            if needs_w:
                seen = x_pad[index].reshape((g.N, G, g.C_in // G, L))
                grad_w[lead + tap] = xp.einsum(_GRAD_WEIGHT, gy_flat, seen)  # (G, O_g, C_g)
            if needs_x:
                grad_x_pad[index] += xp.einsum(_GRAD_INPUT, gy, w[lead + tap])
        grad_input = grad_weight = grad_bias = None
        if needs_x:
            padded = grad_x_pad.reshape((g.N, g.C_in) + grad_x_pad.shape[3:])
            shape = (g.N, g.C_in) + g.in_size
            grad_input = pad_constant_adjoint(padded, shape, g.padding)
        if needs_w:
            grad_weight = grad_w.reshape((g.C_out,) + grad_w.shape[2:])
        if needs_b:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        return grad_input, grad_weight, grad_bias
