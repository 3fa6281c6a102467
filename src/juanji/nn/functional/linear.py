"""Dense layers and shape helpers: ``linear``, ``flatten``, and the dropout family.

``linear(x, W, b) = x @ W.T + b`` over the last dimension of ``x``, one fused op whose transpose
is a BLAS flag rather than a copy. ``dropout`` is inverted dropout: survivors are scaled by
``1 / (1 - p)`` in training so that evaluation is the identity.
"""

from __future__ import annotations

import warnings
from typing import Any

from juanji._ops import dropout as dropout_ops
from juanji._ops import linalg
from juanji.nn.functional._checks import (
    check_float,
    check_probability,
    check_same_dtype,
    check_tensor,
)
from juanji.nn.functional.activation import _in_place
from juanji.random import Generator, numpy_rng
from juanji.tensor.tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``y = x @ weight.T + bias`` applied to the last dimension of ``input``.

    Args:
        input: ``(*, in_features)``, any number of leading dimensions.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.

    Raises:
        ValueError: if the shapes do not fit, e.g. ``linear: input has 3 features in its last
            dimension but weight expects 4 (in_features)``.
        TypeError: non-tensor arguments, integer tensors, or mixed dtypes.

    Shape:
        - Input: ``(*, H_in)`` with ``H_in = in_features``
        - Output: ``(*, H_out)`` with ``H_out = out_features``

    Example:
        >>> import juanji
        >>> linear(juanji.ones(2, 3), juanji.ones(4, 3), juanji.zeros(4))
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    check_tensor("linear", "input", input)
    check_tensor("linear", "weight", weight)
    check_tensor("linear", "bias", bias, optional=True)
    check_float("linear", "input", input)
    check_same_dtype("linear", input=input, weight=weight, bias=bias)
    if weight.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got {weight.ndim}-D shape "
            f"{weight.shape}"
        )
    if input.ndim == 0:
        raise ValueError("linear: input must have at least 1 dimension (*, in_features), got 0-D")
    if input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input has {input.shape[-1]} features in its last dimension but weight "
            f"expects {weight.shape[1]} (in_features)"
        )
    if bias is None:
        return Tensor._apply(linalg.Linear, input, weight)
    if bias.shape != (weight.shape[0],):
        raise ValueError(
            f"linear: bias must have shape ({weight.shape[0]},) to match weight's "
            f"out_features, got {bias.shape}"
        )
    return Tensor._apply(linalg.Linear, input, weight, bias)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one (``torch.flatten``).

    Example:
        >>> import juanji
        >>> flatten(juanji.zeros(2, 3, 4), start_dim=1).shape
        (2, 12)
    """
    check_tensor("flatten", "input", input)
    return input.flatten(start_dim, end_dim)


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p`` in training; scale the rest by ``1 / (1 - p)``.

    The mask comes from ``generator`` (default: the global generator that
    ``juanji.manual_seed`` resets) and is reused by backward. With ``training=False`` or
    ``p=0`` the input is returned unchanged; ``p=1`` gives zeros.

    Args:
        input: floating point, any shape.
        p: probability of dropping an element, in [0, 1]. Default: 0.5.
        training: apply dropout (True) or return the input (False).
        inplace: overwrite ``input`` (when no graph needs it; see ``relu``).
        generator: source of randomness (a juanji extension; PyTorch has none here).

    Example:
        >>> import juanji
        >>> _ = juanji.manual_seed(0)
        >>> out = dropout(juanji.ones(1000), p=0.5)
        >>> sorted(set(out.tolist()))
        [0.0, 2.0]
    """
    check_tensor("dropout", "input", input)
    p = check_probability("dropout", "p", p)
    if not training or p == 0:
        return input
    check_float("dropout", "input", input)
    rng = numpy_rng(generator)
    if inplace:
        return _in_place("dropout", input, dropout_ops.Dropout, p=p, rng=rng)
    return Tensor._apply(dropout_ops.Dropout, input, p=p, rng=rng)


def _channel_dropout(
    fn: str, input: Tensor, p: float, training: bool, inplace: bool, spatial: int, op: Any = None
) -> Tensor:
    """Dropout with one mask value per (sample, channel): whole feature maps are zeroed."""
    check_tensor(fn, "input", input)
    p = check_probability(fn, "p", p)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{fn}: input must be {spatial + 1}-D (C, *) or {spatial + 2}-D (N, C, *) with "
            f"{spatial} spatial dimension(s), got {input.ndim}-D shape {input.shape}"
        )
    if not training or p == 0:
        return input
    check_float(fn, "input", input)
    batched = input.ndim == spatial + 2
    if fn == "dropout2d" and input.ndim == 3:
        # PyTorch's current reading of 3-D input to dropout2d, with its warning.
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning,
            stacklevel=3,
        )
        batched, spatial = True, 1
    channels = input.shape[: 2 if batched else 1]
    mask_shape = channels + (1,) * spatial
    function = op or dropout_ops.Dropout
    params = {"p": p, "rng": numpy_rng(None), "mask_shape": mask_shape}
    if inplace:
        return _in_place(fn, input, function, **params)
    return Tensor._apply(function, input, **params)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``.

    Survivors are scaled by ``1 / (1 - p)``; as ``dropout`` otherwise.

    Example:
        >>> import juanji
        >>> dropout1d(juanji.ones(2, 3, 4), training=False).shape
        (2, 3, 4)
    """
    return _channel_dropout("dropout1d", input, p, training, inplace, 1)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole feature maps of ``(N, C, H, W)`` input; see ``dropout1d``.

    3-D input is read as ``(N, C, L)`` with PyTorch's warning (PyTorch's current rule).

    Example:
        >>> import juanji
        >>> _ = juanji.manual_seed(0)
        >>> out = dropout2d(juanji.ones(1, 64, 2, 2)).numpy()
        >>> sorted(set(out.reshape(64, 4).std(axis=1).tolist()))  # each map all 0 or all 2
        [0.0]
    """
    return _channel_dropout("dropout2d", input, p, training, inplace, 2)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole volumes of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input; see ``dropout1d``.

    Example:
        >>> import juanji
        >>> dropout3d(juanji.ones(1, 2, 1, 1, 1), p=0.0).shape
        (1, 2, 1, 1, 1)
    """
    return _channel_dropout("dropout3d", input, p, training, inplace, 3)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps SELU activations' mean 0 and variance 1 (dropped units go to -1.758...).

    See ``juanji._ops.dropout.AlphaDropout`` for the affine correction. ``training`` defaults to
    False, as PyTorch's. ``p = 1`` is refused: no unit survives to carry the variance.

    Example:
        >>> import juanji
        >>> alpha_dropout(juanji.ones(3), 0.5)
        tensor([1., 1., 1.])
    """
    fn = "alpha_dropout"
    check_tensor(fn, "input", input)
    p = check_probability(fn, "p", p)
    if not training or p == 0:
        return input
    if p == 1:
        raise ValueError(f"{fn}: p must be below 1 in training (no unit would survive), got 1")
    check_float(fn, "input", input)
    params = {"p": p, "rng": numpy_rng(None)}
    if inplace:
        return _in_place(fn, input, dropout_ops.AlphaDropout, **params)
    return Tensor._apply(dropout_ops.AlphaDropout, input, **params)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels: one draw per ``(sample, channel)``.

    Raises:
        ValueError: input with fewer than 2 dimensions, or ``p = 1`` in training.

    Example:
        >>> import juanji
        >>> feature_alpha_dropout(juanji.ones(2, 3, 4), 0.5).shape
        (2, 3, 4)
    """
    fn = "feature_alpha_dropout"
    check_tensor(fn, "input", input)
    p = check_probability(fn, "p", p)
    if not training or p == 0:
        return input
    if input.ndim < 2:
        raise ValueError(
            f"{fn}: Feature dropout requires at least 2 dimensions in the input, got shape "
            f"{input.shape}"
        )
    if p == 1:
        raise ValueError(f"{fn}: p must be below 1 in training (no unit would survive), got 1")
    check_float(fn, "input", input)
    mask_shape = (*input.shape[:2], *(1,) * (input.ndim - 2))
    params = {"p": p, "rng": numpy_rng(None), "mask_shape": mask_shape}
    if inplace:
        return _in_place(fn, input, dropout_ops.AlphaDropout, **params)
    return Tensor._apply(dropout_ops.AlphaDropout, input, **params)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Bilinear map ``y_k = x1 @ weight[k] @ x2 + bias_k`` over the last dimensions.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)``, the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.

    Raises:
        ValueError: sizes that do not match the weight, or leading dimensions that differ.

    Example:
        >>> import juanji
        >>> bilinear(juanji.ones(1, 2), juanji.ones(1, 3), juanji.ones(4, 2, 3))
        tensor([[6., 6., 6., 6.]])
    """
    fn = "bilinear"
    for name, value in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_tensor(fn, name, value)
    check_tensor(fn, "bias", bias, optional=True)
    check_float(fn, "input1", input1)
    check_same_dtype(fn, input1=input1, input2=input2, weight=weight, bias=bias)
    if weight.ndim != 3:
        raise ValueError(
            f"{fn}: weight must be 3-D (out_features, in1_features, in2_features), got shape "
            f"{weight.shape}"
        )
    out, in1, in2 = weight.shape
    for i, (name, x, size) in enumerate((("input1", input1, in1), ("input2", input2, in2))):
        if x.ndim == 0 or x.shape[-1] != size:
            raise ValueError(
                f"{fn}: {name} size does not match weight size: got "
                f"{x.shape[-1] if x.ndim else 'a 0-D tensor'} but expected {size} "
                f"(weight.shape[{i + 1}])"
            )
    if input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(
            f"{fn}: input batch dimensions do not match: input1 {input1.shape}, input2 "
            f"{input2.shape}"
        )
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)  # (B, in1)
    mixed = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out * in2))  # (B, out * in2)
    y = (mixed.reshape(-1, out, in2) * input2.reshape(-1, 1, in2)).sum(-1)  # (B, out)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)
