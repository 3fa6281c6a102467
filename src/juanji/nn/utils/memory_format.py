"""``convert_conv2d_weight_memory_format`` and the 3-D one: no-ops, one memory format here."""

from __future__ import annotations

from typing import Any

from juanji.nn.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """Return ``module`` unchanged: juanji's convolutions choose their layout themselves.

    PyTorch rewrites the convolution weights of ``module`` to ``channels_last`` (or back) so
    that cuDNN picks NHWC kernels. juanji's tensors have one (row-major) layout and its conv
    algorithms arrange their own data, so there is nothing to convert.

    Example:
        >>> from juanji import nn
        >>> layer = nn.Conv2d(1, 2, 3)
        >>> convert_conv2d_weight_memory_format(layer, None) is layer
        True
    """
    return module


def convert_conv3d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """Return ``module`` unchanged (see ``convert_conv2d_weight_memory_format``)."""
    return module
