"""Resampling (``interpolate``): nearest, nearest-exact, linear and cubic, one axis at a time.

Notation: as in ``juanji._ops.im2col`` (N, C, S); per spatial axis ``n`` input and ``o`` output
pixels. Every mode is separable: along each axis, output pixel i is a weighted sum of a few
input pixels (its taps), ``y[i] = sum_t w_t[i] * x[idx_t[i]]``, with 1 tap for nearest, 2 for
linear and 4 for cubic. The index arrays ``idx_t`` never decrease with i, so the adjoint is a
scatter-add of ``w_t * grad`` onto ``idx_t``. Axes are resampled one after the other.

Source coordinates follow PyTorch's CPU kernels exactly (they decide which pixel is "nearest"):

* scale (input pixels per output pixel): ``1 / scale_factor`` when the caller passes a scale
  factor, else ``n / o``; with ``align_corners`` it is ``(n - 1) / (o - 1)`` (0 when o == 1);
* nearest: ``src = min(floor(i * scale), n - 1)``, in float32 arithmetic as PyTorch's (which
  decides the ties);
* nearest-exact: ``src = min(floor((i + 0.5) * scale), n - 1)``;
* linear and cubic: ``src = scale * i`` with align_corners, else ``scale * (i + 0.5) - 0.5``
  (clamped at 0 for linear); linear takes ``floor(src)`` and the next pixel (the last pixel
  twice at the edge), cubic the four pixels around ``floor(src)`` clamped to the input, weighted
  by Keys' cubic convolution with ``A = -0.75``.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import xp_of

Taps = list[tuple[Any, Any]]  # per axis: (index array (o,), weight array (o,) or None)
CUBIC_A = -0.75


def _scale(n: int, o: int, align_corners: bool, scale: float | None) -> float:
    """Input pixels per output pixel, PyTorch's ``area_pixel_compute_scale``."""
    if align_corners:
        return (n - 1) / (o - 1) if o > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n / o


def nearest_taps(
    xp: Any, n: int, o: int, scale: float | None, exact: bool, shortcuts: bool
) -> Taps:
    """One tap per output pixel with weight 1.

    ``shortcuts``: PyTorch's 2-D nearest kernel copies when o == n and halves the index when
    o == 2n whatever the scale factor; its 1-D and 3-D kernels apply the formula (measured).
    """
    step = xp.float32(1.0 / scale if scale is not None and scale > 0 else n / o)
    i = xp.arange(o)
    if shortcuts and not exact and o == n:
        return [(i, None)]
    if shortcuts and not exact and o == 2 * n:
        return [(i // 2, None)]
    position = i.astype(xp.float32) + xp.float32(0.5 if exact else 0.0)
    src = xp.floor(position * step)  # float32 arithmetic, as PyTorch's kernels
    return [(xp.minimum(src.astype(xp.int64), n - 1), None)]


def linear_taps(xp: Any, n: int, o: int, scale: float | None, align_corners: bool) -> Taps:
    """Two taps: floor(src) and the next pixel, weights ``1 - frac`` and ``frac``."""
    i = xp.arange(o, dtype=xp.float64)
    if o == n:  # PyTorch copies, whatever the scale factor
        index = xp.arange(o)
        return [(index, xp.ones(o)), (index, xp.zeros(o))]
    step = _scale(n, o, align_corners, scale)
    src = step * i if align_corners else xp.maximum(step * (i + 0.5) - 0.5, 0.0)
    low = xp.minimum(xp.floor(src).astype(xp.int64), n - 1)
    frac = xp.clip(src - low, 0.0, 1.0)
    high = low + (low < n - 1)
    return [(low, 1.0 - frac), (high, frac)]


def cubic_taps(xp: Any, n: int, o: int, scale: float | None, align_corners: bool) -> Taps:
    """Four taps around floor(src), clamped to the input, with Keys' weights (A = -0.75)."""
    i = xp.arange(o, dtype=xp.float64)
    step = _scale(n, o, align_corners, scale)
    src = step * i if align_corners else step * (i + 0.5) - 0.5
    base = xp.minimum(xp.floor(src), n - 1)
    t = xp.clip(src - base, 0.0, 1.0)
    A = CUBIC_A

    def near(x: Any) -> Any:  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x: Any) -> Any:  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    base = base.astype(xp.int64)
    return [(xp.clip(base + k - 1, 0, n - 1), w) for k, w in zip(range(4), weights, strict=True)]


def make_taps(
    xp: Any,
    mode: str,
    in_size: tuple[int, ...],
    out_size: tuple[int, ...],
    scales: tuple[float | None, ...],
    align_corners: bool,
) -> list[Taps]:
    """The taps of every spatial axis for ``mode``."""
    taps = []
    for n, o, s in zip(in_size, out_size, scales, strict=True):
        if mode in ("nearest", "nearest-exact"):
            exact = mode == "nearest-exact"
            taps.append(nearest_taps(xp, n, o, s, exact, shortcuts=len(in_size) == 2))
        elif mode == "bicubic":
            taps.append(cubic_taps(xp, n, o, s, align_corners))
        else:
            taps.append(linear_taps(xp, n, o, s, align_corners))
    return taps


class Resample(Function):
    """Separable resampling of the last S axes; the taps come from ``make_taps``."""

    def forward(
        self,
        x: Any,
        mode: str,
        out_size: tuple[int, ...],
        scales: tuple[float | None, ...],
        align_corners: bool,
    ) -> Any:
        xp = xp_of(x)
        S = len(out_size)
        in_size = x.shape[x.ndim - S :]
        self.taps = make_taps(xp, mode, in_size, out_size, scales, align_corners)
        self.in_size = in_size
        for j, axis_taps in enumerate(self.taps):
            x = _gather_axis(x, x.ndim - S + j, axis_taps)
        return x

    def backward(self, grad_output: Any) -> Any:
        S = len(self.taps)
        grad = grad_output
        for j in reversed(range(S)):
            axis = grad.ndim - S + j
            grad = _scatter_axis(grad, axis, self.taps[j], self.in_size[j])
        return grad


def _gather_axis(x: Any, axis: int, taps: Taps) -> Any:
    """``y[..., i, ...] = sum_t w_t[i] * x[..., idx_t[i], ...]`` along ``axis``."""
    xp = xp_of(x)
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for index, weight in taps:
        part = xp.take(x, index, axis=axis)
        if weight is not None:
            part *= weight.astype(x.dtype).reshape(shape)  # part is a fresh copy
        out = part if out is None else out.__iadd__(part)
    return out


def _scatter_axis(grad: Any, axis: int, taps: Taps, n: int) -> Any:
    """The adjoint of ``_gather_axis``: scatter-add each tap's weighted share onto its index."""
    xp = xp_of(grad)
    moved = xp.moveaxis(grad, axis, 0)  # (o, rest...)
    rest = moved.shape[1:]
    flat = moved.reshape(moved.shape[0], -1)  # (o, M)
    result = xp.zeros((n, flat.shape[1]), dtype=grad.dtype)
    for index, weight in taps:
        share = flat if weight is None else flat * weight.astype(grad.dtype)[:, None]
        # index never decreases, so the r-th copy of each index forms a set without repeats:
        # one plain indexed add per copy count (2 for 2x upsampling) instead of np.add.at,
        # which is an order of magnitude slower per element.
        rank = xp.arange(index.shape[0]) - xp.searchsorted(index, index, side="left")
        for r in range(int(rank.max()) + 1 if rank.size else 0):
            chosen = rank == r
            result[index[chosen]] += share[chosen]
    return xp.moveaxis(result.reshape((n,) + rest), 0, axis)
