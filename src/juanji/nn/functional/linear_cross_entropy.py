"""``linear_cross_entropy``: ``cross_entropy(linear(input, W, b), target)`` in one call.

PyTorch 2.13 adds it to save the memory of the logits by chunking the batch (``options``).
juanji always runs the reference computation it documents (the logits in full); ``options``
is accepted and has no effect on the result, which is the same either way.
"""

from __future__ import annotations

import math
from typing import Any

from juanji.nn.functional._checks import check_tensor
from juanji.nn.functional.linear import linear
from juanji.nn.functional.loss import cross_entropy
from juanji.tensor.tensor import Tensor

__all__ = ["linear_cross_entropy"]


def _check_shapes(
    fn: str, input: Tensor, linear_weight: Tensor, linear_bias: Tensor | None
) -> tuple[int, tuple[int, ...]]:
    """PyTorch's shape rules; the number of classes and the K trailing output sizes."""
    if input.ndim not in (1, 2):
        raise ValueError(f"{fn}: expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise ValueError(
            f"{fn}: expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}"
        )
    batch, in_features = input.shape[:-1], input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise ValueError(
            f"{fn}: expected equal input and linear_weight last dimensions (in_features), got "
            f"{in_features} and {linear_weight.shape[-1]}, respectively"
        )
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise ValueError(
            f"{fn}: expected linear_bias shape {(classes, *out_features)}, got "
            f"{tuple(linear_bias.shape)}"
        )
    if out_features and not batch:
        raise ValueError(
            f"{fn}: K-dimensional loss defined by linear_weight shape "
            f"{tuple(linear_weight.shape)} requires batched input, (N, {in_features}), got "
            f"unbatched input with shape {tuple(input.shape)}"
        )
    return classes, out_features


def linear_cross_entropy(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: Any = None,
) -> Tensor:
    """Cross-entropy of the logits ``input @ W.T + b`` against ``target``.

    Args:
        input: ``(N, in_features)`` or ``(in_features,)``.
        linear_weight: ``(C, in_features)``, or ``(C, d_1, ..., d_K, in_features)`` for a
            K-dimensional loss (logits ``(N, C, d_1, ..., d_K)``).
        target: class indices, or class probabilities of the logits' shape.
        linear_bias: ``(C, d_1, ..., d_K)`` or None.
        weight: ``(C,)`` class weights, as ``cross_entropy``'s.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        ignore_index: a class index that gives no loss (None: -100 for index targets).
        label_smoothing: in [0, 1], as ``cross_entropy``'s.
        options: PyTorch's chunking options (accepted, no effect here).

    Raises:
        ValueError: shapes that do not fit, or ``ignore_index`` with probability targets.

    Example:
        >>> import juanji
        >>> x, w = juanji.zeros(2, 3), juanji.zeros(4, 3)
        >>> loss = linear_cross_entropy(x, w, juanji.tensor([0, 1]))
        >>> round(loss.item(), 4)   # log(4)
        1.3863
    """
    del options
    fn = "linear_cross_entropy"
    for name, value in (("input", input), ("linear_weight", linear_weight), ("target", target)):
        check_tensor(fn, name, value)
    batch, in_features = input.shape[:-1], input.shape[-1]
    classes, out_features = _check_shapes(fn, input, linear_weight, linear_bias)
    logits_shape = (*batch, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise ValueError(
            f"{fn}: ignore_index cannot be specified when target contains probabilities"
        )
    rows = math.prod(out_features) * classes
    bias = None if linear_bias is None else linear_bias.reshape(rows)
    logits = linear(input, linear_weight.reshape(rows, in_features), bias).reshape(logits_shape)
    return cross_entropy(
        logits,
        target,
        weight,
        ignore_index=-100 if ignore_index is None else ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
