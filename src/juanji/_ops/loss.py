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


# ---------------------------------------------------------------------- elementwise losses
# These return the per-element loss ('none'); the public functions weigh and reduce it with
# ordinary tensor ops, which are one pass each.
def _clamped_log(xp: Any, x: Any) -> Any:
    """``log(x)`` clamped to >= -100, as PyTorch's binary cross-entropy (never -inf)."""
    with_zeros = xp.log(xp.maximum(x, x.dtype.type(0)), where=x > 0, out=xp.full_like(x, -100))
    return xp.maximum(with_zeros, x.dtype.type(-100))


class BinaryCrossEntropy(Function):
    """``-(t log x + (1 - t) log(1 - x))`` with both logs clamped to >= -100."""

    def forward(self, x: Any, t: Any) -> Any:
        xp = xp_of(x)
        log_x, log_1mx = _clamped_log(xp, x), _clamped_log(xp, 1 - x)
        if self.requires_grad:
            self.save_for_backward(x, t, log_x, log_1mx)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        x, t, log_x, log_1mx = self.saved_tensors
        xp = xp_of(x)
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            # PyTorch's rule: (x - t) / max(x (1 - x), 1e-12), finite at x = 0 and 1.
            grad_x = grad_output * (x - t) / xp.maximum(x * (1 - x), x.dtype.type(1e-12))
        if self.needs_input_grad[1]:
            grad_t = grad_output * (log_1mx - log_x)
        return grad_x, grad_t


class BinaryCrossEntropyWithLogits(Function):
    """``(1 - t) x + (1 + (p - 1) t) softplus(-x)``: BCE of ``sigmoid(x)``, never overflowing.

    ``p`` is ``pos_weight`` (broadcast along the last dimension); without it ``p = 1`` and the
    loss is ``(1 - t) x + softplus(-x)``. ``softplus(-x) = max(-x, 0) + log1p(exp(-|x|))``.
    """

    def forward(self, x: Any, t: Any, pos_weight: Any = None) -> Any:
        xp = xp_of(x)
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        if self.requires_grad:
            self.save_for_backward(x, t, pos_weight, softplus_neg)
        return (1 - t) * x + log_weight * softplus_neg

    def backward(self, grad_output: Any) -> tuple[Any, Any, Any]:
        x, t, pos_weight, softplus_neg = self.saved_tensors
        xp = xp_of(x)
        grad_x = grad_t = grad_p = None
        if self.needs_input_grad[0]:
            e = xp.exp(-xp.abs(x))
            sigmoid_neg = xp.where(x >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-x)
            log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
            grad_x = grad_output * ((1 - t) - log_weight * sigmoid_neg)
        if self.needs_input_grad[1]:
            factor = 0 if pos_weight is None else (pos_weight - 1) * softplus_neg
            grad_t = grad_output * (factor - x)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            grad_p = grad_output * t * softplus_neg
        return grad_x, grad_t, grad_p


class Regression(Function):
    """Elementwise loss of ``d = x - y``: ``'l1'`` |d|, ``'smooth_l1'`` (beta), ``'huber'`` (delta).

    smooth_l1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (L1 at beta 0);
    huber: ``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``.
    """

    def forward(self, x: Any, y: Any, *, kind: str, beta: float = 1.0) -> Any:
        xp = xp_of(x)
        d = x - y
        a = xp.abs(d)
        b = x.dtype.type(beta)
        if kind == "l1" or (kind == "smooth_l1" and beta == 0):
            out = a
        elif kind == "smooth_l1":
            out = xp.where(a < b, 0.5 * d * d / b, a - 0.5 * b)
        else:
            out = xp.where(a <= b, 0.5 * d * d, b * (a - 0.5 * b))
        self.kind, self.beta = kind, b
        if self.requires_grad:
            self.save_for_backward(d)
        return out

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        (d,) = self.saved_tensors
        xp = xp_of(d)
        b, sign = self.beta, xp.sign(d)
        if self.kind == "l1" or (self.kind == "smooth_l1" and b == 0):
            slope = sign
        elif self.kind == "smooth_l1":
            slope = xp.where(xp.abs(d) < b, d / b, sign)
        else:
            slope = xp.clip(d, -b, b)
        grad = grad_output * slope
        return (
            grad if self.needs_input_grad[0] else None,
            -grad if self.needs_input_grad[1] else None,
        )


class KLDivergence(Function):
    """``t (log t - x)`` (0 where t = 0), or ``exp(t) (t - x)`` with ``log_target``."""

    def forward(self, x: Any, t: Any, *, log_target: bool) -> Any:
        xp = xp_of(x)
        if log_target:
            p = xp.exp(t)
            log_t = t
        else:
            p = t
            log_t = _clamped_log(xp, t)
        self.log_target = log_target
        if self.requires_grad:
            self.save_for_backward(x, t, p, log_t)
        return xp.where(p > 0, p * (log_t - x), 0 * x) if not log_target else p * (t - x)

    def backward(self, grad_output: Any) -> tuple[Any, Any]:
        x, t, p, log_t = self.saved_tensors
        xp = xp_of(x)
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            grad_x = -grad_output * p
        if self.needs_input_grad[1]:
            if self.log_target:
                grad_t = grad_output * p * (t - x + 1)
            else:
                grad_t = grad_output * xp.where(p > 0, log_t - x + 1, 0)
        return grad_x, grad_t
