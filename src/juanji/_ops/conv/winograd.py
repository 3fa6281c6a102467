"""The ``winograd`` algorithm: F(2x2, 3x3), 16 products per 2x2 output tile instead of 36.

Applies to 2-d, 3x3, stride 1, dilation 1, ungrouped calls (any padding). Lavin and Gray's
minimal filtering: for one 4x4 input tile d (overlapping its neighbours by 2) and a 3x3 filter g,

    Y (2x2) = A^T [ (G g G^T) * (B^T d B) ] A             * : element-wise, on 4x4 tiles

    B^T = [[1, 0, -1,  0],    G = [[1,    0,   0],    A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],         [1/2,  1/2, 1/2],         [0, 1, -1, -1]]
           [0, -1, 1,  0],         [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [0,    0,   1]]

Summed over input channels, the element-wise products become 16 GEMMs (one per tile entry k):
``M[k] = U[k] (C_out, C_in) @ V[k] (C_in, tiles * N)``, with ``U = G g G^T`` and ``V = B^T d B``.
That is 16/36 of im2col's multiply-adds; the transforms are additions over strided views.

Backward, both passes are the adjoints of the same identity:

* grad_weight: ``grad_U[k] = Gm[k] @ V[k].T`` with ``Gm = A grad_Y A^T`` (the output transform's
  adjoint), then ``grad_g = G^T grad_U G`` (V is kept from forward);
* grad_input: the gradient of a stride-1 convolution is the full convolution of grad_y with the
  flipped, channel-transposed filters, itself a stride-1 3x3 convolution: computed by this same
  Winograd forward on grad_y padded by 2, then cropped by the forward padding.

Everything runs batch-last (``(C, H, W, N)``, as ``gemm``): every transform is a handful of
array additions whose contiguous runs are ``N`` (or ``tiles * N``) long. With threads, the
transforms are split over channels and the 16 GEMMs over k on juanji's task pool. With
``juanji[fast]`` the transforms are fused Numba loops instead (``compiled/winograd.py``, one
read of each tile; the NumPy transforms took as long as the 16 GEMMs).

Float32 error (measured, benchmarks/README.md): the transforms add and halve exactly; the
products sum C_in terms as im2col does, so the error stays within a few float32 ulps of the
output scale (F(2x2, 3x3) has the smallest error of the Winograd family).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from juanji._ops import compiled
from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.conv.gemm import _split, batch_first, batch_last
from juanji.backend import op_threads, run_tasks, xp_of

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def _tiles(size: int) -> int:
    """Number of 2-wide output tiles covering ``size`` outputs."""
    return -(-size // 2)


def _input_rows(d: Any, axis: int, count: int, out: Any) -> None:
    """out[0..3] = B^T applied along ``axis`` to the 4-tall windows at stride 2 of d."""

    def rows(r: int) -> Any:
        index = [slice(None)] * d.ndim
        index[axis] = slice(r, r + 2 * count, 2)
        return d[tuple(index)]

    xp = xp_of(d)
    xp.subtract(rows(0), rows(2), out=out[0])
    xp.add(rows(1), rows(2), out=out[1])
    xp.subtract(rows(2), rows(1), out=out[2])
    xp.subtract(rows(1), rows(3), out=out[3])


def _input_transform(xb: Any, th: int, tw: int, channels: slice, V: Any) -> None:
    """V[a, b, channels] = (B^T d B)[a, b] for every tile: (4, 4, C, th, tw, N)."""
    xp = xp_of(xb)
    part = xb[channels]
    rows = xp.empty((4,) + part.shape[:1] + (th,) + part.shape[2:], dtype=xb.dtype)
    _input_rows(part, 1, th, rows)
    for a in range(4):
        _input_rows(rows[a], 2, tw, V[a, :, channels])


def _output_transform(M: Any, yb: Any, channels: slice) -> None:
    """yb[channels] (O, 2th, 2tw, N) = A^T M A per tile, M: (4, 4, O, th, tw, N)."""
    xp = xp_of(M)
    m = M[:, :, channels]
    r0 = m[0] + m[1] + m[2]  # (4, o, th, tw, N): A^T along the first tile axis
    r1 = m[1] - m[2] - m[3]
    for i, r in enumerate((r0, r1)):
        xp.add(r[0] + r[1], r[2], out=yb[channels, i::2, 0::2])
        xp.subtract(r[1] - r[2], r[3], out=yb[channels, i::2, 1::2])


def _grad_output_transform(gb: Any, th: int, tw: int, Gm: Any) -> None:
    """Gm (4, 4, O, th, tw, N) = A grad_Y A^T per tile, gb: (O, 2th, 2tw, N)."""
    xp = xp_of(gb)
    y0, y1 = gb[:, 0::2], gb[:, 1::2]  # (O, th, 2tw, N)
    rows = (y0, y0 + y1, y0 - y1, -y1)
    for a, s in enumerate(rows):
        c0, c1 = s[:, :, 0::2], s[:, :, 1::2]
        xp.copyto(Gm[a, 0], c0)
        xp.add(c0, c1, out=Gm[a, 1])
        xp.subtract(c0, c1, out=Gm[a, 2])
        xp.negative(c1, out=Gm[a, 3])


def _weight_transform(weight: Any) -> Any:
    """U (16, C_out, C_in) = G g G^T for every filter."""
    xp = xp_of(weight)
    G = xp.asarray(_G, dtype=weight.dtype)
    U = xp.einsum("ai,ocij,bj->aboc", G, weight, G)
    return U.reshape((16,) + weight.shape[:2])


def _gemms(U: Any, V: Any, out: Any, ks: list[int]) -> None:
    for k in ks:
        xp_of(U).matmul(U[k], V[k], out=out[k])


def _winograd(xb: Any, U: Any, out_size: tuple[int, int]) -> tuple[Any, Any]:
    """(yb (O, Ho, Wo, N) view, V) of the stride-1 3x3 conv of the padded batch-last xb.

    xb is (C, 2*th + 2, 2*tw + 2, N): padded, and extended so that the tiles cover the output.
    """
    xp = xp_of(xb)
    C, N = xb.shape[0], xb.shape[-1]
    O = U.shape[1]  # noqa: E741 - the notation of gemm.py
    th, tw = _tiles(out_size[0]), _tiles(out_size[1])
    V = xp.empty((4, 4, C, th, tw, N), dtype=xb.dtype)
    M = xp.empty((16, O, th * tw * N), dtype=xb.dtype)
    yb = xp.empty((O, 2 * th, 2 * tw, N), dtype=xb.dtype)
    macs = 16 * O * C * th * tw * N
    fused = _fused(xb)
    with op_threads(macs, splits=True) as tasks:
        if fused:
            compiled.kernels("winograd", V.size).input_transform(xb, V, C, th, tw, N)
        else:
            run_tasks([partial(_input_transform, xb, th, tw, c, V) for c in _parts(tasks, C)])
        Vk = V.reshape(16, C, -1)
        run_tasks([partial(_gemms, U, Vk, M, ks) for ks in _split(tasks, list(range(16)))])
        if fused:
            compiled.kernels("winograd", M.size).output_transform(M, yb, O, th, tw, N)
        else:
            M6 = M.reshape(4, 4, O, th, tw, N)
            run_tasks([partial(_output_transform, M6, yb, o) for o in _parts(tasks, O)])
    return yb[:, : out_size[0], : out_size[1]], V


def _fused(a: Any) -> bool:
    """Whether the compiled transforms (``compiled/winograd.py``) take this array."""
    return compiled.enabled() and xp_of(a).__name__ == "numpy" and a.flags.c_contiguous


def _parts(tasks: int, size: int) -> list[slice]:
    """``size`` channels in ``tasks`` contiguous slices."""
    return [slice(p[0], p[-1] + 1) for p in _split(tasks, list(range(size))) if p]


def _extended(pads: tuple[tuple[int, int], ...], in_size: tuple[int, ...], out: tuple) -> tuple:
    """The pads plus the rows/columns the last tile needs past the padded input."""
    return tuple(
        (b, a + 2 * _tiles(o) + 2 - (n + b + a))
        for (b, a), n, o in zip(pads, in_size, out, strict=True)
    )


class Winograd(Algorithm):
    """F(2x2, 3x3) Winograd convolution, batch-last, forward and both backward passes."""

    name = "winograd"

    def applies(self, geometry: Geometry) -> bool:
        g = geometry
        return (
            g.kernel_size == (3, 3)
            and g.stride == (1, 1)
            and g.dilation == (1, 1)
            and g.groups == 1
            and g.N >= 1
        )

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        g = geometry
        xb = batch_last(x, _extended(g.padding, g.in_size, g.out))
        yb, V = _winograd(xb, _weight_transform(weight), g.out)
        if bias is not None:
            yb += bias.reshape(-1, 1, 1, 1)  # yb is fresh: in place is safe
        if ctx.requires_grad:
            needs_x, needs_w = ctx.needs_input_grad[:2]
            ctx.save_for_backward(V if needs_w else None, weight if needs_x else None)
        return batch_first(yb)

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        g, xp = ctx.geometry, xp_of(grad_output)
        V, weight = ctx.saved_tensors
        needs_x, needs_w, needs_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        grad_input = grad_weight = grad_bias = None
        if needs_b:
            grad_bias = grad_output.sum(axis=(0, 2, 3))
        if needs_w:
            grad_weight = self._grad_weight(grad_output, V, g)
        if needs_x:
            # Full correlation with the flipped filters = a stride-1 3x3 conv of grad_y padded
            # by 2: its output is the gradient of the padded input; crop the padding off.
            flipped = xp.ascontiguousarray(weight[:, :, ::-1, ::-1].swapaxes(0, 1))
            padded = tuple(n + b + a for n, (b, a) in zip(g.in_size, g.padding, strict=True))
            gb = batch_last(grad_output, _extended(((2, 2), (2, 2)), g.out, padded))
            gxb, _ = _winograd(gb, _weight_transform(flipped), padded)
            (top, _), (left, _) = g.padding
            H, W = g.in_size
            grad_input = batch_first(gxb[:, top : top + H, left : left + W])
        return grad_input, grad_weight, grad_bias

    @staticmethod
    def _grad_weight(grad_output: Any, V: Any, g: Geometry) -> Any:
        xp = xp_of(grad_output)
        th, tw, N = V.shape[3], V.shape[4], V.shape[5]
        gb = batch_last(grad_output, ((0, 2 * th - g.out[0]), (0, 2 * tw - g.out[1])))
        Gm = xp.empty((4, 4, g.C_out, th, tw, N), dtype=grad_output.dtype)
        if _fused(gb):
            compiled.kernels("winograd", Gm.size).grad_output_transform(gb, Gm, g.C_out, th, tw, N)
        else:
            _grad_output_transform(gb, th, tw, Gm)
        Gk, Vk = Gm.reshape(16, g.C_out, -1), V.reshape(16, g.C_in, -1)
        grad_U = xp.empty((16, g.C_out, g.C_in), dtype=grad_output.dtype)
        with op_threads(16 * g.C_out * g.C_in * Vk.shape[-1], splits=True) as tasks:
            jobs = [partial(_grad_u, Gk, Vk, grad_U, ks) for ks in _split(tasks, list(range(16)))]
            run_tasks(jobs)
        G = xp.asarray(_G, dtype=grad_output.dtype)
        return xp.einsum("ai,aboc,bj->ocij", G, grad_U.reshape(4, 4, g.C_out, g.C_in), G)


def _grad_u(Gk: Any, Vk: Any, out: Any, ks: list[int]) -> None:
    for k in ks:
        xp_of(Gk).matmul(Gk[k], Vk[k].swapaxes(-1, -2), out=out[k])
