"""Transposed convolution layers: ``ConvTranspose1d``, ``ConvTranspose2d``, ``ConvTranspose3d``.

The arithmetic is explained once, in ``juanji.nn.functional.conv_transpose``; these modules hold
the ``(C_in, C_out / groups, *k)`` weight and the bias, validate the constructor arguments, and
let ``forward`` pick ``output_padding`` from a requested ``output_size`` (as PyTorch does).
"""

from __future__ import annotations

from typing import Any

from juanji.nn.conv import _ConvNd
from juanji.nn.functional import conv_transpose as F_ct
from juanji.nn.functional._checks import _is_int
from juanji.tensor.tensor import Tensor


class _ConvTransposeNd(_ConvNd):
    """N-d transposed convolution layer; the subclasses fix the number of spatial dims.

    A ``_ConvNd`` with ``transposed=True`` (PyTorch's hierarchy): only the constructor's
    argument order, ``forward`` and its ``output_size`` rule are its own.
    """

    _spatial_dims: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype, transposed=True, output_padding=output_padding,
        )  # fmt: skip

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:  # noqa: A002
        """The output_padding that makes the output ``output_size`` (PyTorch's rule)."""
        owner, S = type(self).__name__, self._spatial_dims
        if output_size is None:
            return self.output_padding
        sizes = list(output_size)
        if not all(_is_int(v) for v in sizes):
            raise TypeError(f"{owner}: output_size must be a sequence of ints, got {output_size!r}")
        lead = input.ndim - S
        if len(sizes) == S + lead:
            sizes = sizes[lead:]
        if len(sizes) != S:
            raise ValueError(
                f"{owner}: output_size must have {S} or {S + lead} elements, got {len(sizes)} "
                f"({output_size!r})"
            )
        in_size = input.shape[-S:]
        zeros = (0,) * S
        smallest = F_ct.transposed_output_size(
            in_size, self.kernel_size, self.stride, self.padding, zeros, self.dilation
        )
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride, strict=True))
        if any(not lo <= v <= hi for v, lo, hi in zip(sizes, smallest, largest, strict=True)):
            raise ValueError(
                f"{owner}: requested an output size of {tuple(sizes)}, but valid sizes range from "
                f"{smallest} to {largest} (for an input of {in_size})"
            )
        return tuple(v - m for v, m in zip(sizes, smallest, strict=True))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        """Apply the layer; ``output_size`` (S or all sizes) chooses the output_padding."""
        fn = getattr(F_ct, f"conv_transpose{self._spatial_dims}d")
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a Tensor, got {input!r}")
        output_padding = self._output_padding(input, output_size)
        return fn(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over ``(N, C_in, H, W)``; see ``F.conv_transpose2d``.

    Args:
        in_channels: channels of the input, ``C_in``.
        out_channels: channels of the output, ``C_out``.
        kernel_size: ``k`` or ``(kH, kW)``.
        stride: int or pair. Default: 1.
        padding: int or pair, cropped from both ends of the output. Default: 0.
        output_padding: int or pair added at the end; smaller than stride or dilation. Default 0.
        groups: must divide both ``in_channels`` and ``out_channels``. Default: 1.
        bias: learn a bias per output channel. Default: True.
        dilation: spacing of the kernel taps, int or pair. Default: 1.
        padding_mode: only ``'zeros'`` (as in PyTorch).
        device: where to create the parameters. Default: the CPU.
        dtype: floating dtype of the parameters. Default: the default dtype (float32).

    Attributes:
        weight: ``(C_in, C_out / groups, kH, kW)``, from U(-b, b) with ``b = 1 / sqrt(fan_in)``,
            ``fan_in = C_out / groups * kH * kW`` (PyTorch's ``kaiming_uniform_(a=sqrt(5))``
            on this layout).
        bias: ``(C_out,)``, also from U(-b, b); None when ``bias=False``.

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)`` with
          ``H_out = (H - 1)*sH - 2*pH + dH*(kH - 1) + output_padding_H + 1``, W_out likewise;
          ``forward(input, output_size=...)`` picks output_padding to reach that size.

    Example:
        >>> import juanji
        >>> up = ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        >>> up
        ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
        >>> up(juanji.zeros(2, 16, 7, 7)).shape
        (2, 8, 14, 14)
        >>> up3 = ConvTranspose2d(16, 8, 3, stride=2)
        >>> up3(juanji.zeros(1, 16, 7, 7), output_size=(16, 16)).shape
        (1, 8, 16, 16)
    """

    _spatial_dims = 2


class ConvTranspose1d(_ConvTransposeNd):
    """The 1-D case of ``ConvTranspose2d``, over ``(N, C_in, L)``; arguments as there.

    Example:
        >>> import juanji
        >>> ConvTranspose1d(2, 4, 3, stride=2)(juanji.zeros(1, 2, 5)).shape
        (1, 4, 11)
    """

    _spatial_dims = 1


class ConvTranspose3d(_ConvTransposeNd):
    """The 3-D case of ``ConvTranspose2d``, over ``(N, C_in, D, H, W)``; arguments as there.

    Example:
        >>> import juanji
        >>> ConvTranspose3d(2, 1, 2, stride=2)(juanji.zeros(1, 2, 2, 3, 4)).shape
        (1, 1, 4, 6, 8)
    """

    _spatial_dims = 3
