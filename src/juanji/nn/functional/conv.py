"""Convolution (``conv1d``, ``conv2d``, ``conv3d``) and its matrix form (``unfold``, ``fold``).

Notation: an input has ``N`` samples (optional: an unbatched input drops that axis), ``C_in``
channels and ``S`` spatial dimensions (1: ``L``; 2: ``H, W``; 3: ``D, H, W``); a weight has shape
``(C_out, C_in / groups, *k)``. All three ranks run the same N-d code, ``_conv_nd``.

What the output holds (cross-correlation, as in PyTorch and the notes; no kernel flip)::

    y[n, o, p] = bias[o] + sum over c in o's group, and over kernel taps t, of
                 weight[o, c, t] * x_padded[n, c, p*stride + t*dilation]

with ``p`` and ``t`` S-tuples and the products taken per dimension. Per dimension the output size
is::

    out = floor((n + pad_before + pad_after - dilation*(k-1) - 1) / stride) + 1

the notes' ``n_out = floor((w + p - k + s) / s)`` with ``p = pad_before + pad_after``, ``d = 1``.

**stride** ``s``: the kernel moves ``s`` pixels between outputs, dividing the output size by
about ``s``. **dilation** ``d``: the kernel's taps are ``d`` pixels apart, so a kernel of size
``k`` spans ``d*(k-1) + 1`` pixels with ``k`` weights (a wider view at the same cost).
**groups** ``G``: the channels are split into ``G`` independent groups; output channel ``o`` sees
only the ``C_in / G`` input channels of its group (``G = 1``: every output sees every input;
``G = C_in``: depthwise, each channel filtered on its own). ``G`` must divide both ``C_in`` and
``C_out``.

**padding** adds zeros around the input; juanji accepts:

* an int ``p``: ``p`` on both sides of every spatial dimension;
* a tuple of S ints: symmetric padding per dimension, e.g. ``(1, 2)`` = 1 top and bottom,
  2 left and right;
* a tuple of S ``(before, after)`` pairs, e.g. ``((0, 1), (1, 1))`` = 0 top, 1 bottom, 1 left,
  1 right (an int and pairs may be mixed; a 1-D pair must be nested: ``((0, 1),)``);
* ``'valid'``: no padding;
* ``'same'``: the padding that gives ``ceil(n / stride)`` outputs (``n`` when stride is 1),
  total ``max((out - 1)*s + d*(k-1) + 1 - n, 0)``; an odd total puts the extra pixel at the end
  (bottom/right), as PyTorch, TensorFlow and ONNX ``SAME_UPPER``;
* ``'same_lower'``: the same total with the extra pixel at the start (top/left): the notes'
  rule for even kernels (top/left ``ceil(p/2)``, bottom/right ``floor(p/2)``), ONNX
  ``SAME_LOWER``.

Differences from PyTorch: the pairs and ``'same_lower'`` are juanji's; ``'same'`` with stride > 1
works (as in Keras, JAX and ONNX) where PyTorch raises, and its padding then depends on the input
size. ``unfold`` and ``fold`` work for 1-D, 2-D and 3-D inputs (PyTorch's: 2-D only).

``unfold`` (im2col) lays the windows out as columns of a matrix, ``(N, C*prod(k), L)`` with
``L = prod(out)``; then ``conv2d(x, w)`` equals ``w.reshape(C_out, -1) @ unfold(x, k)``
reshaped to ``(N, C_out, *out)``: one matrix product, the notes' account of how PyTorch
computes convolution on a CPU. ``fold`` (col2im) is its adjoint: it sums the columns back onto
the image.

How a call is computed is a setting, ``juanji.backends.conv.algorithm``. ``"auto"`` (the default)
picks per shape from ``_ops/conv/selection.py``'s measured table: ``"gemm"`` (the matrix product
above, in cache-sized slabs) for most calls, ``"1x1"`` for pointwise ones, Winograd F(4x4, 3x3)
for wide 3x3 layers and a compiled loop for depthwise ones when ``juanji[fast]`` is installed;
``"reference"`` is the formula above as a loop over the kernel's taps, e.g.
``with juanji.backends.conv.use("reference"):``. The numbers agree up to float rounding.
"""

from __future__ import annotations

import math
from typing import Any

from juanji._ops.conv import ConvNd
from juanji._ops.im2col import Fold, Unfold
from juanji._shapes import Pads, axis_names, conv_output_size, output_size_formula, padding_pairs
from juanji.nn.functional._checks import (
    _is_int,
    check_float,
    check_ndim,
    check_same_dtype,
    check_tensor,
    int_tuple,
)
from juanji.tensor.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "unfold", "fold"]

_axes = axis_names


def _check_kernel_fits(
    fn: str,
    in_size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: Pads,
    dilation: tuple[int, ...],
    what: str = "input",
) -> tuple[int, ...]:
    """Return the output size, or raise showing the output-size rule with the numbers in it."""
    out = []
    for axis, n, k, s, (before, after), d in zip(
        _axes(len(in_size)), in_size, kernel, stride, pads, dilation, strict=True
    ):
        size = conv_output_size(n, k, s, before, after, d)
        if size < 1:
            raise ValueError(
                f"{fn}: kernel size {k} (dilation {d}, span {d * (k - 1) + 1}) is larger than the "
                f"padded {what} ({n} + {before + after} = {n + before + after}) along {axis}: "
                f"output size {output_size_formula(n, k, s, before, after, d)}, must be >= 1"
            )
        out.append(size)
    return tuple(out)


def _conv_nd(
    fn: str,
    S: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
) -> Tensor:
    """Validate and normalise the arguments of conv{S}d, then run the one ConvNd op."""
    check_tensor(fn, "input", input)
    check_tensor(fn, "weight", weight)
    check_tensor(fn, "bias", bias, optional=True)
    check_float(fn, "input", input)
    check_same_dtype(fn, input=input, weight=weight, bias=bias)
    axes = ", ".join(_axes(S))
    kernel_axes = ", ".join("k" + a for a in _axes(S))
    check_ndim(
        fn, "input", input, (S + 1, S + 2), f"{S + 1}-D (C, {axes}) or {S + 2}-D (N, C, {axes})"
    )
    check_ndim(fn, "weight", weight, (S + 2,), f"{S + 2}-D (C_out, C_in / groups, {kernel_axes})")
    _check_channels(fn, S, input, weight, bias, groups)
    stride = int_tuple(fn, "stride", stride, S)
    dilation = int_tuple(fn, "dilation", dilation, S)
    kernel = weight.shape[2:]
    in_size = input.shape[-S:]
    pads = padding_pairs(fn, padding, in_size, kernel, stride, dilation)
    out_size = _check_kernel_fits(fn, in_size, kernel, stride, pads, dilation)
    batched = input.ndim == S + 2
    if batched and input.shape[0] == 0:
        return _empty_batch(input, weight, bias, out_size)
    x = input if batched else input.unsqueeze(0)
    y = Tensor._apply(
        ConvNd, x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups
    )
    return y if batched else y.squeeze(0)


def _check_channels(
    fn: str, S: int, input: Tensor, weight: Tensor, bias: Tensor | None, groups: Any  # noqa: A002
) -> None:
    """The rules that tie input, weight, bias and groups together, with PyTorch's errors."""
    if not _is_int(groups):
        raise TypeError(f"{fn}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{fn}: groups must be >= 1, got {groups}")
    C_out, C_group = weight.shape[:2]
    C_in = input.shape[-S - 1]
    if C_out == 0:  # PyTorch raises too; an empty output would hide the mistake
        raise ValueError(f"{fn}: weight must have at least one output channel (weight.shape[0]), "
                         f"got shape {weight.shape}")  # fmt: skip
    if C_in == 0:  # PyTorch returns an empty (N, 0, *out) here, without the C_out channels
        raise ValueError(f"{fn}: input must have at least one channel (input.shape"
                         f"[{input.ndim - S - 1}]), got shape {input.shape}")  # fmt: skip
    if C_in % groups:
        raise ValueError(f"{fn}: groups={groups} must divide the input channels, got {C_in}")
    if C_out % groups:
        raise ValueError(
            f"{fn}: groups={groups} must divide the output channels (weight.shape[0]), got {C_out}"
        )
    if C_in != C_group * groups:
        raise ValueError(
            f"{fn}: input has {C_in} channels but weight expects {C_group * groups} "
            f"(weight.shape[1] * groups)"
        )
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(
            f"{fn}: bias must have shape ({C_out},) (weight.shape[0]), got {bias.shape}"
        )


def _empty_batch(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None,
    out_size: tuple[int, ...],
) -> Tensor:
    """The ``(0, C_out, *out)`` result of a batch of no samples, as PyTorch returns.

    Built from sums over no element (exact zeros, whatever the values), so it stays in the
    graph: backward gives the input an empty gradient and the weight and bias zeros, as
    PyTorch does. The algorithms themselves need samples.
    """
    zero = input.sum() + weight.reshape(-1)[:0].sum()
    if bias is not None:
        zero = zero + bias[:0].sum()
    return zero.expand((0, weight.shape[0], *out_size))


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution over ``(N, C_in, L)`` or ``(C_in, L)``: the 1-D case of ``conv2d``.

    See ``conv2d`` for the arguments and the module docstring for padding, stride, dilation and
    groups. ``weight`` is ``(C_out, C_in / groups, kL)``.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[0.0, 0.0, 1.0, 1.0]]])
        >>> F.conv1d(x, juanji.tensor([[[1.0, -1.0]]])).tolist()    # the notes' edge detector
        [[[0.0, -1.0, 0.0]]]
    """
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) of an image batch with a bank of kernels.

    The notation, the output-size rule and the meaning of padding, stride, dilation and groups
    are in this module's docstring (``help(juanji.nn.functional.conv)``).

    Args:
        input: ``(N, C_in, H, W)``, or ``(C_in, H, W)`` unbatched; float32 or float64.
        weight: ``(C_out, C_in / groups, kH, kW)``, same dtype.
        bias: ``(C_out,)`` or None.
        stride: int or ``(sH, sW)``, each >= 1. Default 1.
        padding: int, ``(pH, pW)``, ``((top, bottom), (left, right))``, ``'valid'``,
            ``'same'`` or ``'same_lower'``. Default 0.
        dilation: int or ``(dH, dW)``, each >= 1. Default 1.
        groups: number of channel groups; divides ``C_in`` and ``C_out``. Default 1.

    Returns:
        ``(N, C_out, H_out, W_out)`` (or without ``N``), with
        ``H_out = floor((H + top + bottom - dH*(kH-1) - 1) / sH) + 1`` and likewise ``W_out``.

    Raises:
        TypeError: if an argument is not a Tensor, the input is not floating point, or dtypes
            differ.
        ValueError: for a wrong rank or shape, channels that do not match the weight or the
            groups, a stride or dilation < 1, a bad padding, or a kernel larger than the padded
            input (the message shows the output-size rule with the numbers in it).

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Weight: ``(C_out, C_in / groups, kH, kW)``
        - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]]])
        >>> k = juanji.tensor([[[[0.0, 1], [2, 3]]]])
        >>> F.conv2d(x, k).tolist()
        [[[[19.0, 25.0], [37.0, 43.0]]]]
        >>> F.conv2d(x, k, padding="same").shape, F.conv2d(x, k, padding=((1, 0), (1, 0))).shape
        ((1, 1, 3, 3), (1, 1, 3, 3))
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``: the 3-D ``conv2d``.

    See ``conv2d`` for the arguments and the module docstring for padding, stride, dilation and
    groups. ``weight`` is ``(C_out, C_in / groups, kD, kH, kW)``.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> F.conv3d(juanji.ones(1, 2, 4, 4, 4), juanji.ones(3, 2, 2, 2, 2), padding=1).shape
        (1, 3, 5, 5, 5)
    """
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _window_rank(*sizes: Any) -> int | None:
    """The number of spatial dims that the first tuple-valued size argument implies."""
    for size in sizes:
        if isinstance(size, (tuple, list)):
            return len(size)
    return None


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Extract sliding windows as columns (im2col): ``(N, C, *size) -> (N, C*prod(k), L)``.

    Column ``l`` holds window ``l`` (row-major over the output positions, ``L = prod(out)``);
    row ``c*prod(k) + t`` holds kernel tap ``t`` (row-major) of channel ``c``, PyTorch's layout.
    Windows follow the convolution rules of the module docstring.

    The number of spatial dims S is ``len(kernel_size)`` when it is a tuple. An int
    ``kernel_size`` means 2-D for a 3-D or 4-D input (as in PyTorch) and 3-D for a 5-D input; a
    1-D unfold needs ``kernel_size=(k,)``.

    Args:
        input: ``(N, C, *size)`` or ``(C, *size)``, with S = 1, 2 or 3 spatial dims.
        kernel_size: int or S ints.
        dilation: int or S ints >= 1. Default 1.
        padding: zeros around the input: int, S ints, or S (before, after) pairs. Default 0.
        stride: int or S ints >= 1. Default 1.

    Returns:
        ``(N, C*prod(kernel_size), L)``, or ``(C*prod(kernel_size), L)`` unbatched.

    Raises:
        TypeError, ValueError: for bad arguments, or a kernel larger than the padded input.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]])   # (C, H, W) = (1, 3, 3)
        >>> F.unfold(x, 2).tolist()    # row t: tap t of every window; column l: window l
        [[0.0, 1.0, 3.0, 4.0],
         [1.0, 2.0, 4.0, 5.0],
         [3.0, 4.0, 6.0, 7.0],
         [4.0, 5.0, 7.0, 8.0]]
        >>> F.unfold(juanji.ones(2, 3, 10), (4,), stride=2).shape    # 1-D
        (2, 12, 4)
    """
    fn = "unfold"
    check_tensor(fn, "input", input)
    S = _window_rank(kernel_size)
    if S is None:
        if input.ndim not in (3, 4, 5):
            raise ValueError(
                f"{fn}: with an int kernel_size, input must be 3-D (C, H, W), 4-D (N, C, H, W) or "
                f"5-D (N, C, D, H, W), got {input.ndim}-D shape {input.shape}; for 1-D pass "
                f"kernel_size=(k,)"
            )
        S = 3 if input.ndim == 5 else 2
    axes = ", ".join(_axes(S))
    check_ndim(
        fn,
        "input",
        input,
        (S + 1, S + 2),
        f"{S + 1}-D (C, {axes}) or {S + 2}-D (N, C, {axes}) for a {S}-D kernel_size",
    )
    kernel = int_tuple(fn, "kernel_size", kernel_size, S)
    dilations = int_tuple(fn, "dilation", dilation, S)
    strides = int_tuple(fn, "stride", stride, S)
    in_size = input.shape[-S:]
    pads = padding_pairs(fn, padding, in_size, kernel, strides, dilations, strings=False)
    _check_kernel_fits(fn, in_size, kernel, strides, pads, dilations)
    batched = input.ndim == S + 2
    x = input if batched else input.unsqueeze(0)
    col = Tensor._apply(
        Unfold, x, kernel_size=kernel, dilation=dilations, padding=pads, stride=strides
    )
    return col if batched else col.squeeze(0)


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Sum columns back into an image (col2im): ``(N, C*prod(k), L) -> (N, C, *output_size)``.

    The adjoint of ``unfold`` with the same arguments: every column entry is added onto the pixel
    it would have been read from, so overlapping windows add up, and entries that land in the
    padding are dropped. ``fold(unfold(x))`` is therefore ``x`` times how many windows cover each
    pixel, not ``x``.

    The number of spatial dims S is ``len(output_size)`` (or ``len(kernel_size)``) when one is a
    tuple, else 2 as in PyTorch.

    Args:
        input: ``(N, C*prod(kernel_size), L)`` or ``(C*prod(kernel_size), L)``.
        output_size: spatial size of the result, int or S ints.
        kernel_size: int or S ints.
        dilation: int or S ints >= 1. Default 1.
        padding: int, S ints, or S (before, after) pairs, as for ``unfold``. Default 0.
        stride: int or S ints >= 1. Default 1.

    Returns:
        ``(N, C, *output_size)``, or ``(C, *output_size)`` unbatched.

    Raises:
        TypeError, ValueError: for bad arguments, rows not divisible by ``prod(kernel_size)``, or
            a number of columns that does not match the windows of ``output_size``.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> F.fold(juanji.ones(1, 4, 4), (3, 3), 2)[0, 0].tolist()   # windows covering each pixel
        [[1.0, 2.0, 1.0],
         [2.0, 4.0, 2.0],
         [1.0, 2.0, 1.0]]
    """
    fn = "fold"
    check_tensor(fn, "input", input)
    S = _window_rank(output_size, kernel_size) or 2
    check_ndim(
        fn,
        "input",
        input,
        (2, 3),
        "2-D (C * prod(kernel_size), L) or 3-D (N, C * prod(kernel_size), L)",
    )
    size = int_tuple(fn, "output_size", output_size, S)
    kernel = int_tuple(fn, "kernel_size", kernel_size, S)
    dilations = int_tuple(fn, "dilation", dilation, S)
    strides = int_tuple(fn, "stride", stride, S)
    pads = padding_pairs(fn, padding, size, kernel, strides, dilations, strings=False)
    out = _check_kernel_fits(fn, size, kernel, strides, pads, dilations, what="output_size")
    rows, blocks = input.shape[-2:]
    if rows % math.prod(kernel):
        raise ValueError(
            f"{fn}: input.shape[{input.ndim - 2}] = {rows} must be divisible by prod(kernel_size) "
            f"= {math.prod(kernel)} (kernel_size {kernel})"
        )
    if blocks != math.prod(out):
        raise ValueError(
            f"{fn}: input.shape[{input.ndim - 1}] = {blocks} blocks, but output_size {size} with "
            f"kernel_size {kernel}, dilation {dilations}, padding {pads}, stride {strides} has "
            f"{' x '.join(map(str, out))} = {math.prod(out)} blocks"
        )
    batched = input.ndim == 3
    col = input if batched else input.unsqueeze(0)
    x = Tensor._apply(
        Fold,
        col,
        output_size=size,
        kernel_size=kernel,
        dilation=dilations,
        padding=pads,
        stride=strides,
    )
    return x if batched else x.squeeze(0)
