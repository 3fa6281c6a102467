"""Numba kernels of depthwise convolution (groups == C_in), direct: no im2col.

Arrays are canonical (``compiled.canonical``) with the last two axes merged: x is
``(A, C, H, W*B)``, y ``(A, O, OH, OW*B)``, weight ``(O, kh, kw)``; output channel o reads input
channel ``c = o // M`` (M = O / C filters per channel, PyTorch's channel multiplier).

    y[a, o, oh, ow, b]       = bias[o] + sum_{i,j} w[o,i,j] * x[a, c, oh*sh - ph + i*dh,
                                                                 ow*sw - pw + j*dw, b]
    grad_x[a, c, ih, iw, b] += w[o,i,j] * grad_y[a, o, oh, ow, b]   (the same index map)
    grad_w[o, i, j]          = sum_{a, oh, ow, b} grad_y[a, o, oh, ow, b] * x[a, c, ...]

Two loop shapes:

* **stride 1 ("plane")**: one (sample, channel) plane is copied into a zero-padded buffer of
  width ``Wp = OW + (kw-1)*dw``; the output is computed in that width too, so tap (i, j) is ONE
  contiguous multiply-add over the whole plane, shifted by ``(i*dh*Wp + j*dw) * B`` numbers
  (the extra columns are dropped when the plane is copied out). Long loops, no branches:
  LLVM vectorises them (AVX2/AVX-512).
* **other strides ("rows")**: per output row and tap, the range of output columns whose input
  column lies inside the image; vectorised along the batch when B > 1.

Every index is cast to an unsigned int (``uintp``): with a signed index Numba emits the
negative-index wrap-around per element, which stops the vectoriser (measured 13x slower).
grad_w's sums run in ``_dot``, which lets LLVM reassociate (several partial sums in vector
lanes): the result differs from a sequential sum by float rounding only, and is the same on
every run.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import uintp

_JIT = {"cache": True, "parallel": True, "nogil": True, "fastmath": {"contract"}}
_INLINE = {"cache": True, "inline": "always", "fastmath": {"contract"}}
# grad_w's kernels: Numba inlines _dot into its caller with the CALLER's flags, so the
# reassociation its vector lanes need is set on the caller (measured 6x faster).
_JIT_SUMS = dict(_JIT, fastmath={"contract", "reassoc"})


@numba.njit(**_INLINE)
def _columns(off, stride, W, OW):
    """[lo, hi): the output columns ow with 0 <= ow*stride + off < W."""
    lo = 0 if off >= 0 else (-off + stride - 1) // stride
    hi = (W - 1 - off) // stride + 1 if W - 1 - off >= 0 else 0
    return lo, max(lo, min(hi, OW))


@numba.njit(**_INLINE)
def _axpy(dst, d0, src, s0, weight, n):
    """dst[d0 : d0 + n] += weight * src[s0 : s0 + n]."""
    for q in range(n):
        dst[uintp(d0 + q)] += weight * src[uintp(s0 + q)]


@numba.njit(cache=True, inline="always", fastmath={"contract", "reassoc"})
def _dot(a, a0, b, b0, n):
    """sum(a[a0 : a0 + n] * b[b0 : b0 + n]), reassociated into vector lanes."""
    total = a.dtype.type(0)
    for q in range(n):
        total += a[uintp(a0 + q)] * b[uintp(b0 + q)]
    return total


@numba.njit(**_INLINE)
def _pad_plane(plane, buf, ph, pw, B, Wp):
    """Copy the (H, W*B) plane into buf (flat Hp x Wp*B) at row ph, column pw; zeros around."""
    H, WB = plane.shape
    buf[:] = 0
    for ih in range(H):
        row = plane[ih]
        start = ((ih + ph) * Wp + pw) * B
        for q in range(WB):
            buf[uintp(start + q)] = row[uintp(q)]


@numba.njit(**_INLINE)
def _gapped(plane, buf, WpB):
    """Copy the (OH, OW*B) plane into buf (flat) with rows WpB apart; zeros in the gaps."""
    OH, OWB = plane.shape
    buf[:] = 0
    for oh in range(OH):
        row = plane[oh]
        for q in range(OWB):
            buf[uintp(oh * WpB + q)] = row[uintp(q)]


@numba.njit(**_JIT)
def forward_plane(x, w, bias, y, B, ph, pw, dh, dw):
    A, C, H, WB = x.shape
    O, OH, OWB = y.shape[1], y.shape[2], y.shape[3]
    kh, kw, M = w.shape[1], w.shape[2], O // C
    Hp, Wp = OH + (kh - 1) * dh, OWB // B + (kw - 1) * dw
    WpB = Wp * B
    n = (OH - 1) * WpB + OWB
    for task in numba.prange(A * O):
        a, o = task // O, task % O
        buf = np.empty(Hp * WpB, dtype=x.dtype)
        _pad_plane(x[a, o // M], buf, ph, pw, B, Wp)
        acc = np.full(n, bias[o], dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                _axpy(acc, 0, buf, (i * dh * Wp + j * dw) * B, w[o, i, j], n)
        for oh in range(OH):
            dst = y[a, o, oh]
            for q in range(OWB):
                dst[uintp(q)] = acc[uintp(oh * WpB + q)]


@numba.njit(**_JIT)
def grad_input_plane(gy, w, gx, B, ph, pw, dh, dw):
    A, C, H, WB = gx.shape
    O, OH, OWB = gy.shape[1], gy.shape[2], gy.shape[3]
    kh, kw, M = w.shape[1], w.shape[2], O // C
    Hp, Wp = OH + (kh - 1) * dh, OWB // B + (kw - 1) * dw
    WpB = Wp * B
    n = (OH - 1) * WpB + OWB
    for task in numba.prange(A * C):
        a, c = task // C, task % C
        g = np.empty(n, dtype=gy.dtype)
        acc = np.zeros(Hp * WpB, dtype=gy.dtype)
        for m in range(M):
            o = c * M + m
            _gapped(gy[a, o], g, WpB)
            for i in range(kh):
                for j in range(kw):
                    _axpy(acc, (i * dh * Wp + j * dw) * B, g, 0, w[o, i, j], n)
        for ih in range(H):
            dst = gx[a, c, ih]
            start = ((ih + ph) * Wp + pw) * B
            for q in range(WB):
                dst[uintp(q)] = acc[uintp(start + q)]


@numba.njit(**_JIT_SUMS)
def grad_weight_plane(gy, x, gw, B, ph, pw, dh, dw):
    A, C, H, WB = x.shape
    O, OH, OWB = gy.shape[1], gy.shape[2], gy.shape[3]
    kh, kw, M = gw.shape[1], gw.shape[2], O // C
    Hp, Wp = OH + (kh - 1) * dh, OWB // B + (kw - 1) * dw
    WpB = Wp * B
    n = (OH - 1) * WpB + OWB
    for o in numba.prange(O):
        buf = np.empty(Hp * WpB, dtype=x.dtype)
        g = np.empty(n, dtype=gy.dtype)
        sums = np.zeros((kh, kw), dtype=gw.dtype)
        for a in range(A):
            _pad_plane(x[a, o // M], buf, ph, pw, B, Wp)
            _gapped(gy[a, o], g, WpB)
            for i in range(kh):
                for j in range(kw):
                    sums[i, j] += _dot(g, 0, buf, (i * dh * Wp + j * dw) * B, n)
        gw[o] = sums


@numba.njit(**_JIT)
def forward_rows(x, w, bias, y, B, sh, sw, ph, pw, dh, dw):
    A, C, H, WB = x.shape
    O, OH, OWB = y.shape[1], y.shape[2], y.shape[3]
    W, OW, M = WB // B, OWB // B, O // C
    kh, kw = w.shape[1], w.shape[2]
    for task in numba.prange(A * O):
        a, o = task // O, task % O
        for oh in range(OH):
            row = y[a, o, oh]
            row[:] = bias[o]
            for i in range(kh):
                ih = oh * sh - ph + i * dh
                if ih < 0 or ih >= H:
                    continue
                src = x[a, o // M, ih]
                for j in range(kw):
                    off = j * dw - pw
                    lo, hi = _columns(off, sw, W, OW)
                    for ow in range(lo, hi):
                        _axpy(row, ow * B, src, (ow * sw + off) * B, w[o, i, j], B)


@numba.njit(**_JIT)
def grad_input_rows(gy, w, gx, B, sh, sw, ph, pw, dh, dw):
    A, C, H, WB = gx.shape
    O, OH, OWB = gy.shape[1], gy.shape[2], gy.shape[3]
    W, OW, M = WB // B, OWB // B, O // C
    kh, kw = w.shape[1], w.shape[2]
    for task in numba.prange(A * C):
        a, c = task // C, task % C
        gx[a, c] = 0.0
        for m in range(M):
            o = c * M + m
            for oh in range(OH):
                grow = gy[a, o, oh]
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= H:
                        continue
                    dst = gx[a, c, ih]
                    for j in range(kw):
                        off = j * dw - pw
                        lo, hi = _columns(off, sw, W, OW)
                        for ow in range(lo, hi):
                            _axpy(dst, (ow * sw + off) * B, grow, ow * B, w[o, i, j], B)


@numba.njit(**_JIT_SUMS)
def grad_weight_rows(gy, x, gw, B, sh, sw, ph, pw, dh, dw):
    A, C, H, WB = x.shape
    O, OH, OWB = gy.shape[1], gy.shape[2], gy.shape[3]
    W, OW, M = WB // B, OWB // B, O // C
    kh, kw = gw.shape[1], gw.shape[2]
    for o in numba.prange(O):
        sums = np.zeros((kh, kw), dtype=gw.dtype)
        for a in range(A):
            for oh in range(OH):
                grow = gy[a, o, oh]
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= H:
                        continue
                    src = x[a, o // M, ih]
                    for j in range(kw):
                        off = j * dw - pw
                        lo, hi = _columns(off, sw, W, OW)
                        for ow in range(lo, hi):
                            sums[i, j] += _dot(grow, ow * B, src, (ow * sw + off) * B, B)
        gw[o] = sums
