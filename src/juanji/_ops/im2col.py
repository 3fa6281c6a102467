"""Sliding windows, im2col and col2im on arrays, and the Unfold/Fold Functions built from them.

Notation (used by every convolution and pooling kernel):
    N       batch size                  C       channels
    S       number of spatial dims (1, 2 or 3; the code works for any S)
    in_     spatial input size, a tuple of S ints (already padded here)
    k       kernel size, a tuple of S ints;  K = C * prod(k) rows of the im2col matrix
    s, d    stride and dilation, tuples of S ints
    out     output size per dim: (in_ - d*(k-1) - 1) // s + 1;  L = prod(out) windows
    pads    padding as (before, after) pairs, one per spatial dim, in dimension order

A window view has shape (N, C, *out, *k) and shares memory with the input: element
[n, c, o_1..o_S, i_1..i_S] is x[n, c, o_1*s_1 + i_1*d_1, ...]. No pixel is copied until a
consumer (a GEMM, a max) asks for a contiguous layout.

im2col copies the view once into PyTorch's ``unfold`` layout (N, C*prod(k), L): row
``c*prod(k) + (i_1..i_S flattened)`` holds kernel tap (i_1..i_S) of channel c, column l is
window l in row-major order of ``out``. A weight (C_out, C, *k) reshaped to (C_out, K) then
multiplies it from the left, and the product is already laid out as (N, C_out, *out).

col2im is the adjoint: every column entry is added back onto the input pixel it was read from.
It loops over the prod(k) kernel taps (never over pixels or the batch), each adding one strided
slice (N, C, *out) of the matrix onto the input.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from juanji._ops.pad import Pads, pad_constant, pad_constant_adjoint
from juanji._shapes import conv_output_size
from juanji.autograd.function import Function
from juanji.backend import as_strided, xp_of

Ints = tuple[int, ...]


def window_view(
    x: Any,
    kernel_size: Ints,
    stride: Ints,
    dilation: Ints,
    first: int | None = None,
    taps_first: bool = False,
) -> Any:
    """The read-only window view of an (already padded) input: the one window helper.

    The S = len(kernel_size) spatial axes of x start at axis ``first`` (default: the last S
    axes); axes before them (``lead``) and after them (``trail``) are carried through. The view
    is ``lead + out + k + trail`` (``lead + k + out + trail`` with ``taps_first``, the layout of
    the batch-last im2col in ``_ops/conv/gemm.py``); element ``[.., o, i, ..]`` is
    ``x[.., o*s + i*d, ..]``. ``out`` comes from ``_shapes.conv_output_size``.

    Example:
        >>> import numpy as np
        >>> window_view(np.arange(5.0), (2,), (2,), (1,)).tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    spatial = len(kernel_size)
    first = x.ndim - spatial if first is None else first
    end = first + spatial
    in_size, in_strides = x.shape[first:end], x.strides[first:end]
    out = tuple(
        conv_output_size(n, k, st, 0, 0, dl)
        for n, k, st, dl in zip(in_size, kernel_size, stride, dilation, strict=True)
    )
    assert all(o > 0 for o in out), "callers check that the kernel fits"
    out_strides = tuple(st * bs for st, bs in zip(stride, in_strides, strict=True))
    tap_strides = tuple(dl * bs for dl, bs in zip(dilation, in_strides, strict=True))
    middle = (tuple(kernel_size) + out) if taps_first else (out + tuple(kernel_size))
    middle_strides = (tap_strides + out_strides) if taps_first else (out_strides + tap_strides)
    return as_strided(
        x,
        shape=x.shape[:first] + middle + x.shape[end:],
        strides=x.strides[:first] + middle_strides + x.strides[end:],
        writeable=False,
    )


def sliding_windows(x: Any, kernel_size: Ints, stride: Ints, dilation: Ints) -> Any:
    """Return the read-only window view (N, C, *out, *k) of an (already padded) input.

    Args:
        x: array of shape (N, C, *in_) with S = len(kernel_size) spatial dims.
        kernel_size: S positive ints; the kernel must fit in the input.
        stride: S positive ints.
        dilation: S positive ints.

    Example:
        >>> import numpy as np
        >>> w = sliding_windows(np.arange(5.0).reshape(1, 1, 5), (2,), (2,), (1,))
        >>> w.shape, w[0, 0].tolist()
        ((1, 1, 2, 2), [[0.0, 1.0], [2.0, 3.0]])
    """
    return window_view(x, kernel_size, stride, dilation)


def tap_slices(tap: Ints, out: Ints, stride: Ints, dilation: Ints, start: Ints | None = None):
    """The S strided slices of the input that kernel tap ``tap`` reads for the outputs ``out``.

    Output o of tap i reads input ``start + o*s + i*d``: one slice per spatial dim.

    Example:
        >>> tap_slices((1,), (3,), (2,), (1,))
        (slice(1, 6, 2),)
    """
    start = start or (0,) * len(tap)
    return tuple(
        slice(b + i * d, b + i * d + s * (o - 1) + 1, s)
        for b, i, d, s, o in zip(start, tap, dilation, stride, out, strict=True)
    )


def scatter_windows(
    x: Any,
    taps: Any,
    kernel_size: Ints,
    stride: Ints,
    dilation: Ints,
    first: int = 1,
    start: Ints | None = None,
) -> None:
    """Add a taps-first window array back onto the input it was read from, in place: col2im.

    The adjoint of ``window_view(..., first, taps_first=True)`` for every layout: ``taps`` is
    ``lead + k + out + trail``, ``x`` is ``lead + in_ + trail`` and receives, for each of the
    prod(k) taps (never a loop over pixels), one strided slice. ``start`` offsets the first
    output (a slab of output rows).
    """
    spatial = len(kernel_size)
    out = taps.shape[first + spatial : first + 2 * spatial]
    lead = (slice(None),) * first
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        x[lead + tap_slices(tap, out, stride, dilation, start)] += taps[lead + tap]


def im2col(x: Any, kernel_size: Ints, stride: Ints, dilation: Ints) -> Any:
    """Copy the windows of an (already padded) input into a (N, C*prod(k), L) matrix.

    Example:
        >>> import numpy as np
        >>> im2col(np.arange(4.0).reshape(1, 1, 4), (2,), (1,), (1,))[0].tolist()
        [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]
    """
    xp = xp_of(x)
    spatial = len(kernel_size)
    windows = sliding_windows(x, kernel_size, stride, dilation)  # (N, C, *out, *k)
    N, C = windows.shape[:2]
    out = windows.shape[2 : 2 + spatial]
    order = (0, 1) + tuple(range(2 + spatial, 2 + 2 * spatial)) + tuple(range(2, 2 + spatial))
    col = xp.ascontiguousarray(windows.transpose(order))  # (N, C, *k, *out): the one copy
    return col.reshape(N, C * math.prod(kernel_size), math.prod(out))  # (N, K, L), a view


def col2im(col: Any, in_size: Ints, kernel_size: Ints, stride: Ints, dilation: Ints) -> Any:
    """Sum the columns of a (N, C*prod(k), L) matrix back onto a (N, C, *in_size) input.

    ``in_size`` is the (padded) input size the windows were taken from; pixels no window
    touched stay zero. Works through ``col2im_batch_last`` (two transposing copies).

    Example:
        >>> import numpy as np
        >>> col2im(np.ones((1, 2, 3)), (4,), (2,), (1,), (1,)).tolist()   # inner pixels used twice
        [[[1.0, 2.0, 2.0, 1.0]]]
    """
    xp = xp_of(col)
    col_last = xp.ascontiguousarray(col.transpose(1, 2, 0))  # (C*prod(k), L, N)
    x_last = col2im_batch_last(col_last, in_size, kernel_size, stride, dilation)
    order = (x_last.ndim - 1,) + tuple(range(x_last.ndim - 1))
    return xp.ascontiguousarray(x_last.transpose(order))  # (N, C, *in_size)


def col2im_batch_last(
    col: Any, in_size: Ints, kernel_size: Ints, stride: Ints, dilation: Ints
) -> Any:
    """col2im with the batch as the LAST axis: (C*prod(k), L, N) -> (C, *in_size, N).

    Why batch last: each kernel tap adds one slice (C, *out, N) onto the input, and with N last
    the innermost contiguous run of both slices is ``out[-1] * N`` numbers (with stride 1 in the
    last dim) instead of ``out[-1]``; NumPy's per-run overhead made the batch-first loop several
    times slower on LeNet-sized layers.

    Example:
        >>> import numpy as np
        >>> col2im_batch_last(np.ones((2, 3, 1)), (4,), (2,), (1,), (1,))[..., 0].tolist()
        [[1.0, 2.0, 2.0, 1.0]]
    """
    xp = xp_of(col)
    N = col.shape[-1]
    C = col.shape[0] // math.prod(kernel_size)
    out_size = tuple(
        conv_output_size(n, k, st, 0, 0, dl)
        for n, k, st, dl in zip(in_size, kernel_size, stride, dilation, strict=True)
    )
    taps = col.reshape((C,) + tuple(kernel_size) + out_size + (N,))  # (C, *k, *out, N)
    x = xp.zeros((C,) + tuple(in_size) + (N,), dtype=col.dtype)
    scatter_windows(x, taps, kernel_size, stride, dilation)  # (C, *out, N) per tap
    return x


def reshaped_view(x: Any, shape: tuple[int, ...]) -> Any:
    """``x.reshape(shape)`` that shares x's memory, or an AttributeError where that needs a copy.

    For GEMM ``out=`` targets and other views that are written through: a silent copy would
    drop the writes.
    """
    view = x.view()
    view.shape = shape
    return view


def empty_in_layout(shape: tuple[int, ...], like: Any, zeros: bool = False) -> Any:
    """An uninitialised (or zero) array of ``shape`` whose axes lie in memory as ``like``'s do.

    ``like`` has as many axes as ``shape``; its axes are ordered by decreasing stride (ties keep
    their order), the new array is allocated C-contiguous in that order and transposed back. A
    gradient buffer for a batch-last input is thus batch-last too (see ``_ops/conv/gemm.py``).

    Example:
        >>> import numpy as np
        >>> like = np.zeros((4, 3, 2)).transpose(2, 0, 1)  # (2, 4, 3), axis 0 innermost
        >>> empty_in_layout((5, 4, 3), like).strides  # axis 0 innermost again
        (8, 120, 40)
    """
    xp = xp_of(like)
    order = sorted(range(like.ndim), key=lambda axis: -abs(like.strides[axis]))
    make = xp.zeros if zeros else xp.empty
    array = make(tuple(shape[axis] for axis in order), dtype=like.dtype)
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return array.transpose(inverse)


def _padded_size(size: Ints, pads: Pads) -> Ints:
    return tuple(n + before + after for n, (before, after) in zip(size, pads, strict=True))


class Unfold(Function):
    """im2col with zero padding: (N, C, *in_) -> (N, C*prod(k), L); backward is Fold."""

    def forward(
        self, x: Any, kernel_size: Ints, dilation: Ints, padding: Pads, stride: Ints
    ) -> Any:
        self.in_shape = x.shape
        self.geometry = (kernel_size, stride, dilation, padding)
        return im2col(pad_constant(x, padding), kernel_size, stride, dilation)

    def backward(self, grad_output: Any) -> Any:
        kernel_size, stride, dilation, padding = self.geometry
        padded = _padded_size(self.in_shape[2:], padding)
        grad_padded = col2im(grad_output, padded, kernel_size, stride, dilation)
        return pad_constant_adjoint(grad_padded, self.in_shape, padding)  # (N, C, *in_)


class Fold(Function):
    """col2im with the padding cropped: (N, C*prod(k), L) -> (N, C, *output_size)."""

    def forward(
        self,
        col: Any,
        output_size: Ints,
        kernel_size: Ints,
        dilation: Ints,
        padding: Pads,
        stride: Ints,
    ) -> Any:
        N, rows = col.shape[:2]
        self.out_shape = (N, rows // math.prod(kernel_size)) + tuple(output_size)
        self.geometry = (kernel_size, stride, dilation, padding)
        padded = _padded_size(output_size, padding)
        x_padded = col2im(col, padded, kernel_size, stride, dilation)  # (N, C, *padded)
        return pad_constant_adjoint(x_padded, self.out_shape, padding)

    def backward(self, grad_output: Any) -> Any:
        kernel_size, stride, dilation, padding = self.geometry
        return im2col(pad_constant(grad_output, padding), kernel_size, stride, dilation)
