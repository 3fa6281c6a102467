"""Pooling layers: max, average and adaptive pooling over 1, 2 or 3 spatial dimensions.

Each family is one N-d class (``_MaxPoolNd``, ``_AvgPoolNd``, ``_AdaptiveAvgPoolNd``,
``_AdaptiveMaxPoolNd``); the 1-d/2-d/3-d classes only fix the number of spatial dimensions.
Window sizes, the -inf padding of max pooling, ``ceil_mode`` and the divisor rules are explained
once, in ``juanji.nn.functional.pooling``. The constructor arguments are the functional's, in the
functional's order (PyTorch's ``MaxPool2d`` swaps ``ceil_mode`` and ``return_indices``; pass them
by name). Arguments are stored as given, so ``repr`` prints what PyTorch prints.
"""

from __future__ import annotations

from typing import Any

from juanji._shapes import parse_padding
from juanji.nn.functional import pooling as F
from juanji.nn.functional._checks import _is_int, int_tuple
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


def _check_window(
    owner: str, n: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> None:
    int_tuple(owner, "kernel_size", kernel_size, n)
    if stride is not None:
        int_tuple(owner, "stride", stride, n)
    parse_padding(owner, padding, n, strings=False, pairs=False)
    int_tuple(owner, "dilation", dilation, n)


class _MaxPoolNd(Module):
    """N-d max pooling layer; see ``juanji.nn.functional.max_pool2d``."""

    _spatial_dims: int

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> None:
        super().__init__()
        _check_window(
            type(self).__name__, self._spatial_dims, kernel_size, stride, padding, dilation
        )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        n = self._spatial_dims
        return F._max_pool_nd(
            f"max_pool{n}d",
            n,
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """Maximum of each window of each channel, over ``(N, C, H, W)``.

    Args:
        kernel_size: window size, int or ``(kH, kW)``.
        stride: step between windows. Default: ``kernel_size`` (windows tile the input).
        padding: -inf added on both sides, at most half the kernel. Default: 0.
        dilation: gap between window taps. Default: 1.
        ceil_mode: round the output size up. Default: False.
        return_indices: also return the index of each maximum. Default: False.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` with
          ``H_out = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1``

    Example:
        >>> import juanji
        >>> pool = MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(juanji.zeros(64, 6, 28, 28)).shape
        (64, 6, 14, 14)
    """

    _spatial_dims = 2


class MaxPool1d(_MaxPoolNd):
    """The 1-D case of ``MaxPool2d``, over ``(N, C, L)``; arguments as ``MaxPool2d``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)``, ``L_out`` as ``H_out``

    Example:
        >>> import juanji
        >>> MaxPool1d(2)(juanji.zeros(1, 3, 10)).shape
        (1, 3, 5)
    """

    _spatial_dims = 1


class MaxPool3d(_MaxPoolNd):
    """The 3-D case of ``MaxPool2d``, over ``(N, C, D, H, W)``; arguments as ``MaxPool2d``.

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
        - Output: ``(N, C, D_out, H_out, W_out)``, each size as ``H_out``

    Example:
        >>> import juanji
        >>> MaxPool3d(2)(juanji.zeros(1, 1, 4, 4, 4)).shape
        (1, 1, 2, 2, 2)
    """

    _spatial_dims = 3


class _AvgPoolNd(Module):
    """N-d average pooling layer; see ``juanji.nn.functional.avg_pool2d``."""

    _spatial_dims: int

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        _check_window(type(self).__name__, self._spatial_dims, kernel_size, stride, padding)
        if divisor_override is not None and (
            not _is_int(divisor_override) or divisor_override == 0
        ):
            raise ValueError(
                f"{type(self).__name__}: divisor_override must be a non-zero int "
                f"or None, got {divisor_override!r}"
            )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        n = self._spatial_dims
        return F._avg_pool_nd(
            f"avg_pool{n}d",
            n,
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean of each window of each channel, over ``(N, C, H, W)``.

    Args:
        kernel_size: window size, int or ``(kH, kW)``.
        stride: step between windows. Default: ``kernel_size``.
        padding: zeros added on both sides, at most half the kernel. Default: 0.
        ceil_mode: round the output size up. Default: False.
        count_include_pad: count padding pixels in the divisor. Default: True.
        divisor_override: divide every window sum by this int instead. Default: None.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` with
          ``H_out = floor((H + 2*padding - kH) / stride) + 1``

    Example:
        >>> import juanji
        >>> AvgPool2d(2)(juanji.ones(1, 1, 4, 4))
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """

    _spatial_dims = 2


class AvgPool1d(_AvgPoolNd):
    """The 1-D case of ``AvgPool2d``, over ``(N, C, L)``; no ``divisor_override`` (as PyTorch).

    Stores its sizes as 1-tuples, as PyTorch's ``AvgPool1d`` does.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)``, ``L_out`` as ``H_out``

    Example:
        >>> AvgPool1d(3)
        AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))
    """

    _spatial_dims = 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.kernel_size = int_tuple("AvgPool1d", "kernel_size", kernel_size, 1)
        self.stride = int_tuple("AvgPool1d", "stride", self.stride, 1)
        self.padding = tuple(b for b, _ in parse_padding("AvgPool1d", padding, 1, False, False))


class AvgPool3d(_AvgPoolNd):
    """The 3-D case of ``AvgPool2d``, over ``(N, C, D, H, W)``; arguments as ``AvgPool2d``.

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
        - Output: ``(N, C, D_out, H_out, W_out)``, each size as ``H_out``

    Example:
        >>> import juanji
        >>> AvgPool3d(2)(juanji.ones(1, 1, 2, 4, 4)).shape
        (1, 1, 1, 2, 2)
    """

    _spatial_dims = 3


def _check_output_size(owner: str, n: int, output_size: Any) -> None:
    entries = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(entries) != n or not all(e is None or (_is_int(e) and e >= 1) for e in entries):
        raise ValueError(
            f"{owner}: output_size must be an int >= 1 or a tuple of {n} such ints "
            f"(None keeps an input size), got {output_size!r}"
        )


class _AdaptiveAvgPoolNd(Module):
    """N-d adaptive average pooling layer; see ``F.adaptive_avg_pool2d``."""

    _spatial_dims: int

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _check_output_size(type(self).__name__, self._spatial_dims, output_size)
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        n = self._spatial_dims
        return F._adaptive_pool_nd(
            f"adaptive_avg_pool{n}d", n, F.AdaptiveAvgPoolNd, input, self.output_size
        )

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling whose windows are chosen to give ``output_size``, over ``(N, C, H, W)``.

    Args:
        output_size: ``s`` or ``(H_out, W_out)``; an entry None keeps that input size.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``

    Example:
        >>> import juanji
        >>> AdaptiveAvgPool2d((1, 1))(juanji.ones(8, 16, 5, 7)).shape
        (8, 16, 1, 1)
    """

    _spatial_dims = 2


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """The 1-D case of ``AdaptiveAvgPool2d``, over ``(N, C, L)``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``

    Example:
        >>> import juanji
        >>> AdaptiveAvgPool1d(2)(juanji.ones(1, 3, 7)).shape
        (1, 3, 2)
    """

    _spatial_dims = 1


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """The 3-D case of ``AdaptiveAvgPool2d``, over ``(N, C, D, H, W)``.

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or without ``N``

    Example:
        >>> import juanji
        >>> AdaptiveAvgPool3d(1)(juanji.ones(1, 2, 3, 4, 5)).shape
        (1, 2, 1, 1, 1)
    """

    _spatial_dims = 3


class _AdaptiveMaxPoolNd(Module):
    """N-d adaptive max pooling layer; see ``F.adaptive_max_pool2d``."""

    _spatial_dims: int

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        _check_output_size(type(self).__name__, self._spatial_dims, output_size)
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        n = self._spatial_dims
        return F._adaptive_max(
            f"adaptive_max_pool{n}d", n, input, self.output_size, self.return_indices
        )

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling whose windows are chosen to give ``output_size``, over ``(N, C, H, W)``.

    Args:
        output_size: ``s`` or ``(H_out, W_out)``; an entry None keeps that input size.
        return_indices: also return the index of each maximum. Default: False.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``

    Example:
        >>> import juanji
        >>> AdaptiveMaxPool2d(2)(juanji.ones(1, 3, 5, 5)).shape
        (1, 3, 2, 2)
    """

    _spatial_dims = 2


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The 1-D case of ``AdaptiveMaxPool2d``, over ``(N, C, L)``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``

    Example:
        >>> import juanji
        >>> AdaptiveMaxPool1d(3)(juanji.ones(1, 2, 9)).shape
        (1, 2, 3)
    """

    _spatial_dims = 1


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """The 3-D case of ``AdaptiveMaxPool2d``, over ``(N, C, D, H, W)``.

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or without ``N``

    Example:
        >>> import juanji
        >>> AdaptiveMaxPool3d(1)(juanji.ones(1, 2, 3, 4, 5)).shape
        (1, 2, 1, 1, 1)
    """

    _spatial_dims = 3
