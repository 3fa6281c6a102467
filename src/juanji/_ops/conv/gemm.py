"""The ``gemm`` algorithm: convolution lowered to matrix products (im2col + GEMM), tuned.

What ``auto`` picks for every call that no faster algorithm of ``selection.DEFAULTS`` claims.
Two special cases are named branches below: a **pointwise** call (1x1 kernel, stride 1, no
padding) uses its batch-last input as its own im2col matrix (no copy, ``_Columns.slab``), and a
**depthwise** call (one filter per group) computes grad_col as an outer product
(``_GemmPlan._grad_input``), which NumPy's matmul does 3x slower.

Notation (as in ``_ops/im2col.py``, plus):
    C_in, C_out   input / output channels;  G  groups;  C_g = C_in / G,  O_g = C_out / G
    K             rows of one group's im2col matrix: C_g * prod(k)
    P             its columns: one per (output position, sample), prod(out) * N
    x             (N, C_in, *in_)          weight  (C_out, C_g, *k)          bias  (C_out,)
    xb            (C_in, *in_ + pads, N)   the padded input with the batch LAST
    col           (G, K, P)                (C_in, *k, *out, N) in memory: im2col of xb
    yb            (C_out, *out, N)         the output, batch last; y is its (N, C_out, *out) view

Why the batch goes last (the layout every array in this file keeps):

* im2col copies one strided slice per kernel tap; with N innermost, the contiguous runs of those
  slices are ``out[-1] * N`` numbers long instead of ``out[-1]`` (10 on LeNet's second conv),
  and NumPy's copy cost is per run: 4x faster there. col2im gains the same way.
* The GEMM ``W (O_g, K) @ col (K, P)`` writes yb directly: no transpose of the output, and the
  weight gradient is ONE product over all samples and positions, ``grad_yb @ col.T``.
* The result goes out as the transposed view y of yb, never copied: ufuncs (ReLU) keep the
  layout of their input, pooling allocates its buffers in its input's layout, the next conv
  finds its input already batch last (``xb`` is then a view, not a copy), and flattening
  (N, C, H, W) gives a Fortran-ordered (N, C*H*W) view that BLAS reads as a transposed matrix.
  Gradients flow back in the same layout.

Forward:      yb[g] = W[g] @ col[g]                  (O_g, K) @ (K, P), then + bias
Backward:     grad_W[g] = grad_yb[g] @ col[g].T      (col.T is a view: BLAS's trans flag)
              grad_col[g] = W[g].T @ grad_yb[g]      then col2im: one strided add per kernel tap
              grad_bias = grad_yb summed over P

Slabs: col is about prod(k) / prod(s) times the input. It is built a slab at a time: a range of
rows of ``out`` (its first spatial axis) for all samples, and only when one row of all samples
passes the memory budget (``backend.set_memory_budget``) a range of samples too. A slab is sized
to stay in cache (``CACHE_BYTES``) so that the GEMM reads what im2col just wrote, and one buffer
serves every slab. Backward rebuilds the slabs from xb (kept: it is input-sized) instead of
keeping col. Slabs change which columns one GEMM sees, not what is summed into an entry: the
results are the same up to float rounding (BLAS may pick another kernel for a narrower matrix,
and grad_W adds its column sums slab by slab).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.im2col import Ints, reshaped_view, scatter_windows, window_view
from juanji._ops.pad import Pads, pad_constant, pad_constant_adjoint
from juanji.backend import (
    get_memory_budget,
    op_threads,
    run_tasks,
    transposed,
    xp_of,
)

# A slab of col about this size is written by im2col and read back by the GEMM while it is still
# in the L2/L3 cache (measured on LeNet's convs: see benchmarks/README.md).
CACHE_BYTES = 512 * 2**10
COL2IM_BYTES = 4 * 2**20


def batch_last(x: Any, pads: Pads) -> Any:
    """(N, C, *in_) -> padded (C, *in_ + pads, N), C-contiguous; a view when it already is.

    An NCHW-contiguous x (a network's input, a gradient from a Linear layer) is one (N, rest)
    matrix to transpose: ``backend.transposed`` does that 7x faster than NumPy's copy.
    """
    xp = xp_of(x)
    xt = x.transpose(tuple(range(1, x.ndim)) + (0,))  # (C, *in_, N), a view
    if x.flags.c_contiguous and not xt.flags.c_contiguous:
        xt = transposed(x.reshape(x.shape[0], -1)).reshape(xt.shape)
    return xp.ascontiguousarray(pad_constant(xt, tuple(pads) + ((0, 0),)))


def batch_first(xb: Any) -> Any:
    """(C, *sizes, N) -> the (N, C, *sizes) view."""
    return xb.transpose((xb.ndim - 1,) + tuple(range(xb.ndim - 1)))


def slabs(
    out: Ints, N: int, bytes_per_row_sample: int, target: int | None = None
) -> list[tuple[slice, slice]]:
    """(rows of out[0], samples) ranges whose col fits the cache target, or at worst the budget.

    Example:
        >>> slabs((4, 4), 2, 100)  # everything fits: one slab
        [(slice(0, 4, None), slice(0, 2, None))]
    """
    row_bytes = N * bytes_per_row_sample
    budget = get_memory_budget()
    if row_bytes <= budget or N <= 1:
        step = max(1, min(target or CACHE_BYTES, budget) // max(1, row_bytes))
        return [(slice(r, min(r + step, out[0])), slice(0, N)) for r in range(0, out[0], step)]
    per_slab = max(1, budget // max(1, bytes_per_row_sample))
    return [
        (slice(r, r + 1), slice(n, min(n + per_slab, N)))
        for r in range(out[0])
        for n in range(0, N, per_slab)
    ]


class Gemm(Algorithm):
    """im2col + one batched GEMM per slab, threaded; backward = GEMMs + col2im."""

    name = "gemm"

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        ctx.gemm = _GemmPlan()
        return ctx.gemm.forward(ctx, x, weight, bias, geometry)

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        return ctx.gemm.backward(ctx, grad_output)


class _GemmPlan:
    """The sizes of one call (slabs, threads) and its forward and backward passes."""

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        xp = xp_of(x, weight)
        N, C_in = x.shape[:2]
        C_out, kernel_size = weight.shape[0], weight.shape[2:]
        stride, padding, dilation = geometry.stride, geometry.padding, geometry.dilation
        xb = batch_last(x, padding)  # (C_in, *in_p, N)
        out = geometry.out
        G = geometry.groups
        K = (C_in // G) * math.prod(kernel_size)
        self.geometry = (tuple(kernel_size), stride, dilation, out, G, K)
        self.row_bytes = C_in * math.prod(kernel_size) * math.prod(out[1:]) * x.itemsize
        self.slabs = slabs(out, N, self.row_bytes)
        w = weight.reshape(G, C_out // G, K)  # (G, O_g, K)
        yb = xp.empty((C_out,) + out + (N,), dtype=x.dtype)
        self.macs = C_out * K * math.prod(out) * N
        with op_threads(self.macs, splits=True) as tasks:  # tasks write disjoint rows of yb
            parts = _split(tasks, self.slabs)
            run_tasks([partial(self._forward_slabs, xb, w, yb, part) for part in parts])
        if bias is not None:
            yb += bias.reshape((C_out,) + (1,) * (len(out) + 1))  # yb is fresh: in place is safe
        if ctx.requires_grad:
            self.x_shape, self.padding = x.shape, padding
            needs_x, needs_w = ctx.needs_input_grad[:2]
            # Keep x itself when xb is a copy (padding, or x not batch-last): backward rebuilds
            # xb, one copy pass, instead of holding a second padded copy of every conv's input
            # from forward to backward (ResNet-18's step at 224x224 peaked 22 % higher).
            self.rebuild = needs_w and not xp.shares_memory(xb, x)
            keep = (x if self.rebuild else xb) if needs_w else None
            ctx.save_for_backward(keep, w if needs_x else None)
        return batch_first(yb)  # (N, C_out, *out), a view

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        kernel_size, _, _, out, _, K = self.geometry
        xb, w = ctx.saved_tensors
        if self.rebuild:  # x was saved, not its padded batch-last copy
            xb = batch_last(xb, self.padding)
        C_out = grad_output.shape[1]
        needs_x, needs_w, needs_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        gyb = batch_last(grad_output, ((0, 0),) * len(out))  # (C_out, *out, N)
        grad_bias = gyb.reshape(C_out, -1).sum(axis=1) if needs_b else None  # (C_out,)
        grad_xb = self._padded_zeros(grad_output) if needs_x else None
        parts = self._grad_tasks(xb, gyb, w, grad_xb, needs_w, needs_x)  # grad_W.T per task
        grad_weight = grad_input = None
        if needs_w:
            shape = (C_out, K // math.prod(kernel_size)) + kernel_size
            grad_weight = sum(parts[1:], parts[0]).swapaxes(-1, -2).reshape(shape)  # small copy
        if needs_x:
            N, C_in = grad_output.shape[0], self.x_shape[1]
            inner = (C_in,) + tuple(self.x_shape[2:]) + (N,)
            cropped = pad_constant_adjoint(grad_xb, inner, tuple(self.padding) + ((0, 0),))
            grad_input = batch_first(cropped)  # (N, C_in, *in_), a view
        return grad_input, grad_weight, grad_bias

    def _padded_zeros(self, grad_output: Any) -> Any:
        """grad_xb, zeros in the padded batch-last layout of the input: (C_in, *in_p, N)."""
        padded = tuple(n + b + a for n, (b, a) in zip(self.x_shape[2:], self.padding, strict=True))
        shape = (self.x_shape[1],) + padded + (grad_output.shape[0],)
        return xp_of(grad_output).zeros(shape, dtype=grad_output.dtype)

    def _grad_tasks(
        self, xb: Any, gyb: Any, w: Any, grad_xb: Any, needs_w: bool, needs_x: bool
    ) -> list[Any]:
        """Fill grad_xb (col2im) and return each task's grad_W.T, (G, K, O_g).

        Two passes with their own slab sizes: grad_W's im2col + GEMM gains from small,
        cache-resident slabs; grad_x's col2im runs one NumPy add per tap and slab, so it
        prefers fewer, larger slabs. With threads, task t takes part t of grad_W's slabs and
        of the input channels of grad_x (disjoint rows of grad_xb; neighbouring slabs of one
        channel overlap, so channels, not slabs, are shared out).
        """
        _, _, _, out, G, _ = self.geometry
        C_out, N, C_in = gyb.shape[0], gyb.shape[-1], self.x_shape[1]
        g_rows = gyb.reshape(G, C_out // G, out[0], -1)  # (G, O_g, out[0], rest * N), a view
        with op_threads(self.macs, splits=True) as tasks:
            weight_parts = _split(tasks, slabs(out, N, self.row_bytes, CACHE_BYTES))
            channel_parts = (  # grouped: grad_x stays one part
                _split(tasks, [slice(c, c + 1) for c in range(C_in)])
                if G == 1
                else [[slice(0, C_in)]]
            )
            jobs = [
                partial(
                    self._grad_part,
                    xb,
                    gyb,
                    g_rows,
                    w,
                    grad_xb,
                    weight_parts[t] if needs_w and t < len(weight_parts) else [],
                    channel_parts[t] if needs_x and t < len(channel_parts) else [],
                )
                for t in range(max(len(weight_parts), len(channel_parts)))
            ]
            results = run_tasks(jobs)
        return [r for r in results if r is not None]

    def _forward_slabs(self, xb: Any, w: Any, yb: Any, part: list[tuple[slice, slice]]) -> None:
        """yb[g] = W[g] @ col[g] for the slabs of ``part`` (one task's share of the rows)."""
        xp = xp_of(xb)
        N, out = yb.shape[-1], yb.shape[1:-1]
        columns = _Columns(xb, self.geometry)
        y_rows = yb.reshape(w.shape[:2] + (out[0], -1))  # (G, O_g, out[0], rest * N), a view
        for rows, samples in part:
            col = columns.slab(rows, samples)  # (G, K, cols)
            if samples.stop - samples.start == N:  # the GEMM writes straight into yb
                target = reshaped_view(y_rows[:, :, rows], w.shape[:2] + (-1,))
                xp.matmul(w, col, out=target)
            else:  # a slab of some samples: its columns are strided in yb
                index = (slice(None), rows) + (slice(None),) * (len(out) - 1) + (samples,)
                yb[index] = (w @ col).reshape(yb[index].shape)

    def _grad_weight(self, xb: Any, gyb: Any, g_rows: Any, part: list[tuple[slice, slice]]) -> Any:
        """grad_W.T = sum over the slabs of ``part`` of col @ g.T, (G, K, O_g).

        col @ g.T is the same sum of products as g @ col.T, and 1.7x faster in OpenBLAS for
        LeNet's shapes: the long sum over columns becomes the inner dimension of the GEMM.
        """
        if not part:  # a task with grad_x work only
            return None
        G, K = self.geometry[4:]
        grad_weight = xp_of(gyb).zeros((G, K, gyb.shape[0] // G), dtype=gyb.dtype)
        columns = _Columns(xb, self.geometry)
        for rows, samples in part:
            g = _grad_slab(gyb, g_rows, rows, samples)
            grad_weight += columns.slab(rows, samples) @ g.swapaxes(-1, -2)
        return grad_weight

    def _grad_part(
        self,
        xb: Any,
        gyb: Any,
        g_rows: Any,
        w: Any,
        grad_xb: Any,
        weight_slabs: list[tuple[slice, slice]],
        channels: list[slice],
    ) -> Any:
        """One task of backward: grad_W.T over ``weight_slabs``, grad_x of ``channels``."""
        if channels:
            start, stop = channels[0].start, channels[-1].stop
            self._grad_input(grad_xb[start:stop], gyb, g_rows, w, start, stop)
        return self._grad_weight(xb, gyb, g_rows, weight_slabs)

    def _grad_input(
        self, grad_xb: Any, gyb: Any, g_rows: Any, w: Any, start: int, stop: int
    ) -> None:
        """grad_xb (the input channels start..stop) += col2im(W.T @ grad_yb), slab by slab."""
        out, G = self.geometry[3], self.geometry[4]
        taps = math.prod(self.geometry[0])
        if G == 1:  # the rows of W.T that belong to these channels
            w = w[:, :, start * taps : stop * taps]
        for rows, samples in slabs(out, gyb.shape[-1], self.row_bytes, COL2IM_BYTES):
            g = _grad_slab(gyb, g_rows, rows, samples)
            if w.shape[1] == 1:  # depthwise (one filter per group): an outer product,
                grad_col = w.swapaxes(-1, -2) * g  # which NumPy's matmul does 3x slower
            else:
                grad_col = w.swapaxes(-1, -2) @ g  # (G, K, cols)
            self._col2im(grad_xb, grad_col, rows, samples)

    def _col2im(self, grad_xb: Any, grad_col: Any, rows: slice, samples: slice) -> None:
        """Add each kernel tap's slice of a slab's grad_col onto the input it was read from."""
        kernel_size, stride, dilation, out, G, K = self.geometry
        count = rows.stop - rows.start
        # (C_in, *k, rows, *out[1:], n)
        taps = grad_col.reshape((grad_xb.shape[0],) + kernel_size + (count,) + out[1:] + (-1,))
        starts = (rows.start * stride[0],) + (0,) * (len(out) - 1)
        target = grad_xb[(Ellipsis, samples)]  # a view: the adds land in grad_xb
        scatter_windows(target, taps, kernel_size, stride, dilation, first=1, start=starts)


def _split(parts: int, items: list[Any]) -> list[list[Any]]:
    """``items`` cut into at most ``parts`` contiguous, non-empty, near-equal runs.

    Example:
        >>> _split(2, [1, 2, 3])
        [[1, 2], [3]]
    """
    parts = max(1, min(parts, len(items)))
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _grad_slab(gyb: Any, g_rows: Any, rows: slice, samples: slice) -> Any:
    """The (G, O_g, cols) columns of grad_yb a slab's products need (a view for all samples)."""
    if samples.stop - samples.start == gyb.shape[-1]:
        return reshaped_view(g_rows[:, :, rows], g_rows.shape[:2] + (-1,))
    index = (slice(None), rows) + (slice(None),) * (gyb.ndim - 3) + (samples,)
    return xp_of(gyb).ascontiguousarray(gyb[index]).reshape(g_rows.shape[:2] + (-1,))


class _Columns:
    """im2col of one padded batch-last input, a slab at a time, into one reused buffer."""

    def __init__(self, xb: Any, geometry: tuple) -> None:
        kernel_size, stride, dilation, out, self.G, self.K = geometry
        # (C_in, *k, *out, N): tap i of window o is x[o*s + i*d]
        self.windows = window_view(xb, kernel_size, stride, dilation, first=1, taps_first=True)
        self.lead = (slice(None),) * (1 + len(kernel_size))
        self.rest = (slice(None),) * (len(out) - 1)
        self.buffer: Any = None

    def slab(self, rows: slice, samples: slice) -> Any:
        """(G, K, cols): the columns of output rows ``rows`` and samples ``samples``."""
        view = self.windows[self.lead + (rows,) + self.rest + (samples,)]
        if view.flags.c_contiguous:  # pointwise (1x1, stride 1): the input is its own im2col
            return view.reshape(self.G, self.K, -1)
        if self.buffer is None or self.buffer.size < view.size:
            self.buffer = xp_of(view).empty(view.size, dtype=view.dtype)
        col = self.buffer[: view.size].reshape(view.shape)
        xp_of(view).copyto(col, view)  # the one copy: (C_in, *k, rows, *out[1:], n)
        return col.reshape(self.G, self.K, -1)
