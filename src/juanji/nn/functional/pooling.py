"""Pooling: max, average and adaptive pooling over 1, 2 or 3 spatial dimensions.

Pooling ("汇聚", looking at the picture a little blurred) slides a window over each channel on
its own and summarises the window by one number: its maximum or its mean. It has no parameters
and keeps the number of channels; it shrinks the spatial size and makes the output tolerate
small shifts of the input (a max does not move when its pixel moves inside the window).

Everything below is explained once here; the 1-D and 3-D functions are the same operation on a
different number of spatial dimensions and say only that.

Windows (``max_pool*``, ``avg_pool*``):
    kernel_size  window size, an int (every dim) or a tuple with one int per spatial dim.
    stride       step between windows; ``None`` (the default) means ``stride = kernel_size``,
                 so windows tile the input without overlap (LeNet's 2x2, stride 2).
    padding      added on both sides of every spatial dim; at most ``kernel_size // 2`` (a
                 window must never lie wholly in the padding). For max pooling the padding
                 counts as -inf, never 0: a window of negative numbers returns its own maximum,
                 not 0. For average pooling it counts as 0 (see ``count_include_pad``).
    dilation     (max only) gap between the taps of a window; the window spans
                 ``dilation*(kernel_size-1) + 1`` pixels.
    ceil_mode    round the output size up instead of down, so a last, partial window covers the
                 pixels that would otherwise be dropped; that window must still start inside
                 the input or the left padding, or it is not made.

    Output size per spatial dim, with n the input size:
        out = floor((n + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1
    (``ceil`` instead of ``floor`` with ``ceil_mode``, then minus one if the last window would
    start past ``n + padding - 1``).

Divisor of average pooling (PyTorch's rules): each window sum is divided by
    * ``divisor_override`` when given (any non-zero int);
    * else, with ``count_include_pad=True`` (default), the number of window pixels inside the
      padded input: ``kernel_size`` pixels per dim, except that a ``ceil_mode`` window hanging
      past the padded input counts only its part inside ``input + padding``;
    * else the number of window pixels inside the input proper (padding never counts).
    The count is the product over spatial dims of the per-dim counts.

Max tie rule and indices: the first maximum in the window wins, in row-major order of the
window (as PyTorch on the CPU); NaN wins over any number. The gradient goes only to that pixel.
``return_indices=True`` also returns, per output, the int64 index of that pixel flattened over
one channel's spatial volume of the input (``h * W + w`` in 2-D), PyTorch's format.

Adaptive pooling (``adaptive_*``) is given the output size and works out the windows: along a
dim of size n pooled to ``out``, output i covers input pixels
``[floor(i*n/out), ceil((i+1)*n/out))``. Windows may differ in size by a pixel and may overlap.
An ``output_size`` entry of ``None`` keeps that input size.

Differences from PyTorch, all where PyTorch refuses an input: ``avg_pool3d`` accepts an input
smaller than the kernel when the padding makes up for it (PyTorch's 3-D version alone refuses);
``max_pool1d`` takes integer input like ``max_pool2d``/``max_pool3d``.

Shapes: input ``(N, C, *spatial)`` or unbatched ``(C, *spatial)``; output ``(N, C, *out)`` or
``(C, *out)``, same dtype as the input.
"""

from __future__ import annotations

from typing import Any

from juanji._ops.pool import AdaptiveAvgPoolNd, AdaptiveMaxPoolNd, AvgPoolNd, MaxPoolNd
from juanji._shapes import parse_padding, pool_output_size
from juanji.nn.functional._checks import (
    _is_int,
    check_float,
    check_ndim,
    check_tensor,
    int_tuple,
)
from juanji.tensor.tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
]

_LAYOUTS = {
    1: "2-D (C, L) or 3-D (N, C, L)",
    2: "3-D (C, H, W) or 4-D (N, C, H, W)",
    3: "4-D (C, D, H, W) or 5-D (N, C, D, H, W)",
}

Size = int | tuple[int, ...]


def _check_input(fn: str, S: int, input: Any, *, integers: bool = False) -> None:
    """Tensor, rank S+1 or S+2, floating (or integer when allowed), non-empty but for N."""
    check_tensor(fn, "input", input)
    check_ndim(fn, "input", input, (S + 1, S + 2), _LAYOUTS[S])
    if not integers:
        check_float(fn, "input", input)
    elif input._data.dtype.kind not in "fiu":
        raise TypeError(
            f"{fn}: input must be a floating-point or integer tensor, got dtype {input.dtype}"
        )
    if 0 in input.shape[input.ndim - S - 1 :]:
        raise ValueError(
            f"{fn}: input must have a non-zero size in every dimension but the batch, "
            f"got shape {input.shape}"
        )


def _window_args(
    fn: str,
    S: int,
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
) -> dict[str, Any]:
    """Validate and normalise the window arguments; the output size must be at least 1."""
    kernel_size = int_tuple(fn, "kernel_size", kernel_size, S)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel_size
    stride = int_tuple(fn, "stride", stride, S)
    padding = tuple(b for b, _ in parse_padding(fn, padding, S, strings=False, pairs=False))
    dilation = int_tuple(fn, "dilation", dilation, S)
    if any(p > k // 2 for p, k in zip(padding, kernel_size, strict=True)):
        raise ValueError(
            f"{fn}: padding must be at most half of kernel_size (padding <= kernel_size // 2), "
            f"got padding={padding} with kernel_size={kernel_size}"
        )
    in_size = input.shape[input.ndim - S :]
    ceil_mode = bool(ceil_mode)
    out = tuple(
        pool_output_size(n, k, s, p, p, d, ceil_mode)
        for n, k, s, p, d in zip(in_size, kernel_size, stride, padding, dilation, strict=True)
    )
    if min(out) < 1:
        rounding = "ceil" if ceil_mode else "floor"
        formulas = "; ".join(
            f"{rounding}(({n} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = {o}"
            for n, k, s, p, d, o in zip(
                in_size, kernel_size, stride, padding, dilation, out, strict=True
            )
        )
        raise ValueError(
            f"{fn}: output size {out} is too small (must be >= 1 in every dimension) for input "
            f"size {in_size}, kernel_size={kernel_size}, stride={stride}, padding={padding}, "
            f"dilation={dilation}: {formulas}"
        )
    return {
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }


def _max_pool_nd(
    fn: str,
    S: int,
    input: Tensor,
    kernel_size: Size,
    stride: Size | None,
    padding: Size,
    dilation: Size,
    ceil_mode: bool,
    return_indices: bool,
) -> Any:
    _check_input(fn, S, input, integers=True)
    args = _window_args(fn, S, input, kernel_size, stride, padding, dilation, ceil_mode)
    return Tensor._apply(MaxPoolNd, input, **args, return_indices=bool(return_indices))


def _avg_pool_nd(
    fn: str,
    S: int,
    input: Tensor,
    kernel_size: Size,
    stride: Size | None,
    padding: Size,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    _check_input(fn, S, input)
    args = _window_args(fn, S, input, kernel_size, stride, padding, 1, ceil_mode)
    del args["dilation"]
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(
                f"{fn}: divisor_override must be an int or None, got {divisor_override!r}"
            )
        if divisor_override == 0:
            raise ValueError(f"{fn}: divisor_override must not be zero, got 0")
        divisor_override = int(divisor_override)
    return Tensor._apply(
        AvgPoolNd,
        input,
        **args,
        count_include_pad=bool(count_include_pad),
        divisor_override=divisor_override,
    )


def _output_size(fn: str, S: int, input: Tensor, output_size: Any) -> tuple[int, ...]:
    """Normalise ``output_size``: an int, or S entries each an int >= 0 or None (keep)."""
    entries = (output_size,) * S if _is_int(output_size) else output_size
    valid = (
        isinstance(entries, (tuple, list))
        and len(entries) == S
        and all(e is None or (_is_int(e) and e >= 0) for e in entries)
    )
    if not valid:
        raise ValueError(
            f"{fn}: output_size must be an int >= 0 or a tuple of {S} such ints (None keeps "
            f"that input size), got {output_size!r}"
        )
    in_size = input.shape[input.ndim - S :]
    return tuple(n if e is None else int(e) for n, e in zip(in_size, entries, strict=True))


def _adaptive_pool_nd(fn: str, S: int, fn_cls: type, input: Tensor, output_size: Any) -> Any:
    _check_input(fn, S, input)
    return Tensor._apply(fn_cls, input, _output_size(fn, S, input, output_size))


# ---------------------------------------------------------------------------------- max pooling
def max_pool2d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Take the maximum of each window of each channel, over 2 spatial dims.

    Concepts (stride, -inf padding, dilation, ceil_mode, tie rule, indices) are explained in the
    module docstring of ``juanji.nn.functional.pooling``.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point or integer.
        kernel_size: window size, int or (kH, kW).
        stride: step between windows, int or (sH, sW); default ``kernel_size``.
        padding: -inf added on both sides, int or (pH, pW); at most half the kernel size.
        dilation: gap between window taps, int or (dH, dW). Default 1.
        ceil_mode: round the output size up. Default False.
        return_indices: also return the int64 index of each maximum. Default False.

    Returns:
        The pooled tensor (N, C, H_out, W_out), or the pair (pooled, indices).

    Raises:
        TypeError: if ``input`` is not a Tensor or is neither floating point nor integer.
        ValueError: on a wrong rank, a non-positive kernel_size/stride/dilation, negative
            padding or more than half the kernel, or an output size below 1.

    Shape:
        H_out = floor((H + 2*pH - dH*(kH-1) - 1) / sH) + 1, W_out likewise (ceil with ceil_mode).

    Example:
        >>> import juanji
        >>> from juanji.nn.functional import max_pool2d
        >>> x = juanji.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]])
        >>> max_pool2d(x, 2, stride=1)
        tensor([[[4., 5.],
                 [7., 8.]]])
        >>> max_pool2d(x, 2, stride=1, return_indices=True)[1]
        tensor([[[4, 5],
                 [7, 8]]])
    """
    return _max_pool_nd(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max pooling over 1 spatial dim, input (N, C, L) or (C, L); see ``max_pool2d``.

    Example:
        >>> import juanji
        >>> max_pool1d(juanji.tensor([[-3.0, -1.0, -2.0]]), 2, padding=1)
        tensor([[-3., -1.]])
    """
    return _max_pool_nd(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max pooling over 3 spatial dims, input (N, C, D, H, W) or (C, D, H, W); see ``max_pool2d``.

    Example:
        >>> import juanji
        >>> max_pool3d(juanji.arange(8.0).reshape(1, 2, 2, 2), 2)
        tensor([[[[7.]]]])
    """
    return _max_pool_nd(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


# ------------------------------------------------------------------------------ average pooling
def avg_pool2d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Take the mean of each window of each channel, over 2 spatial dims.

    Concepts (stride, zero padding, ceil_mode, the divisor rules) are explained in the module
    docstring of ``juanji.nn.functional.pooling``.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        kernel_size: window size, int or (kH, kW).
        stride: step between windows, int or (sH, sW); default ``kernel_size``.
        padding: zeros added on both sides, int or (pH, pW); at most half the kernel size.
        ceil_mode: round the output size up. Default False.
        count_include_pad: count padding pixels in the divisor. Default True.
        divisor_override: divide every window sum by this non-zero int instead. Default None.

    Returns:
        The pooled tensor (N, C, H_out, W_out), same dtype.

    Raises:
        TypeError: if ``input`` is not a floating-point Tensor, or divisor_override not an int.
        ValueError: on a wrong rank, a non-positive kernel_size/stride, negative padding or
            more than half the kernel, an output size below 1, or divisor_override == 0.

    Shape:
        H_out = floor((H + 2*pH - kH) / sH) + 1, W_out likewise (ceil with ceil_mode).

    Example:
        >>> import juanji
        >>> from juanji.nn.functional import avg_pool2d
        >>> x = juanji.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]])
        >>> avg_pool2d(x, 2, stride=1)
        tensor([[[2., 3.],
                 [5., 6.]]])
        >>> avg_pool2d(x, 2, padding=1, count_include_pad=False)
        tensor([[[0.0, 1.5],
                 [4.5, 6.0]]])
    """
    return _avg_pool_nd(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool1d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Average pooling over 1 spatial dim, input (N, C, L) or (C, L); see ``avg_pool2d``.

    Example:
        >>> import juanji
        >>> avg_pool1d(juanji.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2, ceil_mode=True)
        tensor([[1.5000, 3.5000, 5.0000]])
    """
    return _avg_pool_nd(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool3d(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Average pooling over 3 spatial dims, input (N, C, D, H, W) or (C, D, H, W).

    See ``avg_pool2d``.

    Example:
        >>> import juanji
        >>> avg_pool3d(juanji.arange(8.0).reshape(1, 2, 2, 2), 2)
        tensor([[[[3.5000]]]])
    """
    return _avg_pool_nd(
        "avg_pool3d",
        3,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


# ----------------------------------------------------------------------------- adaptive pooling
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over adaptive windows chosen so that the output has ``output_size``.

    The window rule is in the module docstring of ``juanji.nn.functional.pooling``.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        output_size: int or (H_out, W_out); an entry None keeps that input size.

    Returns:
        The pooled tensor (N, C, H_out, W_out), same dtype.

    Raises:
        TypeError: if ``input`` is not a floating-point Tensor.
        ValueError: on a wrong rank, or an output_size that is not ints >= 0 / None.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> import juanji
        >>> from juanji.nn.functional import adaptive_avg_pool2d
        >>> adaptive_avg_pool2d(juanji.arange(9.0).reshape(1, 3, 3), 2)
        tensor([[[2., 3.],
                 [5., 6.]]])
        >>> adaptive_avg_pool2d(juanji.ones(8, 512, 7, 7), 1).shape
        (8, 512, 1, 1)
    """
    return _adaptive_pool_nd("adaptive_avg_pool2d", 2, AdaptiveAvgPoolNd, input, output_size)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average pooling over 1 spatial dim; see ``adaptive_avg_pool2d``.

    Example:
        >>> import juanji
        >>> adaptive_avg_pool1d(juanji.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2)
        tensor([[2.0, 4.0]])
    """
    return _adaptive_pool_nd("adaptive_avg_pool1d", 1, AdaptiveAvgPoolNd, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average pooling over 3 spatial dims; see ``adaptive_avg_pool2d``.

    Example:
        >>> import juanji
        >>> adaptive_avg_pool3d(juanji.ones(2, 4, 5, 6), (1, None, 3)).shape
        (2, 1, 5, 3)
    """
    return _adaptive_pool_nd("adaptive_avg_pool3d", 3, AdaptiveAvgPoolNd, input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive windows chosen so that the output has ``output_size``.

    The window rule, tie rule and index format are in the module docstring of
    ``juanji.nn.functional.pooling``.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        output_size: int or (H_out, W_out); an entry None keeps that input size.
        return_indices: also return the int64 index of each maximum. Default False.

    Returns:
        The pooled tensor (N, C, H_out, W_out), or the pair (pooled, indices).

    Raises:
        TypeError: if ``input`` is not a floating-point Tensor.
        ValueError: on a wrong rank, or an output_size that is not ints >= 0 / None.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> import juanji
        >>> from juanji.nn.functional import adaptive_max_pool2d
        >>> adaptive_max_pool2d(juanji.arange(9.0).reshape(1, 3, 3), 2, return_indices=True)
        (tensor([[[4., 5.],
                 [7., 8.]]]), tensor([[[4, 5],
                 [7, 8]]]))
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling over 1 spatial dim; see ``adaptive_max_pool2d``.

    Example:
        >>> import juanji
        >>> adaptive_max_pool1d(juanji.tensor([[1.0, 5.0, 3.0, 4.0, 2.0]]), 2)
        tensor([[5., 4.]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling over 3 spatial dims; see ``adaptive_max_pool2d``.

    Example:
        >>> import juanji
        >>> adaptive_max_pool3d(juanji.ones(2, 4, 5, 6), 1).shape
        (2, 1, 1, 1)
    """
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def _adaptive_max(fn: str, S: int, input: Tensor, output_size: Any, return_indices: bool) -> Any:
    out, indices = _adaptive_pool_nd(fn, S, AdaptiveMaxPoolNd, input, output_size)
    return (out, indices) if return_indices else out


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool1d`` returning ``(output, indices)`` whatever ``return_indices`` says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool2d`` returning ``(output, indices)`` whatever ``return_indices`` says."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool3d`` returning ``(output, indices)`` whatever ``return_indices`` says."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d`` returning ``(output, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d`` returning ``(output, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(
    input: Tensor, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool3d`` returning ``(output, indices)``."""
    return adaptive_max_pool3d(input, output_size, True)
