"""Margin and embedding losses: ranking, hinge, soft-margin, multi-label, multi-class, triplet.

Each is a composition of differentiable Tensor operations with PyTorch's formula (written in
each docstring, per sample before ``reduction``). ``reduction`` is ``'mean'`` (default),
``'sum'`` or ``'none'``, and, as for juanji's other losses, it and the other options after the
ones PyTorch lists before its legacy ``size_average``/``reduce`` are keyword-only, so a call
that passed those by position fails instead of meaning something else. Targets of +-1 are
floats, class indices int64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.backend import xp_of
from juanji.nn.functional._checks import check_choice, check_float, check_same_dtype, check_tensor
from juanji.nn.functional.activation import logsigmoid
from juanji.nn.functional.distance import pairwise_distance
from juanji.tensor.tensor import Tensor, where

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(fn: str, loss: Tensor, reduction: str) -> Tensor:
    check_choice(fn, "reduction", reduction, _REDUCTIONS)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _tensors(fn: str, **tensors: Tensor) -> None:
    for name, value in tensors.items():
        check_tensor(fn, name, value)
    first = next(iter(tensors))
    check_float(fn, first, tensors[first])


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, *, reduction: str = "mean"
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``target = 1``, ``max(0, cos(x1, x2) - margin)`` where -1.

    ``cos = x1.x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` along dim 1 of ``(N, D)`` inputs
    (dim 0 of ``(D,)`` ones); ``target`` is ``(N,)`` (or ``()``) of 1 and -1.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> cosine_embedding_loss(x, x, juanji.tensor([1.0, -1.0]), reduction="none")
        tensor([0., 1.])
    """
    fn = "cosine_embedding_loss"
    _tensors(fn, input1=input1, input2=input2, target=target)
    if input1.ndim not in (1, 2) or target.ndim != input1.ndim - 1:
        raise ValueError(
            f"{fn}: expected 1-D (D) or 2-D (N, D) inputs with a 0-D or 1-D (N) target, got "
            f"input1 {input1.shape} and target {target.shape}"
        )
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    denominator = ((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)
    cos = dot / denominator.sqrt()
    zero = cos * 0
    loss = where(target == 1, 1 - cos, zero) + where(
        target == -1, (cos - margin).clamp(min=0), zero
    )
    return _reduce(fn, loss, reduction)


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, *, reduction: str = "mean"
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``: rank ``input1`` above when target = 1.

    Example:
        >>> import juanji
        >>> margin_ranking_loss(juanji.tensor([2.0]), juanji.tensor([1.0]), juanji.tensor([-1.0]))
        tensor(1.)
    """
    fn = "margin_ranking_loss"
    _tensors(fn, input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(
            f"{fn}: All input tensors should have same dimension but got sizes: input1: "
            f"{input1.shape}, input2: {input2.shape}, target: {target.shape}"
        )
    return _reduce(fn, (-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, *, reduction: str = "mean"
) -> Tensor:
    """``input`` where ``target = 1``, ``max(0, margin - input)`` where -1 (input: distances).

    Example:
        >>> import juanji
        >>> hinge_embedding_loss(juanji.tensor([0.3, 0.3]), juanji.tensor([1.0, -1.0]))
        tensor(0.5000)
    """
    fn = "hinge_embedding_loss"
    _tensors(fn, input=input, target=target)
    zero = input * 0
    loss = where(target != 1, (margin - input).clamp(min=0), zero) + where(
        target != -1, input, zero
    )
    return _reduce(fn, loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))``, targets 1 and -1.

    Example:
        >>> import juanji
        >>> soft_margin_loss(juanji.tensor([0.0]), juanji.tensor([1.0]))
        tensor(0.6931)
    """
    fn = "soft_margin_loss"
    _tensors(fn, input=input, target=target)
    return _reduce(fn, (1 + (-target * input).exp()).log(), reduction)


def multilabel_soft_margin_loss(
    input: Tensor, target: Tensor, weight: Tensor | None = None, *, reduction: str = "mean"
) -> Tensor:
    """Mean over classes of ``-(t log sigmoid(x) + (1 - t) log sigmoid(-x))``, times ``weight``.

    Args:
        input: ``(N, C)`` logits (or ``(C,)``).
        target: the input's shape, 0 or 1 per class.
        weight: per-class weights broadcast over the input, or None.
        reduction: ``'mean'`` (default) over samples, ``'sum'`` or ``'none'`` (``(N,)``).

    Example:
        >>> import juanji
        >>> multilabel_soft_margin_loss(juanji.zeros(1, 2), juanji.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    fn = "multilabel_soft_margin_loss"
    _tensors(fn, input=input, target=target)
    check_tensor(fn, "weight", weight, optional=True)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(fn, loss, reduction)


def _class_rows(fn: str, input: Tensor, target: Tensor, same_shape: bool) -> tuple[Tensor, Any]:
    """``input`` as ``(N, C)`` rows and the int target's array, after PyTorch's checks."""
    _tensors(fn, input=input)
    check_tensor(fn, "target", target)
    if target.is_floating_point():
        raise TypeError(f"{fn}: target must hold int64 class indices, got dtype {target.dtype}")
    if input.ndim not in (1, 2) or input.numel() == 0:
        raise ValueError(f"{fn}: input must be non-empty 1-D (C) or 2-D (N, C), got {input.shape}")
    wanted = input.shape if same_shape else input.shape[:-1]
    if target.shape != wanted:
        raise ValueError(f"{fn}: target must have shape {wanted}, got {target.shape}")
    classes = input.shape[-1]
    rows = input.reshape(-1, classes)
    data = target._data.reshape(rows.shape[0], -1)
    lowest = -1 if same_shape else 0
    if data.size and (int(data.min()) < lowest or int(data.max()) >= classes):
        raise IndexError(f"{fn}: target values must be in [{lowest}, {classes}), got {target}")
    return rows, data


def multilabel_margin_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Hinge between each target class j and each non-target class i, over C.

    ``sum_j sum_{i not a target} max(0, 1 - (x[j] - x[i])) / C``; the target row lists class
    indices and ends at its first -1.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> multilabel_margin_loss(x, juanji.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    fn = "multilabel_margin_loss"
    rows, data = _class_rows(fn, input, target, same_shape=True)
    xp = xp_of(data)
    n, classes = rows.shape
    ended = xp.cumsum(data == -1, axis=1) > 0
    counts = xp.zeros((n, classes), dtype=rows._data.dtype)
    listed = xp.where(ended, 0, data)
    for k in range(data.shape[1]):
        counts[xp.arange(n), listed[:, k]] += ~ended[:, k]
    others = (counts == 0).astype(counts.dtype)
    pair_weight = Tensor(counts[:, :, None] * others[:, None, :])  # (N, j, i)
    hinge = (1 - rows.unsqueeze(2) + rows.unsqueeze(1)).clamp(min=0)  # (N, j, i)
    loss = (hinge * pair_weight).sum((1, 2)) / classes
    return _reduce(fn, loss if input.ndim == 2 else loss.reshape(()), reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C``, times ``weight[y]``.

    Example:
        >>> import juanji
        >>> multi_margin_loss(juanji.tensor([[0.1, 0.2, 0.4, 0.8]]), juanji.tensor([3]))
        tensor(0.3250)
    """
    fn = "multi_margin_loss"
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    rows, data = _class_rows(fn, input, target, same_shape=False)
    check_tensor(fn, "weight", weight, optional=True)
    if weight is not None and weight.ndim != 1:
        raise ValueError(f"{fn}: weight must be one-dimensional, got {weight.shape}")
    xp = xp_of(data)
    n, classes = rows.shape
    labels = data.reshape(n)
    chosen = rows[xp.arange(n), labels].unsqueeze(1)  # (N, 1)
    others = Tensor((xp.arange(classes)[None, :] != labels[:, None]).astype(rows._data.dtype))
    hinge = (margin - chosen + rows).clamp(min=0) ** p
    if weight is not None:
        hinge = hinge * weight[labels].unsqueeze(1)
    loss = (hinge * others).sum(1) / classes
    return _reduce(fn, loss if input.ndim == 2 else loss.reshape(()), reduction)


def _check_triplet(fn: str, anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    _tensors(fn, anchor=anchor, positive=positive, negative=negative)
    check_same_dtype(fn, anchor=anchor, positive=positive, negative=negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(
            f"{fn}: The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
            f"and negative {negative.ndim}D inputs"
        )


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    *,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d = pairwise_distance(., ., p, eps)``.

    ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al., 2016).

    Example:
        >>> import juanji
        >>> a, pos, neg = juanji.zeros(1, 2), juanji.tensor([[3.0, 4.0]]), juanji.zeros(1, 2)
        >>> round(triplet_margin_loss(a, pos, neg, eps=0).item(), 4)
        6.0
    """
    fn = "triplet_margin_loss"
    _check_triplet(fn, anchor, positive, negative)
    if anchor.ndim not in (1, 2):
        raise ValueError(f"{fn}: inputs must be 1-D (D) or 2-D (N, D), got {anchor.ndim}-D")
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        swapped = pairwise_distance(positive, negative, p, eps)
        negative_distance = negative_distance.minimum(swapped)
    loss = (margin + positive_distance - negative_distance).clamp(min=0)
    return _reduce(fn, loss, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function`` (default ``pairwise_distance``).

    Raises:
        ValueError: ``margin <= 0``.

    Example:
        >>> import juanji
        >>> a, pos, neg = juanji.zeros(1, 2), juanji.ones(1, 2), juanji.ones(1, 2)
        >>> l1 = lambda x, y: (x - y).abs().sum(-1)
        >>> triplet_margin_with_distance_loss(a, pos, neg, distance_function=l1)
        tensor(1.)
    """
    fn = "triplet_margin_with_distance_loss"
    if margin <= 0:
        raise ValueError(
            f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
            "instead"
        )
    _check_triplet(fn, anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    positive_distance = distance(anchor, positive)
    negative_distance = distance(anchor, negative)
    if swap:
        negative_distance = negative_distance.minimum(distance(positive, negative))
    loss = (margin + positive_distance - negative_distance).clamp(min=0)
    return _reduce(fn, loss, reduction)
