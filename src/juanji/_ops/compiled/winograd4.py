"""Numba kernels of the F(4x4, 3x3) Winograd transforms (``_ops/conv/winograd.py``), fused.

As ``compiled/winograd.py`` for F(2x2, 3x3), on 6x6 input tiles at stride 4, one (channel,
tile row) per parallel task, with the batch innermost (contiguous, vectorised). Each tile goes
through a (6, 6, N) scratch in two passes, the 1-d transform down the columns and then along
the rows: the one-pass form of ``compiled/winograd.py`` holds 36 numbers per sample in
registers, which do not fit, and measured 5x slower (21 ms against 3.8 for the input
transform of a 64-channel 32x32 batch of 32).

    input:  xb (C, 4th+2, 4tw+2, N) -> V (36, C, th, tw, N),   V = B^T d B per 6x6 tile d
    output: M (36, O, th, tw, N)    -> yb (O, 4th, 4tw, N),    Y = A^T m A per tile
    grad:   gb (O, 4th, 4tw, N)     -> Gm (36, O, th, tw, N),  Gm = A g A^T per 4x4 tile g

The 1-d transforms are the usual factored forms (B^T: 12 additions and 6 scalings for six
numbers instead of 22 multiply-adds). Their constants 2, 4, 5, 8 are made in the arrays' dtype
(``dtype.type``): a Python number would turn float32 arithmetic into float64.
"""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"cache": True, "parallel": True, "nogil": True}
_INLINE = {"cache": True, "inline": "always"}


@numba.njit(**_INLINE)
def _constants(a):
    """(2, 4, 5, 8) in a's dtype."""
    return a.dtype.type(2), a.dtype.type(4), a.dtype.type(5), a.dtype.type(8)


@numba.njit(**_INLINE)
def _bt(d, c):
    """B^T applied to one column d of six numbers; c = _constants(...)."""
    p, q = d[4] - c[1] * d[2], d[3] - c[1] * d[1]
    r, s = d[4] - d[2], c[0] * (d[3] - d[1])
    first, last = c[1] * d[0] - c[2] * d[2] + d[4], c[1] * d[1] - c[2] * d[3] + d[5]
    return first, p + q, p - q, r + s, r - s, last


@numba.njit(**_INLINE)
def _at(m, c):
    """A^T applied to one column m of six numbers: four numbers."""
    p, q, r, s = m[1] + m[2], m[1] - m[2], m[3] + m[4], m[3] - m[4]
    return m[0] + p + r, q + c[0] * s, p + c[1] * r, q + c[3] * s + m[5]


@numba.njit(**_INLINE)
def _a(g, c):
    """A (the transpose of A^T) applied to one column g of four numbers: six numbers."""
    even, odd = g[0] + g[2], g[1] + g[3]
    even4, odd4 = g[0] + c[1] * g[2], c[0] * g[1] + c[3] * g[3]
    return g[0], even + odd, even - odd, even4 + odd4, even4 - odd4, g[3]


@numba.njit(**_JIT)
def input_transform(xb, V, C, th, tw, N):
    c = _constants(xb)
    for task in numba.prange(C * th):
        ch, t = task // th, task % th
        s, i = np.empty((6, 6, N), dtype=xb.dtype), 4 * t
        for u in range(tw):
            for j in range(4 * u, 4 * u + 6):  # B^T down column j of the tile
                for n in range(N):
                    column = (
                        xb[ch, i, j, n], xb[ch, i + 1, j, n], xb[ch, i + 2, j, n],
                        xb[ch, i + 3, j, n], xb[ch, i + 4, j, n], xb[ch, i + 5, j, n],
                    )  # fmt: skip
                    values = _bt(column, c)
                    for a in range(6):
                        s[a, j - 4 * u, n] = values[a]
            for a in range(6):  # then B along row a
                for n in range(N):
                    row = _bt(
                        (s[a, 0, n], s[a, 1, n], s[a, 2, n], s[a, 3, n], s[a, 4, n], s[a, 5, n]), c
                    )
                    for b in range(6):
                        V[a, b, ch, t, u, n] = row[b]


@numba.njit(**_JIT)
def output_transform(M, yb, O, th, tw, N):
    c, m = _constants(M), M.reshape((6, 6, O, th, tw, N))
    for task in numba.prange(O * th):
        o, t = task // th, task % th
        s = np.empty((4, 6, N), dtype=M.dtype)
        for u in range(tw):
            for b in range(6):  # A^T down column b
                for n in range(N):
                    column = (
                        m[0, b, o, t, u, n], m[1, b, o, t, u, n], m[2, b, o, t, u, n],
                        m[3, b, o, t, u, n], m[4, b, o, t, u, n], m[5, b, o, t, u, n],
                    )  # fmt: skip
                    values = _at(column, c)
                    for i in range(4):
                        s[i, b, n] = values[i]
            for i in range(4):  # then A along row i
                for n in range(N):
                    row = _at(
                        (s[i, 0, n], s[i, 1, n], s[i, 2, n], s[i, 3, n], s[i, 4, n], s[i, 5, n]), c
                    )
                    for j in range(4):
                        yb[o, 4 * t + i, 4 * u + j, n] = row[j]


@numba.njit(**_JIT)
def grad_output_transform(gb, Gm, O, th, tw, N):
    c = _constants(gb)
    for task in numba.prange(O * th):
        o, t = task // th, task % th
        s, i = np.empty((6, 4, N), dtype=gb.dtype), 4 * t
        for u in range(tw):
            for j in range(4):  # A down column j of the 4x4 tile
                for n in range(N):
                    w = 4 * u + j
                    column = (gb[o, i, w, n], gb[o, i + 1, w, n],
                              gb[o, i + 2, w, n], gb[o, i + 3, w, n])  # fmt: skip
                    values = _a(column, c)
                    for a in range(6):
                        s[a, j, n] = values[a]
            for a in range(6):  # then A^T along row a
                for n in range(N):
                    row = _a((s[a, 0, n], s[a, 1, n], s[a, 2, n], s[a, 3, n]), c)
                    for b in range(6):
                        Gm[a, b, o, t, u, n] = row[b]
