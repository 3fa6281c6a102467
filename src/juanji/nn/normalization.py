"""Normalisation layers over features: ``LayerNorm``, ``GroupNorm``, ``LocalResponseNorm``.

Batch and instance normalisation, which keep running statistics, live in ``nn/batchnorm.py``
and are re-exported here, as in PyTorch's ``torch.nn.modules``. The formulas are in
``juanji.nn.functional.normalization``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.nn import init
from juanji.nn.batchnorm import (  # noqa: F401  (re-exported)
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from juanji.nn.functional import normalization as F
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
from juanji.tensor.tensor import Tensor


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes of each sample; see ``F.layer_norm``.

    Args:
        normalized_shape: the trailing shape (an int or a tuple of ints).
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (1) and ``bias`` (0) of shape ``normalized_shape``.
            Default: True.
        bias: learn ``bias`` (with ``elementwise_affine``). Default: True.
        device, dtype: of the parameters.

    Shape:
        - Input: ``(*, *normalized_shape)``
        - Output: the same shape

    Example:
        >>> import juanji
        >>> LayerNorm(4)(juanji.ones(2, 4)).shape
        (2, 4)
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = _uninitialised(self.normalized_shape, dtype, device, "LayerNorm")
            if bias:
                self.bias = _uninitialised(self.normalized_shape, dtype, device, "LayerNorm")
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set ``weight`` to 1 and ``bias`` to 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise groups of channels of each sample; see ``F.group_norm``.

    Args:
        num_groups: number of groups the channels are split into.
        num_channels: ``C``, divisible by ``num_groups``.
        eps: added to the variance. Default: 1e-5.
        affine: learn per-channel ``weight`` (1) and ``bias`` (0). Default: True.
        device, dtype: of the parameters.
        bias: learn ``bias`` (with ``affine``). Default: True.

    Shape:
        - Input: ``(N, C, *)``
        - Output: the same shape

    Example:
        >>> GroupNorm(2, 4)
        GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(num_groups, int) or num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                f"num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = _uninitialised((num_channels,), dtype, device, "GroupNorm")
            if bias:
                self.bias = _uninitialised((num_channels,), dtype, device, "GroupNorm")
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = LayerNorm.reset_parameters

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        if isinstance(input, Tensor) and input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: input has {input.shape[1]} channels (dim 1) but "
                f"num_channels is {self.num_channels}; input shape {input.shape}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class LocalResponseNorm(Module):
    """Normalise each value by its neighbouring channels (AlexNet); see ``F.local_response_norm``.

    Args:
        size: number of neighbouring channels in the window.
        alpha: multiplicative constant. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive constant. Default: 1.

    Shape:
        - Input: ``(N, C, *)``
        - Output: the same shape

    Example:
        >>> LocalResponseNorm(5)
        LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """PyTorch's legacy local response normalisation of 4-D input, window rule included.

    ``y = x * (k + alpha / size * sum_window x^2) ^ -beta`` over channels, where the window of
    channel c is PyTorch's: channels ``max(1, c - p + 1) .. c + p - 1`` with ``p = (size - 1)
    // 2 + 1``, plus channel 0 always (a quirk of its running-sum loop that juanji copies, so
    that the values equal PyTorch's). The gradient is the exact one of this formula (PyTorch's
    hand-written legacy backward does not pass its own gradcheck).

    Example:
        >>> CrossMapLRN2d(3)
        CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        channels = input.shape[1]
        reach = (self.size - 1) // 2 + 1
        window = np.zeros((channels, channels), dtype=input._data.dtype)  # window[c, j]
        for c in range(channels):
            window[c, max(1, c - reach + 1) : c + reach] = 1
            window[c, 0] = 1
        summed = (input * input).permute(0, 2, 3, 1).matmul(Tensor(window.T))  # (N, H, W, C)
        scale = summed.permute(0, 3, 1, 2) * (self.alpha / self.size) + self.k
        return input * scale ** (-self.beta)


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing axes; see ``F.rms_norm``.

    Args:
        normalized_shape: the trailing shape (an int or a tuple of ints).
        eps: added to the mean square; None (default) is the input dtype's machine epsilon.
        elementwise_affine: learn ``weight`` (ones) of shape ``normalized_shape``. Default: True.
        device, dtype: of the weight.

    Example:
        >>> RMSNorm(4)
        RMSNorm((4,), eps=None, elementwise_affine=True)
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = _uninitialised(self.normalized_shape, dtype, device, "RMSNorm")
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set ``weight`` to 1."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layer (see the class docstring)."""
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
