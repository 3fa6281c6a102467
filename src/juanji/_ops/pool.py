"""Pooling kernels over S spatial dimensions: max, average, adaptive average, adaptive max.

Notation: as in ``juanji._ops.im2col`` (N, C, S, in_, k, s, d, out), plus
    lead    the leading axes, (N, C) or (C,); pooling never mixes them
    p       padding before each spatial dim (PyTorch pads both sides by p)
    p_a     padding after: what the last window needs beyond the input and p, which is more
            than p when a ceil_mode window hangs past the end, else at most p (never negative:
            pixels no window reaches stay, unread)
    K       prod(k), the number of taps of a window; q in [0, K) a tap, row-major over k
    arg     for each output, the tap q that holds its maximum (uint8 while K <= 256)

How the window kernels compute (MaxPoolNd, AvgPoolNd):
    1. pad with ``pad_constant`` (pairs (p, p_a)) and the value that cannot win: -inf for max
       (the lowest integer for integer input), 0 for a sum; no copy when nothing is added;
    2. take the window view (lead, *out, *k) from ``sliding_windows`` and loop over the K taps:
       tap q is a strided (lead, *out) slice, and out = max (or sum) of the K slices, element by
       element. K passes over output-sized arrays: NumPy reduces tiny trailing axes of a strided
       view 20-30x slower (measured on LeNet's 2x2 pool);
    3. backward is the adjoint: each tap's share of the output gradient goes into the matching
       strided slice of a gradient buffer the size of the padded input, then the padding is
       cropped off. When windows overlap (s < d*(k-1) + 1 in some dim) the shares add up; when
       they do not, they are assigned; and when they tile the input exactly (k == s, d == 1,
       no padding, sizes divisible: LeNet's 2x2 pool) every pixel is written once, so the buffer
       is not even zeroed. Average pooling gives every tap the same share, so its backward does
       the same one spatial axis at a time (``_spread_along``).

Tie rule of max (PyTorch CPU's): a later tap replaces the running maximum only if it is strictly
greater, so the first maximum in row-major window order wins, or if it is NaN, so NaN propagates
(and the last NaN of a window wins). The gradient goes only to the winning tap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from juanji._ops import pool_planes
from juanji._ops.activation import all_finite
from juanji._ops.im2col import empty_in_layout, sliding_windows
from juanji._ops.pad import Pads, pad_constant, pad_constant_adjoint
from juanji._shapes import pool_output_size, prod
from juanji.autograd.function import Function
from juanji.backend import scatter_add, xp_of


@dataclass(frozen=True)
class _Geometry:
    """Window placement along the last S axes; everything forward and backward need to agree."""

    in_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    out: tuple[int, ...]
    pads: Pads  # (p, p_a) per spatial dim, what the input is padded with

    @classmethod
    def of(
        cls,
        in_size: tuple[int, ...],
        kernel_size: tuple[int, ...],
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
        ceil_mode: bool,
    ) -> _Geometry:
        out = tuple(
            pool_output_size(n, k, s, p, p, d, ceil_mode)
            for n, k, s, p, d in zip(in_size, kernel_size, stride, padding, dilation, strict=True)
        )
        reach = [
            (o - 1) * s + d * (k - 1) + 1
            for o, k, s, d in zip(out, kernel_size, stride, dilation, strict=True)
        ]
        # Pixels past the reach are left in place rather than cropped (a crop would copy): the
        # window view ignores them, and their gradient is the zero the buffer starts with.
        pads = tuple(
            (p, max(r - n - p, 0)) for r, n, p in zip(reach, in_size, padding, strict=True)
        )
        return cls(in_size, kernel_size, stride, padding, dilation, out, pads)

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(n + b + a for n, (b, a) in zip(self.in_size, self.pads, strict=True))

    @property
    def overlaps(self) -> bool:
        """Whether some input pixel lies in two windows."""
        return any(
            s < d * (k - 1) + 1
            for k, s, d in zip(self.kernel_size, self.stride, self.dilation, strict=True)
        )

    @property
    def tiles(self) -> bool:
        """Whether the windows cover every input pixel exactly once (no padding, no remainder)."""
        return all(self.tiles_along(j) for j in range(len(self.out)))

    def tiles_along(self, j: int) -> bool:
        """Whether the windows cover every input pixel exactly once along spatial axis j."""
        k, s, d, p = self.kernel_size[j], self.stride[j], self.dilation[j], self.padding[j]
        return k == s and d == 1 and p == 0 and self.out[j] * k == self.in_size[j]

    def tap_slices(self) -> list[tuple[slice, ...]]:
        """For each tap q, the slices of the padded input that tap q reads over all windows."""
        return [
            tuple(
                slice(i * d, i * d + (o - 1) * s + 1, s)
                for i, o, s, d in zip(tap, self.out, self.stride, self.dilation, strict=True)
            )
            for tap in itertools.product(*(range(k) for k in self.kernel_size))
        ]


def _spread(shares: Any, g: _Geometry, lead: tuple[int, ...], xp: Any) -> Any:
    """Put each tap's (lead, *out) gradient share back over the input; see step 3 above."""
    grad = None
    for slices, share in zip(g.tap_slices(), shares, strict=True):
        if grad is None:  # laid out as the input was (batch last after a conv, see conv.py)
            grad = empty_in_layout(lead + g.padded_size, share, zeros=not g.tiles)
        if g.overlaps:
            grad[(..., *slices)] += share
        else:
            grad[(..., *slices)] = share
    return pad_constant_adjoint(grad, lead + g.in_size, g.pads)  # a view: pads are >= 0


def _max_and_tap(taps: Any, count: int, xp: Any) -> tuple[Any, Any]:
    """Running maximum over ``count`` arrays and the tap that holds it (tie rule above)."""
    taps = iter(taps)
    out = xp.array(next(taps), copy=True)  # order 'K': the layout of the input
    arg = xp.zeros_like(out, dtype=xp.min_scalar_type(count - 1))
    floating = out.dtype.kind == "f"
    for q, value in enumerate(taps, start=1):
        if min(abs(st) for st in value.strides) != value.itemsize:
            value = xp.array(value, order="K")  # no unit stride: read once, then dense data
        wins = value > out
        if floating:
            wins |= xp.isnan(value)
        xp.maximum(out, value, out=out)
        # q grows, so "arg = q where wins" is a maximum, cheaper than where()/copyto(where=).
        xp.maximum(arg, xp.multiply(wins, q, dtype=arg.dtype), out=arg)
    return out, arg


def _lowest(dtype: Any, xp: Any) -> Any:
    """The value that never wins a max: -inf, or the lowest integer."""
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _broadcast_axis(values: Any, j: int, S: int) -> Any:
    """Shape a length-out_j vector to broadcast along spatial axis j of a (..., *out) array."""
    return values.reshape(values.shape + (1,) * (S - 1 - j))


def _tap_coordinates(arg: Any, kernel_size: tuple[int, ...]) -> list[Any]:
    """Per spatial dim, the position inside the window (0..k_j-1) of flat tap ``arg``."""
    remaining = arg.astype("int64")
    local = []
    for k in reversed(kernel_size):
        local.append(remaining % k)
        remaining = remaining // k
    return local[::-1]


def _flat_index(coordinates: list[Any], in_size: tuple[int, ...]) -> Any:
    """PyTorch's index format: the row-major offset into one channel's spatial volume."""
    index = coordinates[0]
    for coordinate, n in zip(coordinates[1:], in_size[1:], strict=True):
        index = index * n + coordinate
    return index


class MaxPoolNd(Function):
    """Max over each window; with ``return_indices`` also the (lead, *out) int64 indices."""

    def forward(
        self,
        x: Any,
        kernel_size: tuple[int, ...],
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> Any:
        xp = xp_of(x)
        S = len(kernel_size)
        g = _Geometry.of(x.shape[-S:], kernel_size, stride, padding, dilation, ceil_mode)
        self.planes = None
        if pool_planes.applies(x, S, g.overlaps):  # juanji[fast]: compiled, no padding copy
            return self._compiled_forward(x, g, S, return_indices)
        low = _lowest(x.dtype, xp)
        padded = pad_constant(x, g.pads, low)
        windows = sliding_windows(padded, kernel_size, stride, dilation)  # (lead, *out, *k)
        taps = (windows[(..., *tap)] for tap in itertools.product(*map(range, kernel_size)))
        if not (self.requires_grad or return_indices):
            out = xp.array(next(taps), copy=True)
            for value in taps:
                xp.maximum(out, value, out=out)
            return out
        out, arg = _max_and_tap(taps, prod(kernel_size), xp)
        if any(padding):
            self._unstick(out, arg, g, low, xp)
        if self.requires_grad:
            self.geometry = g
            self.save_for_backward(arg)
        if not return_indices:
            return out
        local = _tap_coordinates(arg, kernel_size)
        coordinates = [
            _broadcast_axis(xp.arange(o) * s - p, j, S) + t * d
            for j, (o, s, p, d, t) in enumerate(
                zip(g.out, stride, padding, dilation, local, strict=True)
            )
        ]
        return out, _flat_index(coordinates, g.in_size)

    def _compiled_forward(self, x: Any, g: _Geometry, S: int, return_indices: bool) -> Any:
        y, idx, self.planes = pool_planes.max_forward(x, g, S)
        if self.requires_grad:
            self.geometry = g
            self.save_for_backward(idx)
        if not return_indices:
            return self.planes.restore(y)
        return self.planes.restore(y), self.planes.restore(idx)

    @staticmethod
    def _unstick(out: Any, arg: Any, g: _Geometry, low: Any, xp: Any) -> None:
        """Point windows whose maximum is -inf at their first pixel inside the input (PyTorch).

        Tap 0 won there by default and may lie in the padding; PyTorch starts each window's
        search at its first in-input pixel and keeps it unless something is strictly greater.
        """
        stuck = out == low
        if not stuck.any():
            return
        S = len(g.out)
        first = 0
        for j, (o, k, s, p, d) in enumerate(
            zip(g.out, g.kernel_size, g.stride, g.padding, g.dilation, strict=True)
        ):
            start = xp.arange(o) * s - p
            tap = xp.maximum(-(start // d), 0)  # ceil(-start / d) taps skip the padding
            first = first * k + _broadcast_axis(tap, j, S)
        arg[stuck] = xp.broadcast_to(first, out.shape)[stuck]

    def backward(self, grad_output: Any) -> Any:
        if isinstance(grad_output, tuple):  # (values, indices): indices get no gradient
            grad_output = grad_output[0]
        (arg,) = self.saved_tensors
        if self.planes is not None:
            return pool_planes.max_backward(grad_output, arg, self.planes)
        xp = xp_of(grad_output)
        finite = all_finite(grad_output)
        S = len(self.geometry.out)
        g = self.geometry
        if finite and not g.overlaps:  # each tap's share straight into its slice: no temporary
            lead = grad_output.shape[:-S]
            grad = empty_in_layout(lead + g.padded_size, grad_output, zeros=not g.tiles)
            for q, slices in enumerate(g.tap_slices()):
                xp.multiply(grad_output, arg == q, out=grad[(..., *slices)])
            return pad_constant_adjoint(grad, lead + g.in_size, g.pads)

        def share(q: int) -> Any:
            won = arg == q
            # g * 0 would turn an inf gradient into NaN at the taps that lost; where() is exact
            # but 15x slower, so it runs only when needed.
            return grad_output * won if finite else xp.where(won, grad_output, 0)

        shares = (share(q) for q in range(prod(self.geometry.kernel_size)))
        return _spread(shares, self.geometry, grad_output.shape[:-S], xp)


class AvgPoolNd(Function):
    """Mean over each window with PyTorch's divisor rules (see ``_divisor``)."""

    def forward(
        self,
        x: Any,
        kernel_size: tuple[int, ...],
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> Any:
        xp = xp_of(x)
        S = len(kernel_size)
        ones = (1,) * S
        g = _Geometry.of(x.shape[-S:], kernel_size, stride, padding, ones, ceil_mode)
        divisor = _divisor(g, count_include_pad, divisor_override, x.dtype, xp)
        self.planes = None
        if pool_planes.applies(x, S, g.overlaps):  # juanji[fast]: compiled, no padding copy
            out, self.divisor, self.planes = pool_planes.avg_forward(x, g, S, divisor)
            self.geometry = g
            return out
        padded = pad_constant(x, g.pads)
        windows = sliding_windows(padded, kernel_size, stride, ones)  # (lead, *out, *k)
        taps = (windows[(..., *tap)] for tap in itertools.product(*map(range, kernel_size)))
        out = xp.array(next(taps), copy=True)
        for value in taps:
            out += value
        out /= divisor
        if self.requires_grad:
            self.geometry, self.divisor = g, divisor
        return out

    def backward(self, grad_output: Any) -> Any:
        # Every tap of a window gets the same share, so the adjoint of the window sum is
        # separable: spread along one spatial axis at a time (sum(k) passes instead of prod(k);
        # about 1.4x faster on a 3x3 stride-2 pool).
        g = self.geometry
        if self.planes is not None:
            return pool_planes.avg_backward(grad_output, g, len(g.out), self.divisor, self.planes)
        grad = grad_output / self.divisor
        for j in reversed(range(len(g.out))):  # last axis first: its strided writes are the
            grad = _spread_along(grad, g, j)  # slow ones, so do them while the array is small
        return pad_constant_adjoint(grad, grad_output.shape[: -len(g.out)] + g.in_size, g.pads)


def _spread_along(grad: Any, g: _Geometry, j: int) -> Any:
    """Adjoint of a 1-D window sum along spatial axis j: out_j -> padded size along that axis."""
    axis = grad.ndim - len(g.out) + j
    k, s, o = g.kernel_size[j], g.stride[j], g.out[j]
    shape = list(grad.shape)
    shape[axis] = g.padded_size[j]
    spread = empty_in_layout(tuple(shape), grad, zeros=not g.tiles_along(j))
    before = (slice(None),) * axis
    for i in range(k):
        target = (*before, slice(i, i + (o - 1) * s + 1, s))
        if s < k:  # windows overlap along this axis
            spread[target] += grad
        else:
            spread[target] = grad
    return spread


def _divisor(
    g: _Geometry, count_include_pad: bool, divisor_override: int | None, dtype: Any, xp: Any
) -> Any:
    """What each window sum is divided by: a number, or an (*out) array at ragged edges.

    PyTorch's rule, per spatial dim (the divisor is the product over dims): a window starting at
    ``t = o*s - p`` counts the taps inside the padded input, ``min(t + k, n + p) - t``, when
    ``count_include_pad``, and the taps inside the input, ``min(t + k, n) - max(t, 0)``,
    otherwise; ``divisor_override`` replaces both. The two counts differ from k only at the
    borders and in a ``ceil_mode`` window that hangs past the padded input.
    """
    if divisor_override is not None:
        return divisor_override
    S = len(g.out)
    divisor = 1
    for j, (n, o, k, s, p) in enumerate(
        zip(g.in_size, g.out, g.kernel_size, g.stride, g.padding, strict=True)
    ):
        start = xp.arange(o) * s - p
        if count_include_pad:
            count = xp.minimum(start + k, n + p) - start
        else:
            count = xp.minimum(start + k, n) - xp.maximum(start, 0)
        divisor = divisor * _broadcast_axis(count, j, S)
    if bool((divisor == prod(g.kernel_size)).all()):
        return prod(g.kernel_size)  # every window full: a plain number keeps the division cheap
    return divisor.astype(dtype)


def _bins(size: int, out: int, xp: Any) -> tuple[Any, Any]:
    """PyTorch's adaptive bins: bin i covers [floor(i*size/out), ceil((i+1)*size/out))."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


class AdaptiveAvgPoolNd(Function):
    """Mean over adaptive bins (``_bins``), computed as one small matrix per spatial dim.

    Averaging over a box of bins is linear and separable: it is ``x`` multiplied along each
    spatial axis j by the (out_j, in_j) matrix A_j with ``A_j[i, t] = 1 / len(bin i)`` for t in
    bin i and 0 elsewhere. Backward multiplies by the transposes. Bins may overlap (when in_j is
    not a multiple of out_j), which the matrices handle with no special case.
    """

    def forward(self, x: Any, output_size: tuple[int, ...]) -> Any:
        xp = xp_of(x)
        S = len(output_size)
        matrices = []
        for n, o in zip(x.shape[-S:], output_size, strict=True):
            start, end = _bins(n, o, xp)
            t = xp.arange(n)
            inside = (t >= start[:, None]) & (t < end[:, None])  # (out_j, in_j)
            matrices.append((inside / (end - start)[:, None]).astype(x.dtype))
        if self.requires_grad:
            self.matrices = matrices
        return _along_spatial_axes(x, matrices, transpose=False)

    def backward(self, grad_output: Any) -> Any:
        return _along_spatial_axes(grad_output, self.matrices, transpose=True)


def _along_spatial_axes(x: Any, matrices: list[Any], transpose: bool) -> Any:
    """Multiply spatial axis j of ``x`` by ``matrices[j]`` (or its transpose), for every j."""
    xp = xp_of(x)
    S = len(matrices)
    for j, matrix in enumerate(matrices):
        axis = x.ndim - S + j
        moved = xp.moveaxis(x, axis, -1)  # (..., in_j) with the other axes kept in order
        x = xp.moveaxis(moved @ (matrix if transpose else matrix.T), -1, axis)
    return xp.ascontiguousarray(x)


class AdaptiveMaxPoolNd(Function):
    """Max over adaptive bins; returns (values, int64 indices) like MaxPoolNd.

    Bins have different lengths, so no strided view fits: each spatial axis gathers
    ``kmax_j = max bin length`` taps per bin (clipped to the input), the taps past a bin's end
    are set to -inf, and the taps are then compared one by one as in MaxPoolNd.
    """

    n_outputs = 2

    def forward(self, x: Any, output_size: tuple[int, ...]) -> Any:
        xp = xp_of(x)
        S = len(output_size)
        in_size = x.shape[-S:]
        starts, taps, spans, outside = [], [], [], False
        for j, (n, o) in enumerate(zip(in_size, output_size, strict=True)):
            start, end = _bins(n, o, xp)
            span = int((end - start).max()) if o else 1
            tap = start[:, None] + xp.arange(span)  # (out_j, kmax_j)
            shape = [1] * (2 * S)
            shape[j], shape[S + j] = o, span
            outside = outside | (tap >= end[:, None]).reshape(shape)
            taps.append(xp.minimum(tap, n - 1).reshape(shape))
            starts.append(_broadcast_axis(start, j, S))
            spans.append(span)
        windows = x[(..., *taps)]  # (lead, *out, *kmax): a gathered copy
        windows[..., xp.broadcast_to(outside, windows.shape[-2 * S :])] = -xp.inf
        K = prod(spans)
        flat = windows.reshape(windows.shape[:-S] + (K,))  # (lead, *out, K)
        if flat.size == 0:
            out, arg = flat[..., 0], xp.zeros(flat.shape[:-1], dtype="uint8")
        else:
            out, arg = _max_and_tap((flat[..., q] for q in range(K)), K, xp)
        local = _tap_coordinates(arg, tuple(spans))
        indices = _flat_index([s + t for s, t in zip(starts, local, strict=True)], in_size)
        if self.requires_grad:
            self.in_size = in_size
            self.save_for_backward(indices)
        return out, indices

    def backward(self, grad_output: Any) -> Any:
        grad_output = grad_output[0]
        (indices,) = self.saved_tensors
        xp = xp_of(grad_output)
        S = len(self.in_size)
        lead = grad_output.shape[: grad_output.ndim - S]
        rows = prod(lead)
        grad = xp.zeros((rows, prod(self.in_size)), dtype=grad_output.dtype)
        per_row = prod(indices.shape[indices.ndim - S :])
        row = xp.arange(rows)[:, None]
        # Bins may overlap and share a maximum, so repeated indices must add up.
        scatter_add(grad, (row, indices.reshape(rows, per_row)), grad_output.reshape(rows, per_row))
        return grad.reshape(lead + self.in_size)
