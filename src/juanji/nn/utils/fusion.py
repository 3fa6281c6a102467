"""Fold an eval-mode BatchNorm into the convolution or linear layer before it.

With ``s = bn_w / sqrt(bn_rv + bn_eps)`` per output channel, ``bn(conv(x))`` equals a
convolution with weight ``conv_w * s`` (scaled along the output-channel dimension: 0, or 1 for a
transposed convolution) and bias ``(conv_b - bn_rm) * s + bn_b``. Only exact in eval mode, where
BatchNorm uses its running statistics.
"""

from __future__ import annotations

import copy
from typing import TypeVar

from juanji.autograd.grad_mode import no_grad
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter
from juanji.tensor.creation import ones_like, zeros_like
from juanji.tensor.tensor import Tensor

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]

M = TypeVar("M", bound=Module)


def fuse_conv_bn_weights(
    conv_w: Tensor,
    conv_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
    transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """The weight and bias of the convolution that equals ``bn(conv(x))`` in eval mode.

    Args:
        conv_w: the convolution's weight.
        conv_b: its bias, or None (zero).
        bn_rm: BatchNorm's running mean.
        bn_rv: BatchNorm's running variance.
        bn_eps: BatchNorm's epsilon.
        bn_w: BatchNorm's affine weight, or None (ones).
        bn_b: BatchNorm's affine bias, or None (zeros).
        transpose: True for a transposed convolution (output channels in dimension 1).

    Returns:
        ``(weight, bias)`` as Parameters, in ``conv_w``'s dtype.

    Example:
        >>> import juanji
        >>> w, b = fuse_conv_bn_weights(juanji.ones(2, 1, 1, 1), None, juanji.zeros(2),
        ...                             juanji.ones(2), 0.0, None, juanji.tensor([1.0, 2.0]))
        >>> w.flatten().tolist(), b.tolist()
        ([1.0, 1.0], [1.0, 2.0])
    """
    with no_grad():
        conv_b = zeros_like(bn_rm) if conv_b is None else conv_b
        bn_w = ones_like(bn_rm) if bn_w is None else bn_w
        bn_b = zeros_like(bn_rm) if bn_b is None else bn_b
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        bias = ((conv_b - bn_rm) * scale + bn_b).to(conv_w.dtype)
    return Parameter(weight, conv_w.requires_grad), Parameter(bias, conv_b.requires_grad)


def fuse_conv_bn_eval(conv: M, bn: Module, transpose: bool = False) -> M:
    """A copy of ``conv`` whose weight and bias absorb the eval-mode ``bn`` after it.

    Raises:
        AssertionError: either module is in training mode (PyTorch's check).

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> conv, bn = nn.Conv2d(1, 2, 3).eval(), nn.BatchNorm2d(2).eval()
        >>> x = juanji.randn(1, 1, 5, 5)
        >>> bool(((fuse_conv_bn_eval(conv, bn)(x) - bn(conv(x))).abs() < 1e-5).all())
        True
    """
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(conv)
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight,
        fused.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused


def fuse_linear_bn_weights(
    linear_w: Tensor,
    linear_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor,
    bn_b: Tensor,
) -> tuple[Parameter, Parameter]:
    """The weight and bias of the Linear layer that equals ``bn(linear(x))`` in eval mode."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear: M, bn: Module) -> M:
    """A copy of ``linear`` whose weight and bias absorb the eval-mode ``bn`` after it.

    Raises:
        AssertionError: either module is in training mode, or the feature counts differ.
    """
    assert not (linear.training or bn.training), "Fusion only for eval!"
    assert linear.out_features == bn.num_features or bn.num_features == 1, (
        "To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1"
    )
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
