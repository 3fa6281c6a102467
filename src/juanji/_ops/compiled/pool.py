"""Numba kernels of 2-d max and average pooling, forward and backward, on canonical arrays.

Arrays are ``(A, H, W*B)`` C-contiguous (``_ops/pool_planes.py`` arranges them): A planes of
H x W pixels with B numbers per pixel (B = the batch when the input is batch-last, else 1).
Padding is never materialised: each window visits only its taps inside the image, starting at
``i0 = ceil(-h0 / dh)`` (the first tap past the top padding) and stopping at the bottom edge.

Max follows ``_ops/pool.py``'s tie rule exactly: the running maximum starts at -inf pointing at
the window's first in-image pixel, and a tap replaces it only if strictly greater or NaN (so
the first maximum in row-major order wins, a NaN propagates). The index is PyTorch's: the
row-major offset ``ih * W + iw`` within one plane. Backward adds each output's gradient at its
index (windows may overlap, so shares add). Average sums the in-image taps (the padding adds
zeros) and divides by the divisor ``_ops/pool.py`` computed, an (OH, OW) array; its backward
gives every in-image tap of a window the same share.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import uintp

_JIT = {"cache": True, "parallel": True, "nogil": True}


@numba.njit(cache=True, inline="always")
def _first(start, dilation):
    """The first tap index whose pixel is not in the leading padding: ceil(-start / d)."""
    return 0 if start >= 0 else (-start + dilation - 1) // dilation


@numba.njit(cache=True, inline="always")
def _columns(off, stride, W, OW):
    """[lo, hi): the output columns ow with 0 <= ow*stride + off < W."""
    lo = 0 if off >= 0 else (-off + stride - 1) // stride
    hi = (W - 1 - off) // stride + 1 if W - 1 - off >= 0 else 0
    return lo, max(lo, min(hi, OW))


@numba.njit(cache=True, inline="always")
def _max_tap(src, s0, step, out, arg, flat0, flat_step, n, B):
    """Windows k < n (k = ow*B + b) meet src[s0 + (k//B)*step + k%B]: keep the running max.

    Replaces where strictly greater or NaN, as a select (no branch: LLVM vectorises it).
    """
    for ow in range(n):
        flat = flat0 + ow * flat_step
        for b in range(B):
            k = uintp(ow * B + b)
            value, best = src[uintp(s0 + ow * step + b)], out[k]
            take = (value > best) | (value != value)
            out[k] = value if take else best
            arg[k] = flat if take else arg[k]


@numba.njit(cache=True, inline="always")
def _phases(plane, buf, sw):
    """buf[p, ih, q] = plane[ih, q*sw + p]: each phase of a strided column walk, contiguous."""
    H, W = plane.shape
    for p in range(sw):
        for ih in range(H):
            row, dst = plane[ih], buf[p, ih]
            for q in range((W - p + sw - 1) // sw):
                dst[uintp(q)] = row[uintp(q * sw + p)]


@numba.njit(**_JIT)
def max_forward(x, y, idx, B, kh, kw, sh, sw, ph, pw, dh, dw):
    A, H, WB = x.shape
    OH, OWB = y.shape[1], y.shape[2]
    W, OW = WB // B, OWB // B
    Wq = (W + sw - 1) // sw
    for a in numba.prange(A):
        if B == 1:  # NCHW: read each column phase contiguously (strided loads do not vectorise)
            buf = np.empty((sw, H, Wq), dtype=x.dtype)
            _phases(x[a], buf, sw)
        for oh in range(OH):
            out, arg = y[a, oh], idx[a, oh]
            h0 = oh * sh - ph
            top = h0 + _first(h0, dh) * dh
            for ow in range(OW):
                w0 = ow * sw - pw
                first = top * W + w0 + _first(w0, dw) * dw
                for b in range(B):
                    out[uintp(ow * B + b)] = -np.inf
                    arg[uintp(ow * B + b)] = first
            for i in range(kh):  # taps in row-major order: the tie rule
                ih = h0 + i * dh
                if ih < 0 or ih >= H:
                    continue
                for j in range(kw):
                    off = j * dw - pw
                    lo, hi = _columns(off, sw, W, OW)
                    flat0 = ih * W + lo * sw + off
                    if B == 1:
                        src = buf[off % sw, ih]
                        _max_tap(
                            src[lo + off // sw :], 0, 1, out[lo:], arg[lo:], flat0, sw, hi - lo, 1
                        )
                    else:
                        src = x[a, ih]
                        s0 = (lo * sw + off) * B
                        _max_tap(
                            src, s0, sw * B, out[lo * B :], arg[lo * B :], flat0, sw, hi - lo, B
                        )


@numba.njit(**_JIT)
def max_backward(gy, idx, gx, B):
    A = gx.shape[0]
    OH, OWB = gy.shape[1], gy.shape[2]
    for a in numba.prange(A):
        grad, g, arg = gx[a].ravel(), gy[a], idx[a]
        grad[:] = 0.0
        for oh in range(OH):
            for ow in range(OWB // B):  # pixel (ih, iw), number b is at (ih*W + iw)*B + b
                for b in range(B):
                    q = uintp(ow * B + b)
                    grad[uintp(arg[oh, q] * B + b)] += g[oh, q]


@numba.njit(**_JIT)
def avg_forward(x, y, divisor, B, kh, kw, sh, sw, ph, pw):
    A, H, WB = x.shape
    OH, OWB = y.shape[1], y.shape[2]
    W, OW = WB // B, OWB // B
    for a in numba.prange(A):
        for oh in range(OH):
            out = y[a, oh]
            out[:] = 0.0
            for i in range(kh):
                ih = oh * sh - ph + i
                if ih < 0 or ih >= H:
                    continue
                row = x[a, ih]
                for j in range(kw):
                    off = j - pw
                    lo, hi = _columns(off, sw, W, OW)
                    for ow in range(lo, hi):
                        base = (ow * sw + off) * B
                        for b in range(B):
                            out[uintp(ow * B + b)] += row[uintp(base + b)]
            for ow in range(OW):
                for b in range(B):
                    out[uintp(ow * B + b)] /= divisor[oh, ow]


@numba.njit(**_JIT)
def avg_backward(gy, divisor, gx, B, kh, kw, sh, sw, ph, pw):
    A, H, WB = gx.shape
    OH, OWB = gy.shape[1], gy.shape[2]
    W, OW = WB // B, OWB // B
    for a in numba.prange(A):
        grad = gx[a]
        grad[:] = 0.0
        share = np.empty(OWB, dtype=gx.dtype)
        for oh in range(OH):
            for ow in range(OW):
                for b in range(B):
                    share[uintp(ow * B + b)] = gy[a, oh, uintp(ow * B + b)] / divisor[oh, ow]
            for i in range(kh):
                ih = oh * sh - ph + i
                if ih < 0 or ih >= H:
                    continue
                row = grad[ih]
                for j in range(kw):
                    off = j - pw
                    lo, hi = _columns(off, sw, W, OW)
                    for ow in range(lo, hi):
                        base = (ow * sw + off) * B
                        for b in range(B):
                            row[uintp(base + b)] += share[uintp(ow * B + b)]
