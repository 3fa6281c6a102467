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

import math
import warnings
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


# ---------------------------------------------------------------------- elementwise losses
def _pair(fn: str, input: Tensor, target: Tensor, reduction: str, reductions: Any = None) -> None:
    """Checks shared by the elementwise losses: tensors, floats, one dtype, equal shapes."""
    check_tensor(fn, "input", input)
    check_tensor(fn, "target", target)
    check_choice(fn, "reduction", reduction, reductions or _REDUCTIONS)
    check_float(fn, "input", input)
    check_float(fn, "target", target)
    check_same_dtype(fn, input=input, target=target)
    if input.shape != target.shape:
        raise ValueError(
            f"{fn}: target shape {target.shape} differs from input shape {input.shape}; "
            "reshape one of them (broadcasting here is refused: it is usually a bug)"
        )


def _weighted(fn: str, loss: Tensor, weight: Tensor | None, input: Tensor) -> Tensor:
    if weight is None:
        return loss
    check_tensor(fn, "weight", weight)
    try:
        _broadcast_shape(weight.shape, input.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: weight of shape {weight.shape} does not broadcast to the input's shape "
            f"{input.shape}"
        ) from None
    return loss * weight


def _broadcast_shape(small: tuple[int, ...], big: tuple[int, ...]) -> None:
    if len(small) > len(big) or any(
        s not in (1, b) for s, b in zip(reversed(small), reversed(big), strict=False)
    ):
        raise ValueError


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, *, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities: ``-w (t log x + (1 - t) log(1 - x))``.

    Each log is clamped to >= -100 (PyTorch's rule), so ``x = 0`` or ``1`` gives a large finite
    loss rather than inf. For logits use ``binary_cross_entropy_with_logits`` (stabler).

    Args:
        input: probabilities in [0, 1], any shape.
        target: the input's shape, values in [0, 1] (soft labels allowed).
        weight: rescales each element; broadcasts to the input's shape.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Raises:
        ValueError: an input value outside [0, 1], or shapes that differ.

    Example:
        >>> import juanji
        >>> binary_cross_entropy(juanji.tensor([0.5]), juanji.tensor([1.0]))
        tensor(0.6931)
    """
    fn = "binary_cross_entropy"
    _pair(fn, input, target, reduction)
    data = input._data
    if data.size and not (data.min() >= 0 and data.max() <= 1):
        raise ValueError(
            f"{fn}: all elements of input should be between 0 and 1 (apply sigmoid, "
            "or use binary_cross_entropy_with_logits on logits)"
        )
    loss = Tensor._apply(loss_ops.BinaryCrossEntropy, input, target)
    return _reduced(_weighted(fn, loss, weight, input), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, fused and stable for any logit.

    Per element ``w [(1 - t) x + (1 + (p - 1) t) log(1 + exp(-x))]``, with ``log(1 + exp(-x))``
    computed as ``max(-x, 0) + log1p(exp(-|x|))``.

    Args:
        input: logits, any shape.
        target: the input's shape, values in [0, 1].
        weight: rescales each element; broadcasts to the input's shape.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        pos_weight: weight of the positive term per class, broadcast along the last dimension
            (``(C,)`` for ``(N, C)`` input); > 1 raises recall.

    Example:
        >>> import juanji
        >>> binary_cross_entropy_with_logits(juanji.tensor([0.0]), juanji.tensor([1.0]))
        tensor(0.6931)
    """
    fn = "binary_cross_entropy_with_logits"
    _pair(fn, input, target, reduction)
    if pos_weight is not None:
        check_tensor(fn, "pos_weight", pos_weight)
        check_same_dtype(fn, input=input, pos_weight=pos_weight)
        try:
            _broadcast_shape(pos_weight.shape, input.shape)
        except ValueError:
            raise ValueError(
                f"{fn}: pos_weight of shape {pos_weight.shape} does not broadcast to the input's "
                f"shape {input.shape} (it runs along the last dimension, e.g. (C,) for (N, C))"
            ) from None
        loss = Tensor._apply(loss_ops.BinaryCrossEntropyWithLogits, input, target, pos_weight)
    else:
        loss = Tensor._apply(loss_ops.BinaryCrossEntropyWithLogits, input, target)
    return _reduced(_weighted(fn, loss, weight, input), reduction)


def l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", weight: Tensor | None = None
) -> Tensor:
    """Mean absolute error ``|input - target|`` per element, then ``reduction``.

    With ``weight`` (PyTorch 2.13), ``'mean'`` divides the weighted sum by ``weight.sum()``,
    as ``mse_loss`` does.

    Example:
        >>> import juanji
        >>> l1_loss(juanji.tensor([1.0, -3.0]), juanji.zeros(2))
        tensor(2.)
    """
    fn = "l1_loss"
    _pair(fn, input, target, reduction)
    loss = _weighted(
        fn, Tensor._apply(loss_ops.Regression, input, target, kind="l1"), weight, input
    )
    if weight is not None and reduction == "mean":
        return loss.sum() / weight.expand(*input.shape).sum()
    return _reduced(loss, reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``).

    ``beta = 0`` is the L1 loss. ``smooth_l1_loss(x, y, beta=b) = huber_loss(x, y, delta=b) / b``.

    Example:
        >>> import juanji
        >>> smooth_l1_loss(juanji.tensor([0.5, 3.0]), juanji.zeros(2))
        tensor(1.3125)
    """
    fn = "smooth_l1_loss"
    _pair(fn, input, target, reduction)
    if not isinstance(beta, (int, float)) or beta < 0:
        raise ValueError(f"{fn}: beta must be a number >= 0, got {beta!r}")
    loss = Tensor._apply(loss_ops.Regression, input, target, kind="smooth_l1", beta=float(beta))
    return _reduced(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``, then ``reduction``.

    With ``weight``, ``'mean'`` is the plain mean of the weighted losses (PyTorch 2.13's rule,
    unlike ``l1_loss``'s).

    Example:
        >>> import juanji
        >>> huber_loss(juanji.tensor([0.5, 3.0]), juanji.zeros(2))
        tensor(1.3125)
    """
    fn = "huber_loss"
    _pair(fn, input, target, reduction)
    if not isinstance(delta, (int, float)) or delta <= 0:
        raise ValueError(f"{fn}: delta must be a number > 0, got {delta!r}")
    loss = Tensor._apply(loss_ops.Regression, input, target, kind="huber", beta=float(delta))
    return _reduced(_weighted(fn, loss, weight, input), reduction)


def kl_div(
    input: Tensor, target: Tensor, *, reduction: str = "mean", log_target: bool = False
) -> Tensor:
    """Kullback-Leibler divergence ``t (log t - input)`` per element; ``input`` is log-probs.

    With ``log_target=True`` the target holds log-probabilities too: ``exp(t) (t - input)``.
    ``reduction='batchmean'`` divides the sum by the batch size ``input.shape[0]``: the true
    KL divergence per sample. ``'mean'`` divides by the number of elements (with PyTorch's
    warning that this is rarely what is meant).

    Example:
        >>> import juanji
        >>> kl_div(juanji.tensor([0.5, 0.5]).log(), juanji.tensor([0.5, 0.5]), reduction="sum")
        tensor(0.)
    """
    fn = "kl_div"
    _pair(fn, input, target, reduction, (*_REDUCTIONS, "batchmean"))
    loss = Tensor._apply(loss_ops.KLDivergence, input, target, log_target=bool(log_target))
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    return _reduced(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    *,
    eps: float = 1e-8,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target ~ Poisson(rate)``, without the constant ``log(t!)``.

    ``exp(input) - target * input`` when ``log_input`` (the input is the log-rate), else
    ``input - target * log(input + eps)``. ``full`` adds Stirling's ``t log t - t +
    0.5 log(2 pi t)`` where ``t > 1``.

    Example:
        >>> import juanji
        >>> poisson_nll_loss(juanji.tensor([0.0]), juanji.tensor([2.0]))
        tensor(1.)
    """
    fn = "poisson_nll_loss"
    _pair(fn, input, target, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = target.clamp(min=1)  # Stirling's term only where t > 1; log(1) = 0 elsewhere
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling * (target > 1).to(loss.dtype)
    return _reduced(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target ~ N(input, var)``: ``0.5 (log var + (x - t)^2 / var)``.

    ``var`` has the input's shape, or one dimension fewer or a size-1 dimension (one variance
    shared, PyTorch's homoscedastic case), or is a float. It is clamped to ``>= eps`` in value
    only: the gradient passes as if unclamped (PyTorch's no-grad clamp). ``full`` adds
    ``0.5 log(2 pi)``.

    Raises:
        ValueError: a negative variance, a ``var`` of the wrong size, an unknown reduction.

    Example:
        >>> import juanji
        >>> gaussian_nll_loss(juanji.tensor([1.0]), juanji.tensor([3.0]), juanji.tensor([2.0]))
        tensor(1.3466)
    """
    fn = "gaussian_nll_loss"
    check_tensor(fn, "input", input)
    check_tensor(fn, "target", target)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(input.shape, float(var))
    check_tensor(fn, "var", var)
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif (
            input.ndim != var.ndim
            or sum(v for i, v in zip(input.shape, var.shape, strict=True) if i != v) != 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, reduction)
