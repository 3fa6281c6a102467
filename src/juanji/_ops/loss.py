"""Losses: ``NLLLoss``, ``CrossEntropy`` (log-softmax and NLL fused in one op), ``MSELoss``.

Notation (the public functions reshape a single sample ``(C,)`` to ``(1, C)`` first):
    x       logits (CrossEntropy) or log-probabilities (NLLLoss), shape (N, C, *rest);
            the class axis is always 1
    t       class indices, shape (N, *rest), int64; entries equal to ``ignore_index`` are
            skipped; or (CrossEntropy only) class probabilities with x's shape
    w       class weights, shape (C,); all ones when not given
    eps     label smoothing: the target distribution is q = (1 - eps) * onehot(t) + eps / C
    logp, p log-softmax and softmax of x over the class axis

Per sample i:  loss_i = -sum_c a_ic * logp_ic   with   a_ic = w_c * q_ic
Gradient:      dloss_i/dx_ic = p_ic * sum_k a_ik - a_ic
               (= p - onehot(t) for w = 1, eps = 0: the cheap backward of the fused op)
Reduction 'mean' divides by the summed weight of the non-ignored targets, sum_i w_{t_i}
(PyTorch's rule; without weights it is the number of non-ignored samples), for class-index
targets, and by the number of samples for probability targets. Every sample has the same
normaliser, so smoothing and weights combine exactly as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import xp_of


def _class_view(vector: Any, ndim: int) -> Any:
    """A (C,) vector shaped (1, C, 1, ...) to broadcast along the class axis of an ndim array."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def _reduce(per_sample: Any, normaliser: float, reduction: str) -> Any:
    """Apply ``reduction`` to per-sample losses; 'mean' divides by ``normaliser``."""
    xp = xp_of(per_sample)
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    if reduction == "mean":
        # 0 / 0 (every target ignored, or an empty batch) is NaN, as in PyTorch, without a warning.
        total = total / normaliser if normaliser else total * float("nan")
    return xp.asarray(total, dtype=per_sample.dtype)


def _per_sample_scale(grad_output: Any, normaliser: float, reduction: str) -> Any:
    """d(reduced loss)/d(loss_i): grad_output itself, or divided by the normaliser for 'mean'."""
    if reduction == "mean":
        return grad_output / normaliser if normaliser else grad_output * float("nan")
    return grad_output


def _target_weights(target: Any, weight: Any, ignore_index: int, dtype: Any) -> tuple[Any, Any]:
    """``(safe, w_t)``: targets safe to index with (N, *rest), and the weight of each target.

    Ignored entries (which may hold any value, e.g. -100) index class 0 and weigh 0.
    """
    xp = xp_of(target)
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    if weight is None:
        w_t = valid.astype(dtype)
    else:
        w_t = xp.where(valid, weight[safe], 0).astype(dtype, copy=False)
    return safe, w_t


# Gather and scatter along the class axis. The (N, C) case, the training hot path, uses plain
# fancy indexing: several times cheaper than take/put_along_axis on small arrays.
def _at_target(x: Any, target: Any) -> Any:
    """``x[i, target[i], ...]`` for every sample position: (N, C, *rest) -> (N, *rest)."""
    if x.ndim == 2:
        return x[xp_of(x).arange(x.shape[0]), target]
    return xp_of(x).take_along_axis(x, target[:, None], axis=1)[:, 0]


def _add_at_target(x: Any, target: Any, values: Any) -> None:
    """``x[i, target[i], ...] += values[i, ...]`` in place (one class per sample position)."""
    xp = xp_of(x)
    if x.ndim == 2:
        x[xp.arange(x.shape[0]), target] += values
    else:
        index = target[:, None]
        xp.put_along_axis(x, index, xp.take_along_axis(x, index, axis=1) + values[:, None], 1)


class NLLLoss(Function):
    """``loss_i = -w_{t_i} * x[i, t_i]`` for log-probabilities x; see the module notation."""

    def forward(
        self,
        x: Any,
        target: Any,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> Any:
        safe, w_t = _target_weights(target, weight, ignore_index, x.dtype)
        per_sample = -_at_target(x, safe) * w_t  # (N, *rest)
        normaliser = float(w_t.sum())
        if self.requires_grad:
            self.save_for_backward(safe, w_t)
            self.shape, self.normaliser, self.reduction = x.shape, normaliser, reduction
        return _reduce(per_sample, normaliser, reduction)

    def backward(self, grad_output: Any) -> tuple[Any, None, None]:
        safe, w_t = self.saved_tensors
        scale = _per_sample_scale(grad_output, self.normaliser, self.reduction) * w_t
        grad_x = xp_of(w_t).zeros(self.shape, dtype=w_t.dtype)
        _add_at_target(grad_x, safe, -scale)
        return grad_x, None, None


class CrossEntropy(Function):
    """Log-softmax over the class axis followed by the (smoothed, weighted) NLL, in one op.

    ``target`` holds class indices (int64) or class probabilities (floats with x's shape);
    the gradient for probability targets is ``-(1 - eps) * w_c * logp_ic`` per sample.
    """

    soft = False  # True when the target holds probabilities

    def forward(
        self,
        x: Any,
        target: Any,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> Any:
        xp = xp_of(x)
        shifted = x - x.max(axis=1, keepdims=True)  # max-shift: exp never overflows
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))  # (N, C, *rest)
        self.eps, self.reduction, self.classes = label_smoothing, reduction, x.shape[1]
        if target.dtype.kind == "f":
            return self._forward_probabilities(logp, target, weight)
        safe, w_t = _target_weights(target, weight, ignore_index, x.dtype)
        per_sample = -_at_target(logp, safe) * w_t  # (N, *rest)
        valid = None
        if label_smoothing:
            valid = (target != ignore_index).astype(x.dtype)  # (N, *rest): 1 kept, 0 ignored
            weighted = logp if weight is None else logp * _class_view(weight, x.ndim)
            smooth = -weighted.sum(axis=1) * valid  # sum_c w_c * (-logp_ic)
            spread = label_smoothing / x.shape[1]
            per_sample = (1 - label_smoothing) * per_sample + spread * smooth
        normaliser = float(w_t.sum())
        if self.requires_grad:
            self.save_for_backward(logp, safe, w_t, weight, valid)
            self.normaliser = normaliser
        return _reduce(per_sample, normaliser, reduction)

    def backward(self, grad_output: Any) -> tuple[Any, Any, None]:
        if self.soft:
            return self._backward_probabilities(grad_output)
        logp, safe, w_t, weight, valid = self.saved_tensors
        eps, classes = self.eps, self.classes
        scale = _per_sample_scale(grad_output, self.normaliser, self.reduction)  # (N, *rest) or ()
        # sum_k a_ik = (1 - eps) * w_{t_i} + (eps / C) * sum_k w_k   (0 for ignored samples)
        total_a = w_t
        if eps:
            weight_sum = classes if weight is None else float(weight.sum())
            total_a = (1 - eps) * w_t + (eps * weight_sum / classes) * valid
        grad_x = xp_of(logp).exp(logp) * (total_a * scale)[:, None]  # p * sum_k a_ik
        if eps:
            spread = (eps / classes) * (valid * scale)[:, None]  # (N, 1, *rest)
            grad_x -= spread if weight is None else spread * _class_view(weight, logp.ndim)
        _add_at_target(grad_x, safe, -(1 - eps) * w_t * scale)  # minus a_ic at the target
        return grad_x, None, None

    def _forward_probabilities(self, logp: Any, target: Any, weight: Any) -> Any:
        eps, classes = self.eps, logp.shape[1]
        q = target if not eps else target * (1 - eps) + eps / classes
        a = q if weight is None else q * _class_view(weight, logp.ndim)  # (N, C, *rest)
        per_sample = -(a * logp).sum(axis=1)
        normaliser = float(per_sample.size)
        self.soft = True
        if self.requires_grad:
            self.save_for_backward(logp, a, weight)
            self.normaliser = normaliser
        return _reduce(per_sample, normaliser, self.reduction)

    def _backward_probabilities(self, grad_output: Any) -> tuple[Any, Any, None]:
        logp, a, weight = self.saved_tensors
        xp = xp_of(logp)
        scale = _per_sample_scale(grad_output, self.normaliser, self.reduction)
        if scale.ndim:  # per-sample gradients (N, *rest) -> (N, 1, *rest)
            scale = scale[:, None]
        grad_x = grad_target = None
        if self.needs_input_grad[0]:
            grad_x = (xp.exp(logp) * a.sum(axis=1, keepdims=True) - a) * scale
        if self.needs_input_grad[1]:
            grad_target = -(1 - self.eps) * logp * scale
            if weight is not None:
                grad_target = grad_target * _class_view(weight, logp.ndim)
        return grad_x, grad_target, None


class MSELoss(Function):
    """``(x - y)^2`` per element, reduced; gradient ``2 (x - y)`` for x and its negative for y."""

    def forward(self, x: Any, y: Any, *, reduction: str = "mean") -> Any:
        diff = x - y
        if self.requires_grad:
            self.save_for_backward(diff)
            self.reduction = reduction
        return _reduce(diff * diff, float(diff.size), reduction)

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        (diff,) = self.saved_tensors
        scale = _per_sample_scale(grad_output, float(diff.size), self.reduction)
        grad = diff * (2 * scale)
        return (
            grad if self.needs_input_grad[0] else None,
            -grad if self.needs_input_grad[1] else None,
        )
