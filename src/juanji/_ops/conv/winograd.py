"""The Winograd algorithms: ``winograd`` F(2x2, 3x3) and ``winograd4`` F(4x4, 3x3).

Both apply to 2-d, 3x3, stride 1, dilation 1, ungrouped calls (any padding). Lavin and Gray's
minimal filtering F(m x m, 3x3): for one input tile d of alpha x alpha = (m + 2) x (m + 2)
numbers (overlapping its neighbours by 2, so the tiles sit at stride m) and a 3x3 filter g,

    Y (m x m) = A^T [ (G g G^T) * (B^T d B) ] A             * : element-wise, on alpha^2 tiles

F(2x2, 3x3) (``winograd``), points 0, 1, -1 and infinity: 16 products per 2x2 outputs (36 direct)

    B^T = [[1, 0, -1,  0],    G = [[1,    0,   0],    A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],         [1/2,  1/2, 1/2],         [0, 1, -1, -1]]
           [0, -1, 1,  0],         [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [0,    0,   1]]

F(4x4, 3x3) (``winograd4``), points 0, 1, -1, 2, -2 and infinity: 36 products per 4x4 outputs
(144 direct, and 64 for four F(2x2) tiles), from 6x6 tiles

    B^T = [[4,  0, -5,  0, 1, 0],    G = [[ 1/4,     0,    0],    A^T = [[1, 1,  1, 1,  1, 0],
           [0, -4, -4,  1, 1, 0],         [-1/6,  -1/6, -1/6],           [0, 1, -1, 2, -2, 0],
           [0,  4, -4, -1, 1, 0],         [-1/6,   1/6, -1/6],           [0, 1,  1, 4,  4, 0],
           [0, -2, -1,  2, 1, 0],         [ 1/24, 1/12,  1/6],           [0, 1, -1, 8, -8, 1]]
           [0,  2, -1, -2, 1, 0],         [ 1/24, -1/12, 1/6],
           [0,  4,  0, -5, 0, 1]]         [ 0,       0,    1]]

Summed over input channels, the element-wise products become alpha^2 GEMMs (one per tile entry
k): ``M[k] = U[k] (C_out, C_in) @ V[k] (C_in, tiles * N)``, with ``U = G g G^T`` and
``V = B^T d B``: 16/36 (F2) or 36/144 (F4) of im2col's multiply-adds, for the transforms.
U is computed in float64 and rounded once (G's sixths are not exact in binary).

Backward, both passes are the adjoints of the same identity:

* grad_weight: ``grad_U[k] = Gm[k] @ V[k].T`` with ``Gm = A grad_Y A^T`` (the output transform's
  adjoint), then ``grad_g = G^T grad_U G`` (V is kept from forward);
* grad_input: the gradient of a stride-1 convolution is the full convolution of grad_y with the
  flipped, channel-transposed filters, itself a stride-1 3x3 convolution: computed by this same
  Winograd forward on grad_y padded by 2, then cropped by the forward padding.

Everything runs batch-last (``(C, H, W, N)``, as ``gemm``): every transform is a handful of
array additions whose contiguous runs are ``N`` (or ``tiles * N``) long. With threads, the
transforms are split over channels and the GEMMs over k on juanji's task pool. With
``juanji[fast]`` the transforms are fused Numba loops instead (``compiled/winograd.py`` and
``compiled/winograd4.py``, one read of each tile, ``prange`` over channels and tile rows).

Float32 error against float64: ``max |err| / max |exact|``, the largest of output,
grad_input and grad_weight (batch 8, 16x16, 64 filters of N(0, 1/(9 C_in)), padding 1, float64
gemm as the exact result; per quantity, and rms errors, in benchmarks/README.md):

    C_in      gemm      winograd (F2)   winograd4 (F4, compiled / NumPy transforms)
    16        5.6e-7    2.8e-7          6.0e-6 / 5.0e-6
    64        8.0e-7    8.3e-7          8.3e-6 / 6.7e-6
    256       5.5e-7    7.5e-7          1.1e-5 / 1.3e-5

F(2x2)'s transforms add and halve, exact in binary, so it stays at im2col's level. F(4x4)'s
B^T and A^T scale by up to 5 and 8, so an entry of a transformed tile can be much larger than
the outputs it feeds, and its rounding error lands on them: about 10x im2col's error, growing
slowly with C_in. ``tests/ops/test_conv_algorithms.py`` holds it to 3e-5 (gemm and F2 to
3e-6). For training that is far below SGD's noise; to compare with float64 to 1e-6, force
``gemm`` or ``winograd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from juanji._ops import compiled
from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.conv.gemm import _split, batch_first, batch_last
from juanji.backend import op_threads, run_tasks, xp_of

Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Tiles:
    """One member of the family, F(m x m, 3x3): its matrices and its fused transforms' module."""

    m: int
    BT: Matrix  # (alpha, alpha), alpha = m + 2: the input transform
    G: Matrix  # (alpha, 3): the filter transform
    AT: Matrix  # (m, alpha): the output transform
    kernels: str  # juanji._ops.compiled.<kernels>: input, output and grad_output transforms

    @property
    def alpha(self) -> int:
        """Width of an input tile."""
        return self.m + 2

    def count(self, size: int) -> int:
        """Number of m-wide output tiles covering ``size`` outputs."""
        return -(-size // self.m)


F2 = Tiles(
    2,
    BT=((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
    G=((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1)),
    AT=((1, 1, 1, 0), (0, 1, -1, -1)),
    kernels="winograd",
)
F4 = Tiles(
    4,
    BT=((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
        (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)),
    G=((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
       (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1)),
    AT=((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1)),
    kernels="winograd4",
)  # fmt: skip


def _combine(matrix: Matrix, views: list[Any], out: Any) -> None:
    """out[a] = sum_i matrix[a][i] * views[i] for every row a: additions where an entry is +-1."""
    xp = xp_of(views[0])
    for a, row in enumerate(matrix):
        terms = sorted(
            ((c, v) for c, v in zip(row, views, strict=True) if c), key=lambda t: t[0] != 1
        )
        (c, v), rest = terms[0], terms[1:]
        if c == 1 and rest and abs(rest[0][0]) == 1:
            (xp.add if rest[0][0] > 0 else xp.subtract)(v, rest[0][1], out=out[a])
            rest = rest[1:]
        else:
            xp.multiply(v, c, out=out[a])
        for c, v in rest:
            if abs(c) == 1:
                (xp.add if c > 0 else xp.subtract)(out[a], v, out=out[a])
            else:
                out[a] += c * v


def _windows(d: Any, axis: int, step: int, count: int, entries: int) -> list[Any]:
    """Entry i of every tile along ``axis``, for i < entries: d[i : i + step * count : step]."""
    before = (slice(None),) * axis
    return [d[before + (slice(i, i + step * count, step),)] for i in range(entries)]


def _input_transform(f: Tiles, xb: Any, th: int, tw: int, channels: slice, V: Any) -> None:
    """V[a, b, channels] = (B^T d B)[a, b] for every tile d: V (alpha, alpha, C, th, tw, N)."""
    part = xb[channels]
    shape = (f.alpha,) + part.shape[:1] + (th,) + part.shape[2:]
    rows = xp_of(xb).empty(shape, dtype=xb.dtype)  # (alpha, c, th, W, N): B^T along H
    _combine(f.BT, _windows(part, 1, f.m, th, f.alpha), rows)
    for a in range(f.alpha):
        _combine(f.BT, _windows(rows[a], 2, f.m, tw, f.alpha), V[a, :, channels])


def _output_transform(f: Tiles, M: Any, yb: Any, channels: slice) -> None:
    """yb[channels] (O, m th, m tw, N) = A^T M A per tile, M: (alpha, alpha, O, th, tw, N)."""
    part = M[:, :, channels]
    rows = xp_of(M).empty((f.m,) + part.shape[1:], dtype=M.dtype)  # (m, alpha, o, th, tw, N)
    _combine(f.AT, list(part), rows)
    for i in range(f.m):
        _combine(f.AT, list(rows[i]), [yb[channels, i :: f.m, j :: f.m] for j in range(f.m)])


def _grad_output_transform(f: Tiles, gb: Any, th: int, tw: int, Gm: Any) -> None:
    """Gm (alpha, alpha, O, th, tw, N) = A grad_Y A^T per tile, gb: (O, m th, m tw, N)."""
    A, shape = tuple(zip(*f.AT, strict=True)), (f.alpha, gb.shape[0], th) + gb.shape[2:]
    rows = xp_of(gb).empty(shape, dtype=gb.dtype)  # (alpha, O, th, m tw, N): A along H
    _combine(A, _windows(gb, 1, f.m, th, f.m), rows)
    for a in range(f.alpha):
        _combine(A, _windows(rows[a], 2, f.m, tw, f.m), Gm[a])


def _weight_transform(f: Tiles, weight: Any) -> Any:
    """U (alpha^2, C_out, C_in) = G g G^T for every filter, in float64, rounded once."""
    O, C = weight.shape[:2]  # noqa: E741 - gemm.py's notation
    GG = _g_kron(f, weight)
    with op_threads(GG.size * O * C):  # one BLAS thread: K = 9 is too short to share
        U = GG @ weight.reshape(O * C, 9).astype(GG.dtype).T  # (alpha^2, C_out * C_in)
    return U.reshape(f.alpha**2, O, C).astype(weight.dtype)


def _g_kron(f: Tiles, like: Any) -> Any:
    """kron(G, G) (alpha^2, 9) in float64: U[a, b] = G g G^T is one product with the 9 taps."""
    G = xp_of(like).asarray(f.G, dtype="float64")
    return xp_of(like).kron(G, G)


def _gemms(left: Any, right: Any, out: Any, ks: list[int], transposed: bool = False) -> None:
    """out[k] = left[k] @ right[k] (or @ right[k].T) for k in ks: one task's products."""
    for k in ks:
        other = right[k].swapaxes(-1, -2) if transposed else right[k]
        xp_of(left).matmul(left[k], other, out=out[k])


def _winograd(f: Tiles, xb: Any, U: Any, out_size: tuple[int, int]) -> tuple[Any, Any]:
    """(yb (O, Ho, Wo, N) view, V) of the stride-1 3x3 conv of the padded batch-last xb.

    xb is (C, m th + 2, m tw + 2, N): padded, and extended so that the tiles cover the output.
    """
    xp, k = xp_of(xb), f.alpha
    C, N, O = xb.shape[0], xb.shape[-1], U.shape[1]  # noqa: E741 - gemm.py's notation
    th, tw = f.count(out_size[0]), f.count(out_size[1])
    V = xp.empty((k, k, C, th, tw, N), dtype=xb.dtype)
    M = xp.empty((k * k, O, th * tw * N), dtype=xb.dtype)
    yb = xp.empty((O, f.m * th, f.m * tw, N), dtype=xb.dtype)
    fused = _fused(xb)
    with op_threads(k * k * O * C * th * tw * N, splits=True) as tasks:
        if fused:
            compiled.kernels(f.kernels, V.size).input_transform(xb, V, C, th, tw, N)
        else:
            run_tasks([partial(_input_transform, f, xb, th, tw, c, V) for c in _parts(tasks, C)])
        Vk = V.reshape(k * k, C, -1)
        run_tasks([partial(_gemms, U, Vk, M, ks) for ks in _split(tasks, list(range(k * k)))])
        if fused:
            compiled.kernels(f.kernels, M.size).output_transform(M, yb, O, th, tw, N)
        else:
            M6 = M.reshape(k, k, O, th, tw, N)
            run_tasks([partial(_output_transform, f, M6, yb, o) for o in _parts(tasks, O)])
    return yb[:, : out_size[0], : out_size[1]], V


def _fused(a: Any) -> bool:
    """Whether the compiled transforms (``compiled/winograd*.py``) take this array."""
    return compiled.enabled() and xp_of(a).__name__ == "numpy" and a.flags.c_contiguous


def _parts(tasks: int, size: int) -> list[slice]:
    """``size`` channels in ``tasks`` contiguous slices."""
    return [slice(p[0], p[-1] + 1) for p in _split(tasks, list(range(size))) if p]


def _extended(f: Tiles, pads: tuple, in_size: tuple[int, ...], out: tuple) -> tuple:
    """The pads plus the rows/columns the last tile needs past the padded input."""
    return tuple(
        (b, a + f.m * f.count(o) + 2 - (n + b + a))
        for (b, a), n, o in zip(pads, in_size, out, strict=True)
    )


class Winograd(Algorithm):
    """F(2x2, 3x3) Winograd convolution, batch-last, forward and both backward passes."""

    name = "winograd"
    tiles: ClassVar[Tiles] = F2

    def applies(self, geometry: Geometry) -> bool:
        g = geometry
        one = g.stride == g.dilation == (1, 1) and g.groups == 1 and g.N >= 1
        return one and g.kernel_size == (3, 3)

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        g, f = geometry, self.tiles
        xb = batch_last(x, _extended(f, g.padding, g.in_size, g.out))
        yb, V = _winograd(f, xb, _weight_transform(f, weight), g.out)
        if bias is not None:
            yb += bias.reshape(-1, 1, 1, 1)  # yb is fresh: in place is safe
        if ctx.requires_grad:
            needs_x, needs_w = ctx.needs_input_grad[:2]
            ctx.save_for_backward(V if needs_w else None, weight if needs_x else None)
        return batch_first(yb)

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        g, f, xp = ctx.geometry, self.tiles, xp_of(grad_output)
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
            gb = batch_last(grad_output, _extended(f, ((2, 2), (2, 2)), g.out, padded))
            gxb, _ = _winograd(f, gb, _weight_transform(f, flipped), padded)
            (top, _), (left, _) = g.padding
            H, W = g.in_size
            grad_input = batch_first(gxb[:, top : top + H, left : left + W])
        return grad_input, grad_weight, grad_bias

    def _grad_weight(self, grad_output: Any, V: Any, g: Geometry) -> Any:
        xp, f, k = xp_of(grad_output), self.tiles, self.tiles.alpha
        th, tw, N = V.shape[3], V.shape[4], V.shape[5]
        gb = batch_last(grad_output, ((0, f.m * th - g.out[0]), (0, f.m * tw - g.out[1])))
        Gm = xp.empty((k, k, g.C_out, th, tw, N), dtype=grad_output.dtype)
        if _fused(gb):
            compiled.kernels(f.kernels, Gm.size).grad_output_transform(gb, Gm, g.C_out, th, tw, N)
        else:
            _grad_output_transform(f, gb, th, tw, Gm)
        Gk, Vk = Gm.reshape(k * k, g.C_out, -1), V.reshape(k * k, g.C_in, -1)
        grad_U = xp.empty((k * k, g.C_out, g.C_in), dtype=grad_output.dtype)
        with op_threads(k * k * g.C_out * g.C_in * Vk.shape[-1], splits=True) as tasks:
            ks = _split(tasks, list(range(k * k)))
            run_tasks([partial(_gemms, Gk, Vk, grad_U, part, True) for part in ks])
        return _grad_filter(f, grad_U).astype(grad_output.dtype)


def _grad_filter(f: Tiles, grad_U: Any) -> Any:
    """grad_g (C_out, C_in, 3, 3) = G^T grad_U G in float64; grad_U: (alpha^2, C_out, C_in)."""
    xp, (_, O, C) = xp_of(grad_U), grad_U.shape  # noqa: E741 - gemm.py's notation
    GG = _g_kron(f, grad_U)
    with op_threads(GG.size * O * C):
        grad_g = GG.T @ grad_U.reshape(-1, O * C).astype(GG.dtype)  # (9, C_out * C_in)
    return xp.ascontiguousarray(grad_g.T).reshape(O, C, 3, 3)


class Winograd4(Winograd):
    """F(4x4, 3x3) Winograd convolution: 36 products per 4x4 outputs, a larger float32 error."""

    name = "winograd4"
    tiles: ClassVar[Tiles] = F4
    exact = False  # about 10x im2col's float32 error: auto takes it below "highest" only
