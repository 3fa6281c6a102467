"""Sliding windows as strided views: the basis of im2col, convolution and pooling.

Notation (used by every convolution and pooling kernel):
    N       batch size                  C       channels
    S       number of spatial dims (1, 2 or 3)
    in_     spatial input size, a tuple of S ints (already padded here)
    k       kernel size, a tuple of S ints
    s, d    stride and dilation, tuples of S ints
    out     output size per dim: (in_ - d*(k-1) - 1) // s + 1

A window view has shape (N, C, *out, *k) and shares memory with the input: element
[n, c, o_1..o_S, i_1..i_S] is x[n, c, o_1*s_1 + i_1*d_1, ...]. No pixel is copied until a
consumer (a GEMM, a max) asks for a contiguous layout.
"""

from __future__ import annotations

from typing import Any

from juanji.backend import as_strided


def sliding_windows(x: Any, kernel_size: tuple[int, ...], stride: tuple[int, ...],
                    dilation: tuple[int, ...]) -> Any:
    """Return the read-only window view (N, C, *out, *k) of an (already padded) input.

    Args:
        x: array of shape (N, C, *in_) with S = len(kernel_size) spatial dims.
        kernel_size, stride, dilation: tuples of S positive ints; the kernel must fit.

    Example:
        >>> import numpy as np
        >>> w = sliding_windows(np.arange(5.0).reshape(1, 1, 5), (2,), (2,), (1,))
        >>> w.shape, w[0, 0].tolist()
        ((1, 1, 2, 2), [[0.0, 1.0], [2.0, 3.0]])
    """
    spatial = len(kernel_size)
    lead_strides = x.strides[: x.ndim - spatial]
    in_strides = x.strides[x.ndim - spatial:]
    in_size = x.shape[x.ndim - spatial:]
    out = tuple(
        (n - dl * (k - 1) - 1) // st + 1
        for n, k, st, dl in zip(in_size, kernel_size, stride, dilation, strict=True)
    )
    assert all(o > 0 for o in out), "callers check that the kernel fits"
    shape = x.shape[: x.ndim - spatial] + out + tuple(kernel_size)
    strides = (
        lead_strides
        + tuple(st * bs for st, bs in zip(stride, in_strides, strict=True))
        + tuple(dl * bs for dl, bs in zip(dilation, in_strides, strict=True))
    )
    return as_strided(x, shape=shape, strides=strides, writeable=False)
