"""Normalisation: a fused ``Normalize`` for batch/instance/layer/group norm; ``LocalResponseNorm``.

Notation: ``x`` is the input; the statistics are taken over ``axes`` of ``x`` viewed as
``stat_shape`` (e.g. batch norm of ``(N, C, H, W)`` keeps ``C`` and reduces ``(0, 2, 3)``; group
norm views ``x`` as ``(N, G, C/G * H * W)`` and reduces axis 2). With ``m`` the number of reduced
elements per statistic::

    mean = sum(x) / m,   var = sum((x - mean)^2) / m       (biased, used to normalise)
    xhat = (x - mean) / sqrt(var + eps),   out = xhat * weight + bias

``weight`` and ``bias`` broadcast against ``x`` after a reshape to ``affine_shape``
(``(1, C, 1, 1)`` for batch norm). The backward of the batch statistics is the classic
three-term formula::

    g = grad_out * weight
    grad_x = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)

When ``mean`` and ``var`` are given (evaluation with running statistics) they are constants and
``grad_x = g / sqrt(var + eps)``. In training, running statistics are updated in place inside
forward (as PyTorch's kernel does) with the *unbiased* variance ``var * m / (m - 1)``.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import xp_of


def _update_running(
    running_mean: Any, running_var: Any, mean: Any, var: Any, m: int, momentum: float
) -> None:
    """``running = (1 - momentum) * running + momentum * batch`` over the channel axis (1).

    ``mean`` and ``var`` have the stat shape with reduced axes kept; instance norm has one
    statistic per (sample, channel), which is averaged over the samples first (as PyTorch).
    """
    other = tuple(a for a in range(mean.ndim) if a != 1)
    batch_mean = mean.mean(axis=other).astype(running_mean.dtype, copy=False)
    unbiased = var * (m / (m - 1)) if m > 1 else var * float("nan")
    batch_var = unbiased.mean(axis=other).astype(running_var.dtype, copy=False)
    running_mean *= 1 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1 - momentum
    running_var += momentum * batch_var


class Normalize(Function):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` with statistics over ``axes``."""

    def forward(
        self,
        x: Any,
        weight: Any,
        bias: Any,
        *,
        stat_shape: tuple[int, ...],
        axes: tuple[int, ...],
        affine_shape: tuple[int, ...],
        eps: float,
        mean: Any = None,
        var: Any = None,
        running: tuple[Any, Any, float] | None = None,
    ) -> Any:
        xp = xp_of(x)
        xs = x.reshape(stat_shape)
        self.use_batch_stats = mean is None
        if self.use_batch_stats:
            mean = xs.mean(axis=axes, keepdims=True)
            centred = xs - mean
            var = xp.mean(centred * centred, axis=axes, keepdims=True)
            if running is not None:
                m = xs.size // max(mean.size, 1)
                _update_running(running[0], running[1], mean, var, m, running[2])
        else:
            centred = xs - mean.astype(x.dtype, copy=False)
            var = var.astype(x.dtype, copy=False)
        invstd = (1 / xp.sqrt(var + x.dtype.type(eps))).astype(x.dtype, copy=False)
        xhat = (centred * invstd).reshape(x.shape)
        out = xhat
        if weight is not None:
            out = out * weight.reshape(affine_shape)
        if bias is not None:
            out = out + bias.reshape(affine_shape)
        self.shapes = (stat_shape, axes, affine_shape)
        if self.requires_grad:
            self.save_for_backward(xhat, invstd, weight, bias)
        return out

    def backward(self, grad_output: Any) -> Any:
        xhat, invstd, weight, bias = self.saved_tensors
        stat_shape, axes, affine_shape = self.shapes
        need_x, need_w, need_b = (tuple(self.needs_input_grad) + (False,) * 3)[:3]
        # The axes along which weight and bias are broadcast: sum their gradients over them.
        lead = grad_output.ndim - len(affine_shape)
        spread = tuple(range(lead)) + tuple(
            lead + i for i, size in enumerate(affine_shape) if size == 1
        )
        grad_weight = grad_bias = grad_input = None
        if need_b and bias is not None:
            grad_bias = grad_output.sum(axis=spread).reshape(bias.shape)
        if need_w and weight is not None:
            grad_weight = (grad_output * xhat).sum(axis=spread).reshape(weight.shape)
        if need_x:
            g = grad_output if weight is None else grad_output * weight.reshape(affine_shape)
            g = g.reshape(stat_shape)
            if self.use_batch_stats:
                xh = xhat.reshape(stat_shape)
                g = g - g.mean(axis=axes, keepdims=True)
                g = g - xh * (g * xh).mean(axis=axes, keepdims=True)
            grad_input = (g * invstd).reshape(grad_output.shape)
        return grad_input, grad_weight, grad_bias


def _window_sum(a: Any, before: int, after: int) -> Any:
    """``s[:, c] = sum(a[:, c - before : c + after + 1])`` along axis 1, zeros outside."""
    xp = xp_of(a)
    channels = a.shape[1]
    zero = xp.zeros(a.shape[:1] + (1,) + a.shape[2:], dtype=a.dtype)
    cumulative = xp.concatenate([zero, xp.cumsum(a, axis=1)], axis=1)  # (N, C + 1, *)
    upper = xp.clip(xp.arange(channels) + after + 1, 0, channels)
    lower = xp.clip(xp.arange(channels) - before, 0, channels)
    return xp.take(cumulative, upper, axis=1) - xp.take(cumulative, lower, axis=1)


class LocalResponseNorm(Function):
    """``out_c = x_c / (k + alpha / size * sum_{c' near c} x_c'^2) ^ beta`` across channels.

    The window of channel ``c`` is ``c - size // 2 .. c + (size - 1) // 2`` (PyTorch's zero
    padding); the divisor is always ``size``, also at the edges.
    """

    def forward(self, x: Any, *, size: int, alpha: float, beta: float, k: float) -> Any:
        before, after = size // 2, (size - 1) // 2
        scale = x.dtype.type(alpha / size)
        denom = x.dtype.type(k) + scale * _window_sum(x * x, before, after)
        power = denom ** x.dtype.type(-beta)
        self.params = (before, after, scale, x.dtype.type(beta))
        if self.requires_grad:
            self.save_for_backward(x, denom, power)
        return x * power

    def backward(self, grad_output: Any) -> Any:
        x, denom, power = self.saved_tensors
        before, after, scale, beta = self.params
        # d out_c / d x_j = [c == j] denom_c^-beta - 2 beta scale x_c x_j denom_c^(-beta-1) for
        # j in window(c); summing over c is a window sum with the window mirrored.
        term = grad_output * x * power / denom
        mirrored = _window_sum(term, after, before)
        return grad_output * power - (2 * beta * scale) * x * mirrored
