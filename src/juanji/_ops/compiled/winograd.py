"""Numba kernels of the F(2x2, 3x3) Winograd transforms (``_ops/conv/winograd.py``), fused.

The NumPy transforms make 24 (input) and 12 (output) passes over strided views; these read
each tile once and write its 16 (or 4) numbers, one (channel, tile row) per parallel task, with
the batch innermost (contiguous, vectorised). Arrays are flat (``ravel()`` of C-contiguous
arrays) and indexed with unsigned offsets (see ``compiled/depthwise.py`` for why).

    input:  xb (C, 2th+2, 2tw+2, N) -> V (16, C, th, tw, N),   V = B^T d B per 4x4 tile d
    output: M (16, O, th, tw, N)    -> yb (O, 2th, 2tw, N),    Y = A^T m A per tile
    grad:   gb (O, 2th, 2tw, N)     -> Gm (16, O, th, tw, N),  Gm = A g A^T per 2x2 tile g
"""

from __future__ import annotations

import numba
import numpy as np
from numba import uintp

_JIT = {"cache": True, "parallel": True, "nogil": True}


@numba.njit(cache=True, inline="always")
def _bt(a0, a1, a2, a3):
    """B^T applied to one column of four numbers."""
    return a0 - a2, a1 + a2, a2 - a1, a1 - a3


@numba.njit(cache=True, inline="always")
def _at(a0, a1, a2, a3):
    """A^T applied to one column of four numbers."""
    return a0 + a1 + a2, a1 - a2 - a3


@numba.njit(cache=True, inline="always")
def _store4(v, k, plane, values):
    v[uintp(k)] = values[0]
    v[uintp(k + plane)] = values[1]
    v[uintp(k + 2 * plane)] = values[2]
    v[uintp(k + 3 * plane)] = values[3]


@numba.njit(**_JIT)
def input_transform(xb, V, C, th, tw, N):
    R = (2 * tw + 2) * N  # one input row
    x, v = xb.ravel(), V.ravel()
    plane = C * th * tw * N  # distance between V[k] and V[k + 1]
    for task in numba.prange(C * th):
        c, t = task // th, task % th
        for u in range(tw):
            out = ((c * th + t) * tw + u) * N
            base = (c * (2 * th + 2) + 2 * t) * R + 2 * u * N
            for n in range(N):  # innermost and contiguous: vectorised
                b = base + n
                c0 = _bt(x[uintp(b)], x[uintp(b + R)], x[uintp(b + 2 * R)], x[uintp(b + 3 * R)])
                b += N
                c1 = _bt(x[uintp(b)], x[uintp(b + R)], x[uintp(b + 2 * R)], x[uintp(b + 3 * R)])
                b += N
                c2 = _bt(x[uintp(b)], x[uintp(b + R)], x[uintp(b + 2 * R)], x[uintp(b + 3 * R)])
                b += N
                c3 = _bt(x[uintp(b)], x[uintp(b + R)], x[uintp(b + 2 * R)], x[uintp(b + 3 * R)])
                k = out + n
                _store4(v, k, plane, _bt(c0[0], c1[0], c2[0], c3[0]))
                _store4(v, k + 4 * plane, plane, _bt(c0[1], c1[1], c2[1], c3[1]))
                _store4(v, k + 8 * plane, plane, _bt(c0[2], c1[2], c2[2], c3[2]))
                _store4(v, k + 12 * plane, plane, _bt(c0[3], c1[3], c2[3], c3[3]))


@numba.njit(cache=True, inline="always")
def _column(m, k, plane):
    """A^T over tile rows of column j: m[k], m[k + 4 plane], m[k + 8 plane], m[k + 12 plane]."""
    return _at(
        m[uintp(k)], m[uintp(k + 4 * plane)], m[uintp(k + 8 * plane)], m[uintp(k + 12 * plane)]
    )


@numba.njit(**_JIT)
def output_transform(M, yb, O, th, tw, N):
    m, y = M.ravel(), yb.ravel()
    plane = O * th * tw * N
    R = 2 * tw * N  # one output row
    for task in numba.prange(O * th):
        o, t = task // th, task % th
        for u in range(tw):
            src = ((o * th + t) * tw + u) * N
            dst = (o * 2 * th + 2 * t) * R + 2 * u * N
            for n in range(N):
                k = src + n
                s0, s1 = _column(m, k, plane), _column(m, k + plane, plane)
                s2, s3 = _column(m, k + 2 * plane, plane), _column(m, k + 3 * plane, plane)
                top, bottom = _at(s0[0], s1[0], s2[0], s3[0]), _at(s0[1], s1[1], s2[1], s3[1])
                y[uintp(dst + n)], y[uintp(dst + n + N)] = top
                y[uintp(dst + n + R)], y[uintp(dst + n + R + N)] = bottom


@numba.njit(**_JIT)
def grad_output_transform(gb, Gm, O, th, tw, N):
    g, out = gb.ravel(), Gm.ravel()
    plane = O * th * tw * N
    W = 2 * tw
    for task in numba.prange(O * th):
        o, t = task // th, task % th
        s = np.empty((4, 2), dtype=gb.dtype)
        for u in range(tw):
            dst = ((o * th + t) * tw + u) * N
            for n in range(N):
                top = ((o * 2 * th + 2 * t) * W + 2 * u) * N + n
                for j in range(2):  # A along the rows
                    y0, y1 = g[uintp(top + j * N)], g[uintp(top + W * N + j * N)]
                    s[0, j], s[1, j], s[2, j], s[3, j] = y0, y0 + y1, y0 - y1, -y1
                for a in range(4):  # A^T along the columns
                    k = dst + n + 4 * a * plane
                    out[uintp(k)] = s[a, 0]
                    out[uintp(k + plane)] = s[a, 0] + s[a, 1]
                    out[uintp(k + 2 * plane)] = s[a, 0] - s[a, 1]
                    out[uintp(k + 3 * plane)] = -s[a, 1]
