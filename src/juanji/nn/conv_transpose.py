"""Transposed convolution layers: ``ConvTranspose1d``, ``ConvTranspose2d``, ``ConvTranspose3d``.

The arithmetic is explained once, in ``juanji.nn.functional.conv_transpose``; these modules hold
the ``(C_in, C_out / groups, *k)`` weight and the bias, validate the constructor arguments, and
let ``forward`` pick ``output_padding`` from a requested ``output_size`` (as PyTorch does).
"""

from __future__ import annotations

from typing import Any

from juanji.nn import init
from juanji.nn.conv import _check_channels
from juanji.nn.functional import conv_transpose as F_ct
from juanji.nn.functional._checks import _is_int, int_tuple
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
from juanji.tensor.tensor import Tensor


class _ConvTransposeNd(Module):
    """N-d transposed convolution layer; the subclasses fix the number of spatial dims."""

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
        super().__init__()
        owner, n = type(self).__name__, self._spatial_dims
        if padding_mode != "zeros":
            raise ValueError(
                f'{owner}: only "zeros" padding_mode is supported (as in PyTorch), got '
                f"{padding_mode!r}"
            )
        _check_channels(owner, "in_channels", in_channels)
        _check_channels(owner, "out_channels", out_channels)
        _check_channels(owner, "groups", groups)
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(
                    f"{owner}: {name} ({channels}) must be divisible by groups ({groups})"
                )
        if isinstance(padding, str):
            raise ValueError(f"{owner}: padding must be an int or {n} ints, got {padding!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = int_tuple(owner, "kernel_size", kernel_size, n)
        self.stride = int_tuple(owner, "stride", stride, n)
        self.padding = int_tuple(owner, "padding", padding, n, minimum=0)
        self.dilation = int_tuple(owner, "dilation", dilation, n)
        self.output_padding = int_tuple(owner, "output_padding", output_padding, n, minimum=0)
        self.transposed = True
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        self.weight = _uninitialised(shape, dtype, device, owner)
        if bias:
            self.bias = _uninitialised((out_channels,), dtype, device, owner)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: fan_in = weight.shape[1] * prod(k) = C_out / groups * prod(k)."""
        init._default_init_(self.weight, self.bias)

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

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        n = self._spatial_dims
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


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
