"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` and their helpers.

``clip_grad_norm_`` treats all gradients as one vector: its ``norm_type`` norm is the norm of
the per-tensor norms, and every gradient is multiplied by ``min(1, max_norm / (norm + 1e-6))``
in place, so nothing changes while the norm stays under ``max_norm`` (PyTorch's rule, epsilon
included). ``clip_grad_value_`` clamps each gradient element to ``[-clip_value, clip_value]``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

from juanji.autograd.grad_mode import no_grad
from juanji.tensor.creation import tensor as as_tensor
from juanji.tensor.functions import stack
from juanji.tensor.tensor import Tensor

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _as_list(tensors: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _norm(t: Tensor, norm_type: float) -> Tensor:
    """The ``norm_type`` norm of all elements of ``t``; inf is the largest absolute value."""
    if math.isinf(norm_type):
        return t.abs().amax() if norm_type > 0 else t.abs().min()
    return t.norm(norm_type)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type`` norm of all ``tensors`` taken together as one vector.

    Args:
        tensors: a Tensor or an iterable of Tensors (typically gradients).
        norm_type: the p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite: raise ``RuntimeError`` when the norm is nan or inf.
        foreach: accepted for PyTorch compatibility; juanji has one implementation.

    Returns:
        A 0-D tensor (``tensor(0.)`` for no tensors).

    Example:
        >>> import juanji
        >>> get_total_norm([juanji.tensor([3.0]), juanji.tensor([4.0])])
        tensor(5.)
    """
    del foreach
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return as_tensor(0.0)
    with no_grad():
        norms = [_norm(t.detach(), norm_type) for t in tensors]
        total = _norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(float(total.item())):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients of ``parameters`` by ``min(1, max_norm / (total_norm + 1e-6))``.

    Example:
        >>> import juanji
        >>> w = juanji.zeros(2, requires_grad=True); w.grad = juanji.tensor([3.0, 4.0])
        >>> clip_grads_with_norm_([w], 1.0, juanji.tensor(5.0)); w.grad
        tensor([0.6000, 0.8000])
    """
    del foreach
    grads = _grads(parameters)
    if not grads:
        return
    coefficient = min(1.0, float(max_norm) / (float(total_norm.item()) + 1e-6))
    with no_grad():
        for grad in grads:
            grad.mul_(coefficient)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients in place so that their total norm is at most ``max_norm``.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is clipped (those
            without a gradient are skipped).
        max_norm: the largest total norm allowed.
        norm_type: the p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite: raise ``RuntimeError`` when the total norm is nan or inf.
        foreach: accepted for PyTorch compatibility.

    Returns:
        The total norm of the gradients before clipping, a 0-D tensor.

    Example:
        >>> import juanji
        >>> w = juanji.zeros(2, requires_grad=True); w.grad = juanji.tensor([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0)
        tensor(5.)
        >>> w.grad
        tensor([0.6000, 0.8000])
    """
    parameters = _as_list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated name of ``clip_grad_norm_`` (warns, as PyTorch does)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: Any, foreach: bool | None = None
) -> None:
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]``, in place.

    Example:
        >>> import juanji
        >>> w = juanji.zeros(2, requires_grad=True); w.grad = juanji.tensor([-3.0, 0.5])
        >>> clip_grad_value_(w, 1.0); w.grad
        tensor([-1.0000,  0.5000])
    """
    del foreach
    clip_value = float(clip_value)
    with no_grad():
        for grad in _grads(parameters):
            grad.clamp_(-clip_value, clip_value)
