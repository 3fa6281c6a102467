"""Max unpooling (``max_unpool1d/2d/3d``) and power-average pooling (``lp_pool1d/2d/3d``).

``max_unpool`` is the partial inverse of ``max_pool`` with ``return_indices=True``: each pooled
value goes back to the position its index names and every other pixel is 0. Its default output
size per dim is ``(n - 1)*stride - 2*padding + kernel_size``; ``output_size`` may pick another
within ``stride`` of it (to undo a pool that dropped the last pixels).

``lp_pool`` computes ``(sum over the window of x**p) ** (1/p)`` with ``p = norm_type``, no
padding: ``p = 1`` is sum pooling, large ``p`` approaches max pooling. As in PyTorch it is an
average pool of ``x**p`` times the window size, and a window whose sum is not positive gives 0.
"""

from __future__ import annotations

from typing import Any

from juanji._ops.unpool import MaxUnpoolNd
from juanji.nn.functional._checks import (
    _is_int,
    check_float,
    check_ndim,
    check_tensor,
    int_tuple,
)
from juanji.nn.functional.activation import relu
from juanji.nn.functional.pooling import avg_pool1d, avg_pool2d, avg_pool3d
from juanji.tensor.tensor import Tensor

__all__ = [
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "unpool_output_size",
]

_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}


def unpool_output_size(
    fn: str,
    in_size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_size: Any,
) -> tuple[int, ...]:
    """The default size, or ``output_size`` checked against it (PyTorch's rule).

    Example:
        >>> unpool_output_size("max_unpool2d", (2, 3), (2, 2), (2, 2), (0, 0), None)
        (4, 6)
    """
    S = len(kernel)
    default = tuple(
        (n - 1) * s + k - 2 * p for n, k, s, p in zip(in_size, kernel, stride, padding, strict=True)
    )
    if output_size is None:
        return default
    sizes = list(output_size) if isinstance(output_size, (tuple, list)) else None
    if sizes is None or not all(_is_int(v) for v in sizes):
        raise TypeError(f"{fn}: output_size must be a sequence of ints, got {output_size!r}")
    if len(sizes) == S + 2:
        sizes = sizes[2:]
    if len(sizes) != S:
        raise ValueError(
            f"{fn}: output_size must have {S} or {S + 2} elements, got {len(sizes)} "
            f"({output_size!r})"
        )
    for d, (v, m, s) in enumerate(zip(sizes, default, stride, strict=True)):
        if not m - s < v < m + s:
            raise ValueError(
                f"{fn}: invalid output_size {tuple(sizes)}: dim {d} must be between {m - s} and "
                f"{m + s} (exclusive)"
            )
    return tuple(int(v) for v in sizes)


def _max_unpool_nd(
    fn: str,
    S: int,
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
) -> Tensor:
    check_tensor(fn, "input", input)
    check_tensor(fn, "indices", indices)
    check_float(fn, "input", input)
    axes = _AXES[S]
    check_ndim(
        fn, "input", input, (S + 1, S + 2), f"{S + 1}-D (C, {axes}) or {S + 2}-D (N, C, {axes})"
    )
    if indices.shape != input.shape:
        raise ValueError(
            f"{fn}: indices must have the shape of input {input.shape}, got {indices.shape}"
        )
    if indices.is_floating_point():
        raise TypeError(f"{fn}: indices must be an integer tensor, got dtype {indices.dtype}")
    kernel = int_tuple(fn, "kernel_size", kernel_size, S)
    strides = kernel if stride is None else int_tuple(fn, "stride", stride, S)
    pads = int_tuple(fn, "padding", padding, S, minimum=0)
    in_size = tuple(input.shape[-S:])
    out = unpool_output_size(fn, in_size, kernel, strides, pads, output_size)
    if any(o < 1 for o in out):
        raise ValueError(f"{fn}: output size {out} must be >= 1 in every dimension")
    index_data = indices.detach().numpy(force=True)
    total = 1
    for o in out:
        total *= o
    if index_data.size and (index_data.min() < 0 or index_data.max() >= total):
        bad = int(index_data.max() if index_data.max() >= total else index_data.min())
        raise ValueError(
            f"{fn}: found an invalid max index {bad} (output spatial size {out} has {total} "
            f"positions)"
        )
    return Tensor._apply(MaxUnpoolNd, input, indices.detach().long(), out=out)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Undo ``max_pool2d(..., return_indices=True)``: values back at their indices, zeros elsewhere.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, the pooled values.
        indices: the indices max_pool2d returned, same shape as input.
        kernel_size: the pooling's window, int or pair.
        stride: the pooling's stride, int or pair; default kernel_size.
        padding: the pooling's padding, int or pair. Default 0.
        output_size: the spatial size to restore (S or S + 2 ints); default
            ``(n - 1)*stride - 2*padding + kernel_size``.

    Returns:
        ``(N, C, H_out, W_out)``.

    Raises:
        TypeError, ValueError: for bad tensors, shapes, an output_size too far from the default,
            or an index outside the output.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[1.0, 5.0], [7.0, 2.0]]])
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).tolist()
        [[[0.0, 0.0], [7.0, 0.0]]]
    """
    return _max_unpool_nd(
        "max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size
    )


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The 1-D case of ``max_unpool2d``.

    Example:
        >>> import juanji
        >>> max_unpool1d(juanji.tensor([[3.0]]), juanji.tensor([[1]]), 2).tolist()
        [[0.0, 3.0]]
    """
    return _max_unpool_nd(
        "max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size
    )


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The 3-D case of ``max_unpool2d``.

    Example:
        >>> import juanji
        >>> max_unpool3d(juanji.ones(1, 1, 1, 1), juanji.tensor([[[[7]]]]), 2).flatten().tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    """
    return _max_unpool_nd(
        "max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size
    )


def _lp_pool_nd(
    fn: str, S: int, input: Any, norm_type: Any, kernel_size: Any, stride: Any, ceil_mode: bool
) -> Tensor:
    check_tensor(fn, "input", input)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or norm_type == 0:
        raise ValueError(f"{fn}: norm_type must be a non-zero number, got {norm_type!r}")
    kernel = int_tuple(fn, "kernel_size", kernel_size, S)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[S - 1]
    strides = kernel if stride is None else stride
    mean = pool(input.pow(norm_type), kernel, strides, 0, ceil_mode)
    size = 1
    for k in kernel:
        size *= k
    return (mean.sign() * relu(mean.abs())).mul(size).pow(1.0 / norm_type)


def lp_pool2d(
    input: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-average pooling ``(sum of x**p over the window) ** (1/p)``, over 2 spatial dims.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, floating point.
        norm_type: ``p``, a non-zero number.
        kernel_size: int or pair.
        stride: int or pair; default kernel_size.
        ceil_mode: round the output size up (windows past the end count their pixels only).

    Returns:
        ``(N, C, H_out, W_out)`` as for ``avg_pool2d`` with no padding.

    Example:
        >>> import juanji
        >>> lp_pool2d(juanji.tensor([[[3.0, 4.0], [0.0, 0.0]]]), 2, 2).tolist()
        [[[5.0]]]
    """
    return _lp_pool_nd("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool1d(
    input: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """The 1-D case of ``lp_pool2d``.

    Example:
        >>> import juanji
        >>> lp_pool1d(juanji.tensor([[1.0, 2.0, 3.0, 4.0]]), 1, 2).tolist()
        [[3.0, 7.0]]
    """
    return _lp_pool_nd("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """The 3-D case of ``lp_pool2d``.

    Example:
        >>> import juanji
        >>> lp_pool3d(juanji.ones(1, 2, 2, 2), 2, 2).tolist()
        [[[[2.8284...]]]]
    """
    return _lp_pool_nd("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)
