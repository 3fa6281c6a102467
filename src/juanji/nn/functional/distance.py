"""Distances and similarities between vectors.

``normalize``, ``cosine_similarity``, ``pairwise_distance`` and ``pdist``

All are compositions of differentiable Tensor operations. The p-norm of a vector ``v`` is
``(sum |v_i|^p)^(1/p)``; ``p = inf`` is the largest ``|v_i|``, ``p = 0`` the number of non-zero
entries (no gradient).
"""

from __future__ import annotations

import math
from typing import Any

from juanji.nn.functional._checks import check_float, check_tensor
from juanji.tensor.tensor import Tensor

__all__ = ["cosine_similarity", "normalize", "pairwise_distance", "pdist"]


def vector_norm(x: Tensor, p: float, dim: Any, keepdim: bool = False) -> Tensor:
    """The ``p``-norm of ``x`` along ``dim`` (inf, -inf and 0 included)."""
    if math.isinf(p):
        magnitude = x.abs()
        return magnitude.amax(dim, keepdim) if p > 0 else -(-magnitude).amax(dim, keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    if p == 2:
        return x.norm(2, dim, keepdim)
    return (x.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)


def _check_number(fn: str, name: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    return float(value)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """Divide ``input`` by its ``p``-norm along ``dim``: ``v / max(||v||_p, eps)``.

    Args:
        input: any shape.
        p: the norm's exponent. Default: 2.
        dim: the dimension that holds the vectors. Default: 1.
        eps: the smallest divisor, so that zero vectors stay zero. Default: 1e-12.
        out: not supported (must be None).

    Example:
        >>> import juanji
        >>> normalize(juanji.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    check_tensor("normalize", "input", input)
    if out is not None:
        raise ValueError("normalize: out= is not supported in juanji; use the returned tensor")
    p = _check_number("normalize", "p", p)
    return input / vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between the vectors of ``x1`` and ``x2`` along ``dim``.

    ``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)))``: each side is normalised first
    (as PyTorch does, which keeps the result in [-1, 1]); the floor ``eps`` only changes the
    value, the gradient flows through the unclamped norms as in PyTorch. The inputs broadcast.

    Args:
        x1: ``(*, D, *)``.
        x2: broadcastable to ``x1``.
        dim: the dimension of the vectors. Default: 1.
        eps: the smallest norm. Default: 1e-8.

    Returns:
        The broadcast shape without ``dim``.

    Example:
        >>> import juanji
        >>> cosine_similarity(juanji.tensor([[1.0, 0.0]]), juanji.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    fn = "cosine_similarity"
    check_tensor(fn, "x1", x1)
    check_tensor(fn, "x2", x2)
    check_float(fn, "x1", x1)
    check_float(fn, "x2", x2)
    x1, x2 = _broadcast(fn, x1, x2)
    return ((x1 / _floored_norm(x1, dim, eps)) * (x2 / _floored_norm(x2, dim, eps))).sum(dim)


def _floored_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """``max(||x||, eps)`` in value, with the gradient of ``||x||`` (PyTorch's no-grad clamp)."""
    norm = x.norm(2, dim, keepdim=True)
    return norm + (norm.clamp(min=eps) - norm).detach()


def _broadcast(fn: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    ndim = max(x1.ndim, x2.ndim)
    a = (1,) * (ndim - x1.ndim) + tuple(x1.shape)
    b = (1,) * (ndim - x2.ndim) + tuple(x2.shape)
    if any(i != j and 1 not in (i, j) for i, j in zip(a, b, strict=True)):
        raise ValueError(
            f"{fn}: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not broadcast"
        )
    shape = tuple(max(i, j) if 0 not in (i, j) else 0 for i, j in zip(a, b, strict=True))
    return x1.reshape(a).expand(*shape), x2.reshape(b).expand(*shape)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dimension (PyTorch's formula).

    Args:
        x1: ``(N, D)`` or ``(D,)``.
        x2: broadcastable to ``x1``.
        p: the norm's exponent. Default: 2.
        eps: added to the difference, so that equal vectors have a gradient. Default: 1e-6.
        keepdim: keep the last dimension (size 1). Default: False.

    Example:
        >>> import juanji
        >>> pairwise_distance(juanji.tensor([[0.0, 0.0]]), juanji.tensor([[3.0, 4.0]]), eps=0)
        tensor([5.])
    """
    fn = "pairwise_distance"
    check_tensor(fn, "x1", x1)
    check_tensor(fn, "x2", x2)
    p = _check_number(fn, "p", p)
    if p < 0:
        raise ValueError(f"{fn}: p must be >= 0, got {p}")
    x1, x2 = _broadcast(fn, x1, x2)
    if x1.ndim == 0:
        return (x1 - x2 + eps).abs() if p != 0 else (x1 - x2 + eps != 0).to(x1.dtype)
    return vector_norm(x1 - x2 + eps, p, x1.ndim - 1, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The ``p``-norm distance between every pair of rows ``i < j`` of ``input`` ``(N, M)``.

    Returns:
        ``(N * (N - 1) / 2,)``, the pairs in row-major order of the upper triangle.

    Example:
        >>> import juanji
        >>> pdist(juanji.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    check_tensor("pdist", "input", input)
    if input.ndim != 2:
        raise ValueError(f"pdist: input must be 2-D (N, M), got {input.ndim}-D shape {input.shape}")
    p = _check_number("pdist", "p", p)
    if p < 0:
        raise ValueError(f"pdist: p must be >= 0, got {p}")
    n = input.shape[0]
    first = [i for i in range(n) for _ in range(i + 1, n)]
    second = [j for i in range(n) for j in range(i + 1, n)]
    if not first:
        return input.new_zeros((0,))
    return vector_norm(input[first] - input[second], p, 1)
