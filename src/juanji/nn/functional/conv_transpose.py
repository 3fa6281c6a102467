"""Transposed convolution (``conv_transpose1d``, ``conv_transpose2d``, ``conv_transpose3d``).

A transposed convolution is the adjoint of a convolution in its input: ``conv_transpose(y, w)``
is the input gradient that ``conv(x, w)`` sends back for an output gradient ``y``, with the same
weight, stride, padding, dilation and groups. It is often called "deconvolution" and used to
upsample (DCGAN's generator, U-Net's decoder). Each input pixel scatters a copy of the kernel,
scaled by its value, onto the output at ``stride`` pixels apart; overlapping copies add.

Weight layout (PyTorch's): ``(C_in, C_out / groups, *k)``, the transpose of a convolution's
``(C_out, C_in / groups, *k)``. Per dimension the output size is::

    out = (n - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1

``padding`` crops ``padding`` pixels from both ends of that full scatter (it undoes the
convolution's padding), and ``output_padding`` adds pixels at the end only: a strided
convolution maps several input sizes onto one output size, and ``output_padding`` picks which
one to go back to. It must be smaller than the stride or the dilation.

How juanji computes it, through the same matrix form as ``conv2d`` (see
``juanji.nn.functional.conv``): per group one matrix product ``W_g.T @ x_g``, of the
``(C_out/G * prod(k), C_in/G)`` transposed weight and the ``(C_in/G, N * L)`` input pixels, gives
the columns of every kernel copy; ``fold`` (col2im) adds them onto the image. Gradients come
from autograd through those two differentiable steps: the input gradient is a convolution (an
``unfold`` and a matrix product), the weight gradient one matrix product over all samples.
"""

from __future__ import annotations

import math
from typing import Any

from juanji.nn.functional._checks import (
    _is_int,
    check_float,
    check_ndim,
    check_same_dtype,
    check_tensor,
    int_tuple,
)
from juanji.nn.functional.conv import fold
from juanji.nn.functional.padding import pad
from juanji.tensor.tensor import Tensor

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "transposed_output_size"]

_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def transposed_output_size(
    in_size: tuple[int, ...],
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """``(n - 1)*s - 2*p + d*(k - 1) + output_padding + 1`` per dimension.

    Example:
        >>> transposed_output_size((4,), (4,), (2,), (1,), (0,), (1,))   # DCGAN's doubling
        (8,)
    """
    return tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(
            in_size, kernel_size, stride, padding, output_padding, dilation, strict=True
        )
    )


def _check_layout(fn: str, S: int, input: Any, weight: Any, bias: Any, groups: Any) -> int:
    """Check tensors, ranks, channels and groups; return C_out."""
    check_tensor(fn, "input", input)
    check_tensor(fn, "weight", weight)
    check_tensor(fn, "bias", bias, optional=True)
    check_float(fn, "input", input)
    check_same_dtype(fn, input=input, weight=weight, bias=bias)
    axes = ", ".join(_AXES[S])
    kernel_axes = ", ".join("k" + a for a in _AXES[S])
    check_ndim(
        fn, "input", input, (S + 1, S + 2), f"{S + 1}-D (C, {axes}) or {S + 2}-D (N, C, {axes})"
    )
    check_ndim(fn, "weight", weight, (S + 2,), f"{S + 2}-D (C_in, C_out / groups, {kernel_axes})")
    if not _is_int(groups):
        raise TypeError(f"{fn}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{fn}: groups must be >= 1, got {groups}")
    C_in = input.shape[-S - 1]
    if weight.shape[0] % groups:
        raise ValueError(
            f"{fn}: groups={groups} must divide the input channels (weight.shape[0]), got "
            f"{weight.shape[0]}"
        )
    if C_in != weight.shape[0]:
        raise ValueError(
            f"{fn}: input has {C_in} channels but weight expects {weight.shape[0]} "
            f"(weight.shape[0]; a transposed convolution's weight is (C_in, C_out / groups, ...))"
        )
    C_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(
            f"{fn}: bias must have shape ({C_out},) (weight.shape[1] * groups), got {bias.shape}"
        )
    return C_out


def _geometry(
    fn: str, S: int, in_size: tuple[int, ...], kernel: tuple[int, ...], args: dict[str, Any]
) -> tuple[tuple[int, ...], ...]:
    """Validate stride/padding/output_padding/dilation; return them and the output size."""
    if isinstance(args["padding"], str):
        raise ValueError(
            f"{fn}: padding must be an int or a tuple of {S} ints (no strings for a transposed "
            f"convolution), got {args['padding']!r}"
        )
    stride = int_tuple(fn, "stride", args["stride"], S)
    padding = int_tuple(fn, "padding", args["padding"], S, minimum=0)
    output_padding = int_tuple(fn, "output_padding", args["output_padding"], S, minimum=0)
    dilation = int_tuple(fn, "dilation", args["dilation"], S)
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= s and op >= d:
            raise ValueError(
                f"{fn}: output_padding must be smaller than either stride or dilation in every "
                f"dimension, got output_padding={output_padding}, stride={stride}, "
                f"dilation={dilation}"
            )
    out = transposed_output_size(in_size, kernel, stride, padding, output_padding, dilation)
    if any(o < 1 for o in out):
        raise ValueError(
            f"{fn}: output size (n - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1 "
            f"= {out} for input size {in_size}, kernel_size {kernel}, stride {stride}, padding "
            f"{padding}, output_padding {output_padding}, dilation {dilation}; must be >= 1"
        )
    return stride, padding, output_padding, dilation, out


def _conv_transpose_nd(
    fn: str, S: int, input: Any, weight: Any, bias: Any, groups: Any, **args: Any
) -> Tensor:
    """Validate, then scatter the kernel copies: one GEMM per group and one fold."""
    C_out = _check_layout(fn, S, input, weight, bias, groups)
    kernel = tuple(weight.shape[2:])
    batched = input.ndim == S + 2
    x = input if batched else input.unsqueeze(0)
    in_size = tuple(x.shape[2:])
    stride, padding, output_padding, dilation, out = _geometry(fn, S, in_size, kernel, args)
    N, C_in = x.shape[:2]
    G, L, taps = groups, math.prod(in_size), math.prod(kernel)
    # The batch joins the pixels as GEMM columns, so the weight gradient is one product over all
    # samples (a broadcast batch would make N weight-sized gradients first).
    xg = x.reshape(N, G, C_in // G, L).permute(1, 2, 0, 3).reshape(G, C_in // G, N * L)
    wt = weight.reshape(G, C_in // G, (C_out // G) * taps).transpose(1, 2)  # (G, O_g*K, C_g)
    col = (wt @ xg).reshape(G, (C_out // G) * taps, N, L)  # (G, O_g*K, N, L)
    col = col.permute(2, 0, 1, 3).reshape(N, C_out * taps, L)  # (N, C_out*K, L): fold's layout
    full = tuple(
        (n - 1) * s + d * (k - 1) + 1
        for n, s, d, k in zip(in_size, stride, dilation, kernel, strict=True)
    )
    y = fold(col, full, kernel, dilation=dilation, stride=stride)  # (N, C_out, *full)
    crop = [(-p, op - p) for p, op in zip(padding, output_padding, strict=True)]
    if any(before or after for before, after in crop):
        y = pad(y, tuple(v for pair in reversed(crop) for v in pair))  # crop padding, add op
    if bias is not None:
        y = y + bias.reshape((1, C_out) + (1,) * S)
    assert tuple(y.shape[2:]) == out
    return y if batched else y.squeeze(0)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """2-D transposed convolution, the adjoint of ``conv2d`` in its input.

    The arithmetic is explained in the module docstring of
    ``juanji.nn.functional.conv_transpose``.

    Args:
        input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``, floating point.
        weight: ``(C_in, C_out / groups, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride: int or pair >= 1. Default 1.
        padding: int or pair >= 0, cropped from both ends of every spatial dim. Default 0.
        output_padding: int or pair >= 0 added at the end; smaller than stride or dilation.
        groups: int dividing C_in; output channel group g sees input channel group g.
        dilation: int or pair >= 1, spacing of the kernel taps. Default 1.

    Returns:
        ``(N, C_out, H_out, W_out)`` (without N for an unbatched input), input's dtype.

    Raises:
        TypeError, ValueError: for bad tensors, channels, groups or geometry (the message names
            the argument).

    Shape:
        ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding_H + 1``, W_out likewise.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> F.conv_transpose2d(x, juanji.ones(1, 1, 2, 2), stride=2)[0, 0].tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    """
    return _conv_transpose_nd(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        groups,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The 1-D case of ``conv_transpose2d``: input ``(N, C_in, L)``, weight ``(C_in, C_out/G, k)``.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> F.conv_transpose1d(juanji.tensor([[[1.0, 2.0]]]), juanji.ones(1, 1, 3)).tolist()
        [[[1.0, 3.0, 3.0, 2.0]]]
    """
    return _conv_transpose_nd(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        groups,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The 3-D case of ``conv_transpose2d``: input ``(N, C_in, D, H, W)``.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x, w = juanji.ones(1, 2, 2, 2, 2), juanji.ones(2, 3, 2, 2, 2)
        >>> F.conv_transpose3d(x, w, stride=2).shape
        (1, 3, 4, 4, 4)
    """
    return _conv_transpose_nd(
        "conv_transpose3d",
        3,
        input,
        weight,
        bias,
        groups,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
