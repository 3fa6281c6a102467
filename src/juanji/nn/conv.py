"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, all one ``_ConvNd``.

``_ConvNd`` is also the base of the transposed layers (``nn/conv_transpose.py``), as in
PyTorch: ``transposed=True`` stores the weight as ``(C_in, C_out / groups, *k)`` and keeps an
``output_padding``; the arguments' checks, the parameters, their initialisation and ``repr``
are written once, here.

The arithmetic (padding forms, stride, dilation, groups, output size) is explained once, in
``juanji.nn.functional.conv``; these modules hold the weight and bias, validate the constructor
arguments, and add ``padding_mode``: with ``'zeros'`` the padding is the convolution's own; with
``'reflect'``, ``'replicate'`` or ``'circular'`` the input is first padded by
``juanji.nn.functional.pad`` in that mode and then convolved without padding (as PyTorch does).
"""

from __future__ import annotations

from typing import Any

from juanji._shapes import parse_padding, resolve_padding
from juanji.nn import init
from juanji.nn.functional import conv as F_conv
from juanji.nn.functional import padding as F_padding
from juanji.nn.functional._checks import _is_int, check_choice, int_tuple
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
from juanji.tensor.tensor import Tensor

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(owner: str, name: str, value: Any) -> None:
    if not _is_int(value):
        raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value}")


def _stored_padding(owner: str, padding: Any, n: int) -> Any:
    """Validate ``padding`` (``_shapes.parse_padding``'s rules) and return the stored form.

    PyTorch's: a string stays a string, ints become n ints; pairs stay pairs (juanji's).
    """
    parsed = parse_padding(owner, padding, n)
    if isinstance(parsed, str):
        return parsed
    entries = [padding] * n if _is_int(padding) else list(padding) * (n if len(padding) == 1 else 1)
    return tuple(b if _is_int(e) else (b, a) for e, (b, a) in zip(entries, parsed, strict=True))


def _check_arguments(
    owner: str,
    n: int,
    in_channels: Any,
    out_channels: Any,
    groups: Any,
    padding: Any,
    padding_mode: Any,
    transposed: bool,
) -> None:
    """The constructor's channel, group and padding-mode rules, with PyTorch's errors."""
    if transposed and padding_mode != "zeros":
        raise ValueError(
            f'{owner}: only "zeros" padding_mode is supported (as in PyTorch), got '
            f"{padding_mode!r}"
        )
    if transposed and isinstance(padding, str):
        raise ValueError(f"{owner}: padding must be an int or {n} ints, got {padding!r}")
    _check_channels(owner, "in_channels", in_channels)
    _check_channels(owner, "out_channels", out_channels)
    _check_channels(owner, "groups", groups)
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ValueError(f"{owner}: {name} ({channels}) must be divisible by groups ({groups})")
    check_choice(owner, "padding_mode", padding_mode, _PADDING_MODES)


class _ConvNd(Module):
    """N-d convolution layer; ``Conv1d``/``Conv2d``/``Conv3d`` fix the number of spatial dims.

    With ``transposed=True`` (the ``ConvTranspose*d`` subclasses) the weight is laid out
    ``(C_in, C_out / groups, *k)``, the padding must be ints and ``output_padding`` is kept.
    """

    _spatial_dims: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        transposed: bool = False,
        output_padding: Any = 0,
    ) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._spatial_dims
        _check_arguments(owner, n, in_channels, out_channels, groups, padding, padding_mode,
                         transposed)  # fmt: skip
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = int_tuple(owner, "kernel_size", kernel_size, n)
        self.stride = int_tuple(owner, "stride", stride, n)
        self.padding = (
            int_tuple(owner, "padding", padding, n, minimum=0)
            if transposed
            else _stored_padding(owner, padding, n)
        )
        self.dilation = int_tuple(owner, "dilation", dilation, n)
        self.transposed = transposed
        self.output_padding = int_tuple(owner, "output_padding", output_padding, n, minimum=0)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (
            (in_channels, out_channels // groups, *self.kernel_size)
            if transposed
            else (out_channels, in_channels // groups, *self.kernel_size)
        )
        self.weight = _uninitialised(shape, dtype, device, owner)
        if bias:
            self.bias = _uninitialised((out_channels,), dtype, device, owner)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights and bias with PyTorch's default initialisation (see Attributes)."""
        init._default_init_(self.weight, self.bias)

    def _mode_pads(self, x: Tensor) -> tuple[int, ...]:
        """``F.pad``'s flat pad list (last dimension first) for a non-zeros ``padding_mode``."""
        n = self._spatial_dims
        spec = self.padding if isinstance(self.padding, str) else parse_padding("", self.padding, n)
        pairs = resolve_padding(spec, x.shape[-n:], self.kernel_size, self.stride, self.dilation)
        return tuple(p for pair in reversed(pairs) for p in pair)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        n = self._spatial_dims
        padding = self.padding
        if self.padding_mode != "zeros":
            input = F_padding.pad(input, self._mode_pads(input), mode=self.padding_mode)  # noqa: A001
            padding = 0
        return F_conv._conv_nd(
            f"conv{n}d", n, input, self.weight, self.bias, self.stride, padding, self.dilation,
            self.groups,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        n = self._spatial_dims
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str) or self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)``; see ``F.conv2d``.

    Every output channel sums, over the input channels of its group, the input correlated
    with one ``kH x kW`` kernel, plus a bias.

    Args:
        in_channels: channels of the input, ``C_in``.
        out_channels: channels of the output, ``C_out`` (the number of kernels).
        kernel_size: ``k`` or ``(kH, kW)``.
        stride: step of the kernel, int or pair. Default: 1.
        padding: int, pair, ``((top, bottom), (left, right))``, ``'valid'``, ``'same'`` or
            ``'same_lower'`` (see ``juanji.nn.functional.conv``). Default: 0.
        dilation: spacing of the kernel taps, int or pair. Default: 1.
        groups: split the channels into this many independent groups; must divide both
            ``in_channels`` and ``out_channels``. Default: 1.
        bias: learn a bias per output channel. Default: True.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Default: ``'zeros'``.
        device: where to create the parameters. Default: the CPU.
        dtype: floating dtype of the parameters. Default: the default dtype (float32).

    Attributes:
        weight: ``(C_out, C_in / groups, kH, kW)``, from U(-k, k) with ``k = 1 / sqrt(fan_in)``,
            ``fan_in = C_in / groups * kH * kW`` (PyTorch's ``kaiming_uniform_(a=sqrt(5))``).
        bias: ``(C_out,)``, also from U(-k, k); None when ``bias=False``.

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)`` with
          ``H_out = floor((H + pad_top + pad_bottom - dilation*(kH-1) - 1) / stride) + 1``,
          ``W_out`` likewise

    Example:
        >>> import juanji
        >>> conv = Conv2d(1, 6, 5, padding=2)
        >>> conv
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        >>> conv.weight.shape
        (6, 1, 5, 5)
        >>> conv(juanji.zeros(64, 1, 28, 28)).shape
        (64, 6, 28, 28)
    """

    _spatial_dims = 2


class Conv1d(_ConvNd):
    """The 1-D case of ``Conv2d``, over ``(N, C_in, L)``; arguments as ``Conv2d``.

    Shape:
        - Input: ``(N, C_in, L)`` or ``(C_in, L)``
        - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``, ``L_out`` as ``H_out``

    Example:
        >>> import juanji
        >>> Conv1d(2, 4, 3, padding="same")(juanji.zeros(1, 2, 10)).shape
        (1, 4, 10)
    """

    _spatial_dims = 1


class Conv3d(_ConvNd):
    """The 3-D case of ``Conv2d``, over ``(N, C_in, D, H, W)``; arguments as ``Conv2d``.

    Shape:
        - Input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
        - Output: ``(N, C_out, D_out, H_out, W_out)`` or without ``N``, each size as ``H_out``

    Example:
        >>> import juanji
        >>> Conv3d(1, 2, 3)(juanji.zeros(1, 1, 4, 5, 6)).shape
        (1, 2, 2, 3, 4)
    """

    _spatial_dims = 3
