"""``grid_sample``: read an image at arbitrary points, with gradients to the image and the points.

Notation: ``x`` is the input ``(N, C, *S_in)`` with d = 2 (H, W) or 3 (D, H, W) spatial dims;
``grid`` is ``(N, *S_out, d)`` with the coordinates of each output point in ``[-1, 1]``, listed
fastest dimension first (``grid[..., 0]`` is x along W, ``grid[..., 1]`` y along H, then z along
D), as PyTorch lays them out. P = prod(S_out) points per sample, S = prod(S_in) pixels.

Along each spatial dim of size n, a grid coordinate g becomes a pixel position
``p = (g + 1) / 2 * (n - 1)`` with ``align_corners`` (-1 and 1 are the centres of the corner
pixels), else ``p = ((g + 1) * n - 1) / 2`` (-1 and 1 are the outer edges of the corner pixels).
``padding_mode`` then decides what lies outside ``[0, n - 1]``:

* ``'zeros'``: nothing moves; taps outside the image read 0;
* ``'border'``: p is clipped to ``[0, n - 1]``, repeating the edge pixels;
* ``'reflection'``: p is reflected at the corner centres (``align_corners``) or at the outer
  edges (otherwise) until it falls inside, then clipped.

``'bilinear'`` (trilinear for d = 3) reads the 2**d pixels around p, weighted by
``prod(1 - |p - tap|)``; ``'nearest'`` reads the pixel at ``rint(p)`` (ties to even, as
PyTorch's ``nearbyint``). The gradient to the grid is the derivative of those weights, times
``dp/dg``: the scale above, times 0 where clipping held p at a border (PyTorch counts the border
itself as outside) and -1 where a reflection flipped it. ``'nearest'`` gives the grid no
gradient. ``'bicubic'`` (d = 2) reads the 4 x 4 pixels around the unpadded p with Keys' weights
(A = -0.75) and applies ``padding_mode`` to each tap's pixel coordinate instead (PyTorch's
rule), so its grid gradient is the weights' derivative times the scale alone. The input's
gradient scatters each tap's weighted output gradient back onto its pixel.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from juanji.autograd.function import Function
from juanji.backend import scatter_add, xp_of


def _clip(xp: Any, p: Any, slope: Any, n: int) -> tuple[Any, Any]:
    """``p`` clipped to ``[0, n - 1]``; the slope is 0 at and beyond the borders."""
    inside = (p > 0) & (p < n - 1)
    return xp.clip(p, 0, n - 1), slope * inside


def _reflect(xp: Any, p: Any, slope: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    """Fold ``p`` into ``[twice_low / 2, twice_high / 2]`` by reflections (PyTorch's rule)."""
    if twice_low == twice_high:
        return xp.zeros_like(p), xp.zeros_like(p)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    shifted = p - low
    sign = xp.where(shifted < 0, -1, 1).astype(p.dtype)
    distance = xp.abs(shifted)
    extra = xp.fmod(distance, span)
    even = (xp.floor(distance / span) % 2) == 0
    folded = xp.where(even, extra + low, span - extra + low)
    return folded, slope * sign * xp.where(even, 1, -1).astype(p.dtype)


def source_positions(
    xp: Any, g: Any, n: int, padding_mode: str, align_corners: bool, pixels: bool = False
) -> tuple[Any, Any]:
    """Pixel positions of grid coordinates ``g`` along a dim of ``n`` pixels, and ``dp/dg``.

    ``pixels``: ``g`` already holds pixel positions; only the padding rule is applied.
    """
    scale = (n - 1) / 2 if align_corners else n / 2
    if pixels:
        p, scale = g, 1.0
    else:
        p = (g + 1) * scale if align_corners else ((g + 1) * n - 1) / 2
    slope = xp.full_like(g, scale)
    if padding_mode == "border":
        p, slope = _clip(xp, p, slope, n)
    elif padding_mode == "reflection":
        if align_corners:
            p, slope = _reflect(xp, p, slope, 0, 2 * (n - 1))
        else:
            p, slope = _reflect(xp, p, slope, -1, 2 * n - 1)
        p, slope = _clip(xp, p, slope, n)
    return p, slope


CUBIC_A = -0.75  # Keys' cubic convolution, as PyTorch's bicubic modes


def _keys_weights(t: Any) -> list[tuple[Any, Any]]:
    """The 4 weights of taps -1, 0, 1, 2 at fraction ``t``, each with its derivative in ``t``."""
    a = CUBIC_A
    outer = (t + 1, 2 - t)  # distances of the outer taps, in (1, 2]
    inner = (t, 1 - t)  # of the inner taps, in [0, 1]

    def near(x: Any) -> tuple[Any, Any]:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1, (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far(x: Any) -> tuple[Any, Any]:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, (3 * a * x - 10 * a) * x + 8 * a

    (w0, d0), (w3, d3) = far(outer[0]), far(outer[1])
    (w1, d1), (w2, d2) = near(inner[0]), near(inner[1])
    # d/dt of the distances: +1 for t + 1 and t, -1 for 1 - t and 2 - t
    return [(w0, d0), (w1, d1), (w2, -d2), (w3, -d3)]


class GridSample(Function):
    """``y[n, c, q] = sum_tap w_tap(grid[n, q]) * x[n, c, tap]``; see the module docstring."""

    def forward(
        self, x: Any, grid: Any, *, mode: str, padding_mode: str, align_corners: bool
    ) -> Any:
        self.mode, self.padding_mode, self.align_corners = mode, padding_mode, align_corners
        if self.requires_grad:
            self.save_for_backward(x, grid)
        N, C, spatial_out = x.shape[0], x.shape[1], grid.shape[1:-1]
        pixels = _channels_last(x)  # (N, S, C)
        out = None
        for lin, weight, _, _ in self._taps(x, grid):
            values = pixels[xp_of(x).arange(N)[:, None], lin] * weight[..., None]  # (N, P, C)
            out = values if out is None else out + values
        out = out.reshape(N, *spatial_out, C)
        return xp_of(x).ascontiguousarray(xp_of(x).moveaxis(out, -1, 1))

    def _taps(self, x: Any, grid: Any) -> Any:
        """Yield each tap's flat pixel index, weight and validity (N, P) and its choice.

        The choice holds per dim ``(index, factor, d factor / d p)``; factor None for nearest.
        """
        xp = xp_of(x)
        sizes = x.shape[2:]
        d = len(sizes)
        points = grid.reshape(grid.shape[0], -1, d)  # (N, P, d)
        # grid lists W first; positions[i] belongs to input spatial dim i (D, H, W order);
        # bicubic pads each tap's pixel coordinate instead of the point's position
        padding = "zeros" if self.mode == "bicubic" else self.padding_mode
        self.positions = [
            source_positions(xp, points[..., d - 1 - i], n, padding, self.align_corners)
            for i, n in enumerate(sizes)
        ]
        strides = [math.prod(sizes[i + 1 :]) for i in range(d)]
        if self.mode == "nearest":
            taps = [[(xp.rint(p).astype(xp.int64), None, 0)] for p, _ in self.positions]
        elif self.mode == "bicubic":
            taps = [
                self._cubic_taps(xp, p, n) for (p, _), n in zip(self.positions, sizes, strict=True)
            ]
        else:
            taps = []
            for p, _ in self.positions:
                low = xp.floor(p)
                frac = p - low
                low = low.astype(xp.int64)
                taps.append([(low, 1 - frac, -1), (low + 1, frac, 1)])
        for choice in itertools.product(*taps):
            valid = xp.ones(points.shape[:2], dtype=bool)
            lin = xp.zeros(points.shape[:2], dtype=xp.int64)
            for (index, _, _), n, stride in zip(choice, sizes, strides, strict=True):
                valid &= (index >= 0) & (index < n)
                lin += xp.clip(index, 0, n - 1) * stride
            weight = valid.astype(x.dtype)
            for _, factor, _ in choice:
                if factor is not None:
                    weight = weight * factor
            yield lin, weight, valid, choice

    def _cubic_taps(self, xp: Any, p: Any, n: int) -> list[tuple[Any, Any, Any]]:
        """The 4 taps around ``p``: padded pixel index, Keys weight and its derivative."""
        low = xp.floor(p)
        t = p - low
        taps = []
        for k, (weight, slope) in enumerate(_keys_weights(t)):
            coordinate = low + (k - 1)
            if self.padding_mode != "zeros":
                coordinate, _ = source_positions(
                    xp, coordinate, n, self.padding_mode, self.align_corners, pixels=True
                )
            taps.append((coordinate.astype(xp.int64), weight, slope))
        return taps

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        x, grid = self.saved_tensors
        xp = xp_of(x)
        N, C = x.shape[:2]
        d = x.ndim - 2
        g = _channels_last(grad_output)  # (N, P, C)
        pixels = _channels_last(x) if self.needs_input_grad[1] else None
        grad_x = xp.zeros((N, math.prod(x.shape[2:]), C), dtype=x.dtype)
        grad_p = [xp.zeros(g.shape[:2], dtype=x.dtype) for _ in range(d)]
        rows = xp.arange(N)[:, None]
        for lin, weight, valid, choice in self._taps(x, grid):
            if self.needs_input_grad[0]:
                scatter_add(grad_x, (rows, lin), g * weight[..., None])
            if pixels is not None and self.mode != "nearest":
                dot = (g * pixels[rows, lin]).sum(-1) * valid  # (N, P)
                for i in range(d):
                    # d weight / d p_i: the other dims' factors times this dim's +-1
                    partial = dot * choice[i][2]
                    for j, (_, factor, _) in enumerate(choice):
                        if j != i:
                            partial = partial * factor
                    grad_p[i] += partial
        grad_input = None
        if self.needs_input_grad[0]:
            grad_input = xp.moveaxis(grad_x.reshape(N, *x.shape[2:], C), -1, 1)
            grad_input = xp.ascontiguousarray(grad_input)
        grad_grid = None
        if self.needs_input_grad[1]:
            grad_grid = xp.zeros(grid.shape, dtype=grid.dtype)
            if self.mode != "nearest":
                for i, (_, slope) in enumerate(self.positions):
                    grad_grid[..., d - 1 - i] = (grad_p[i] * slope).reshape(grid.shape[:-1])
        return grad_input, grad_grid


def _channels_last(a: Any) -> Any:
    """``(N, C, *S)`` as ``(N, prod(S), C)``."""
    xp = xp_of(a)
    return xp.moveaxis(a.reshape(a.shape[0], a.shape[1], -1), 1, -1)
