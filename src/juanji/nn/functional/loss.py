"""Loss functions: ``cross_entropy``, ``nll_loss``, ``mse_loss``.

Layouts (as PyTorch): the input is ``(C,)`` for one sample, ``(N, C)`` for a batch, or
``(N, C, d1, d2, ...)`` for per-pixel classes; class-index targets drop the class dimension:
``()``, ``(N,)``, ``(N, d1, d2, ...)``. Class indices are int64 in ``[0, C)``; entries equal to
``ignore_index`` are skipped. ``cross_entropy`` also accepts class probabilities: a float target
with the input's shape.

``cross_entropy`` is one fused op (log-softmax and negative log-likelihood together) whose
gradient is ``softmax(x) - onehot(t)`` in the plain case; see ``juanji._ops.loss`` for the
formulas with weights and label smoothing. With ``reduction='mean'`` and class weights, the
sum is divided by the total weight of the non-ignored targets (PyTorch's rule).

The legacy ``size_average``/``reduce`` arguments are not supported; the arguments after
``weight`` are keyword-only, so a call that passed them by position in PyTorch (where the
legacy arguments shift the positions) fails loudly instead of silently meaning something else.
"""

from __future__ import annotations

from typing import Any

from juanji import _dtype
from juanji._ops import loss as loss_ops
from juanji.nn.functional._checks import (
    check_choice,
    check_float,
    check_probability,
    check_same_dtype,
    check_tensor,
)
from juanji.tensor.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def _class_layout(
    fn: str,
    input: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: Any,
    probabilities_allowed: bool,
) -> tuple[Tensor, Tensor]:
    """Check the input/target/weight layout; return both with a batch dimension."""
    check_tensor(fn, "input", input)
    check_tensor(fn, "target", target)
    check_tensor(fn, "weight", weight, optional=True)
    check_float(fn, "input", input)
    if input.ndim == 0:
        raise ValueError(
            f"{fn}: input must be 1-D (C), 2-D (N, C) or (N, C, d1, ...) with the classes in "
            f"dimension 1, got a 0-D tensor"
        )
    if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
        raise TypeError(f"{fn}: ignore_index must be an int, got {ignore_index!r}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    if weight is not None:
        check_same_dtype(fn, input=input, weight=weight)
        if weight.shape != (classes,):
            raise ValueError(
                f"{fn}: weight must be a 1-D tensor of {classes} class weights (one per class "
                f"of the input), got shape {weight.shape}"
            )
    if target.is_floating_point() and probabilities_allowed:
        if target.shape != input.shape:
            raise ValueError(
                f"{fn}: a probability target (floating point) must have the input's shape "
                f"{input.shape}, got {target.shape}; class indices must be int64"
            )
        check_same_dtype(fn, input=input, target=target)
    else:
        _check_class_indices(
            fn, input, target, class_dim, classes, ignore_index, probabilities_allowed
        )
    if input.ndim == 1:
        return input.unsqueeze(0), target.unsqueeze(0)
    return input, target


def _check_class_indices(
    fn: str,
    input: Tensor,
    target: Tensor,
    class_dim: int,
    classes: int,
    ignore_index: int,
    probabilities_allowed: bool,
) -> None:
    if target.dtype != _dtype.int64:
        wanted = (
            "int64 class indices or floating-point class probabilities"
            if probabilities_allowed
            else "int64 class indices"
        )
        raise TypeError(
            f"{fn}: target must hold {wanted}, got dtype {target.dtype} (convert with .long())"
        )
    expected = input.shape[:class_dim] + input.shape[class_dim + 1 :]
    if target.shape != expected:
        raise ValueError(
            f"{fn}: target shape {target.shape} does not match input shape {input.shape}: "
            f"expected {expected} (the input without its class dimension {class_dim})"
        )
    values = target._data
    if not values.size or (values.min() >= 0 and values.max() < classes):
        return  # the common case, checked with two cheap reductions
    bad = ((values < 0) | (values >= classes)) & (values != ignore_index)
    if bad.any():
        first = int(values[bad].reshape(-1)[0])
        raise ValueError(
            f"{fn}: target contains class {first} but input has {classes} classes "
            f"(0..{classes - 1})"
        )


def _single_sample(out: Tensor, input: Tensor, reduction: str) -> Tensor:
    """Undo the batch dimension added for a ``(C,)`` input under ``reduction='none'``."""
    return out.reshape(()) if input.ndim == 1 and reduction == "none" else out


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) over the classes and the target.

    For class indices: ``loss_i = -w_{t_i} * log softmax(x_i)[t_i]``; with label smoothing
    ``eps`` the target becomes ``(1 - eps) * onehot(t) + eps / C``. For probabilities ``y``:
    ``loss_i = -sum_c w_c * y_ic * log softmax(x_i)_c``.

    Args:
        input: logits (unnormalised scores), ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``.
        target: int64 class indices (the input's shape without the class dimension) or float
            class probabilities (the input's shape).
        weight: ``(C,)`` weight of each class, or None.
        ignore_index: a class-index value to skip (no loss, no gradient). Default: -100.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (one loss per sample).
        label_smoothing: ``eps`` in [0, 1]. Default: 0.

    Returns:
        A scalar, or per-sample losses for ``reduction='none'``.

    Raises:
        ValueError: shapes that do not match, classes out of range, bad reduction/smoothing.
        TypeError: a target that is neither int64 nor floating point, or mixed dtypes.

    Shape:
        - Input: ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``
        - Target: ``()``, ``(N)`` or ``(N, d1, ..., dK)`` (indices); the input's shape
          (probabilities)
        - Output: scalar; with ``reduction='none'`` the shape of the index target

    Example:
        >>> import juanji
        >>> logits = juanji.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> round(cross_entropy(logits, juanji.tensor([0, 2])).item(), 4)
        0.6691
    """
    fn = "cross_entropy"
    check_choice(fn, "reduction", reduction, _REDUCTIONS)
    smoothing = check_probability(fn, "label_smoothing", label_smoothing)
    x, t = _class_layout(fn, input, target, weight, ignore_index, probabilities_allowed=True)
    out = Tensor._apply(
        loss_ops.CrossEntropy,
        x,
        t,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=smoothing,
    )
    return _single_sample(out, input, reduction)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: ``loss_i = -w_{t_i} * input[i, t_i]`` for log-probabilities.

    ``nll_loss(log_softmax(x, 1), t)`` equals ``cross_entropy(x, t)``; prefer the latter (one
    fused op). Arguments, layouts and reductions as ``cross_entropy`` with class indices.

    Example:
        >>> import juanji
        >>> nll_loss(juanji.tensor([[-0.5, -1.0], [-2.0, -0.1]]), juanji.tensor([0, 1]))
        tensor(0.3000)
    """
    fn = "nll_loss"
    check_choice(fn, "reduction", reduction, _REDUCTIONS)
    x, t = _class_layout(fn, input, target, weight, ignore_index, probabilities_allowed=False)
    out = Tensor._apply(
        loss_ops.NLLLoss, x, t, weight, ignore_index=ignore_index, reduction=reduction
    )
    return _single_sample(out, input, reduction)


def mse_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", weight: Tensor | None = None
) -> Tensor:
    """Mean squared error: ``(input - target)^2`` per element, then ``reduction``.

    The two shapes must be equal. (PyTorch broadcasts different shapes with a warning; that is
    almost always a bug such as ``(N, 1)`` against ``(N,)``, so juanji refuses it.)

    Args:
        input: floating point, any shape.
        target: the same shape and dtype.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        weight: optional per-element weights, the input's shape (PyTorch 2.13): the loss is
            ``weight * (input - target)^2``, and ``'mean'`` divides by ``weight.sum()``.

    Shape:
        - Input and target: ``(*)``, the same shape
        - Output: scalar; with ``reduction='none'`` the input's shape

    Example:
        >>> import juanji
        >>> mse_loss(juanji.tensor([1.0, 3.0]), juanji.tensor([0.0, 0.0]))
        tensor(5.)
    """
    fn = "mse_loss"
    check_tensor(fn, "input", input)
    check_tensor(fn, "target", target)
    check_choice(fn, "reduction", reduction, _REDUCTIONS)
    check_float(fn, "input", input)
    check_same_dtype(fn, input=input, target=target)
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: target shape {target.shape} differs from input shape {input.shape}; "
            "reshape one of them (broadcasting here is refused: it is usually a bug)"
        )
    if weight is not None:
        check_tensor(fn, "weight", weight)
        if weight.shape != input.shape:
            raise ValueError(
                f"mse_loss: weight shape {weight.shape} differs from input shape {input.shape}"
            )
        weighted = Tensor._apply(loss_ops.MSELoss, input, target, reduction="none") * weight
        if reduction == "none":
            return weighted
        return weighted.sum() if reduction == "sum" else weighted.sum() / weight.sum()
    return Tensor._apply(loss_ops.MSELoss, input, target, reduction=reduction)
