"""``Adamax``, ``NAdam``, ``RAdam``: Adam with an infinity norm, Nesterov momentum, rectification.

Each keeps Adam's first moment ``m`` (state ``'exp_avg'``) and changes how the step is scaled;
the shared argument checks are Adam's (see ``juanji.optim.Adam``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from juanji._dtype import float64, get_default_dtype
from juanji.backend import xp_of
from juanji.optim.adam import Adam, _lerp_
from juanji.optim.adaptive import _addcdiv_, _decayed_gradient, _squared_average_, _zero_state
from juanji.optim.optimizer import Optimizer, _check_range, _check_switches
from juanji.tensor.tensor import Tensor

__all__ = ["Adamax", "NAdam", "RAdam"]


def _decay(xp: Any, grad: Any, param: Any, group: dict[str, Any], work: Any) -> Any:
    """The gradient after ``maximize`` and weight decay (L2, or decoupled: shrinks ``param``)."""
    lr, weight_decay = float(group["lr"]), float(group["weight_decay"])
    if weight_decay != 0 and group.get("decoupled_weight_decay", False):
        xp.multiply(param, 1 - lr * weight_decay, out=param)
        weight_decay = 0.0
    return _decayed_gradient(xp, grad, param, weight_decay, bool(group["maximize"]), work)


class _AdamLike(Optimizer):
    """Adam's options and checks, with the step left to the subclass."""

    def __init__(self, params: Iterable[Any], **defaults: Any) -> None:
        super().__init__(params, defaults)

    _check_group = Adam._check_group


class Adamax(_AdamLike):
    """Adamax (Kingma & Ba, 2014, section 7), as PyTorch's ``torch.optim.Adamax`` computes it.

    Adam with the second moment replaced by an exponentially weighted infinity norm::

        g = (-grad if maximize else grad) + weight_decay * p
        m = beta1 * m + (1 - beta1) * g                    (state 'exp_avg')
        u = max(beta2 * u, |g| + eps)                      (state 'exp_inf')
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 2e-3.
        betas: ``(beta1, beta2)``, each in [0, 1). Default (0.9, 0.999).
        eps: added to ``|g|``, >= 0. Default 1e-8.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.Adamax([w], lr=0.5, eps=0.0)
        >>> (w * w).sum().backward()
        >>> opt.step()  # first step: m / (1 - beta1) = g and u = |g|, so each weight moves by lr
        >>> w.tolist()
        [0.5, -1.5]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_switches(
            "Adamax", foreach=foreach, differentiable=differentiable, capturable=capturable
        )
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = _zero_state(self, p, ("exp_avg", "exp_inf"))
            state["step"] += 1
            work, other = self._scratch(0, param), self._scratch(1, param)
            g = _decay(xp, grad, param, group, work)
            exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
            _lerp_(exp_avg, g, 1 - beta1, other)
            xp.add(xp.abs(g, out=other), eps, out=other)
            xp.maximum(xp.multiply(exp_inf, beta2, out=exp_inf), other, out=exp_inf)
            clr = lr / (1 - beta1 ** state["step"])
            _addcdiv_(xp, param, exp_avg, exp_inf, -clr, other)


class NAdam(_AdamLike):
    """NAdam (Dozat, 2016): Adam with Nesterov momentum, as PyTorch's ``torch.optim.NAdam``.

    At step ``t``, with ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))`` and the
    running product ``P_t = mu_1 * ... * mu_t`` (state ``'mu_product'``)::

        g = (-grad if maximize else grad), with weight decay as in Adam / AdamW
        m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / denom
              - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom

    As in PyTorch, ``P_t`` is kept in the default dtype (float32 unless changed), whatever the
    parameters' dtype. State keys: ``'step'``, ``'mu_product'``, ``'exp_avg'``, ``'exp_avg_sq'``.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 2e-3.
        betas: ``(beta1, beta2)``, each in [0, 1). Default (0.9, 0.999).
        eps: added to the denominator, >= 0. Default 1e-8.
        weight_decay: weight decay coefficient, >= 0. Default 0.
        momentum_decay: how fast ``mu_t`` rises towards ``beta1``, >= 0. Default 4e-3.
        decoupled_weight_decay: shrink the weights directly (NAdamW). Default False.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0], requires_grad=True)
        >>> opt = juanji.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> round(w.item(), 4)  # torch.optim.NAdam gives the same
        0.8944
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_switches(
            "NAdam", foreach=foreach, capturable=capturable, differentiable=differentiable
        )
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        _AdamLike._check_group(self, group)
        _check_range(
            "NAdam", "momentum_decay value", "momentum_decay", group["momentum_decay"], 0.0
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps, momentum_decay = (
            float(group["lr"]),
            float(group["eps"]),
            float(group["momentum_decay"]),
        )
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        scalar = np.float64 if get_default_dtype() == float64 else np.float32
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = self.state[p]
            if not state:
                state["step"], state["mu_product"] = 0, 1.0
                state["exp_avg"] = Tensor(xp.zeros_like(param))
                state["exp_avg_sq"] = Tensor(xp.zeros_like(param))
            state["step"] += 1
            step = state["step"]
            work, denom = self._scratch(0, param), self._scratch(1, param)
            g = _decay(xp, grad, param, group, work)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product = float(scalar(state["mu_product"]) * scalar(mu))
            state["mu_product"] = mu_product
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(exp_avg, g, 1 - beta1, denom)
            _squared_average_(xp, exp_avg_sq, g, beta2, denom)
            xp.divide(exp_avg_sq, 1 - beta2**step, out=denom)
            xp.add(xp.sqrt(denom, out=denom), eps, out=denom)
            _addcdiv_(xp, param, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product), work)
            value = (-lr * mu_next) / (1.0 - mu_product * mu_next)
            _addcdiv_(xp, param, exp_avg, denom, value, work)


class RAdam(_AdamLike):
    """RAdam (Liu et al., 2019): Adam with a rectified warm-up, as PyTorch's ``torch.optim.RAdam``.

    With ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``
    (the length of the average that ``v`` approximates at step ``t``)::

        g = (-grad if maximize else grad), with weight decay as in Adam / AdamW
        m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:  p = p - lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        else:          p = p - lr * m_hat        (v not yet trusted: SGD with momentum)

    where ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
    State keys: ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'``.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-3.
        betas: ``(beta1, beta2)``, each in [0, 1). Default (0.9, 0.999).
        eps: added to the denominator, >= 0. Default 1e-8.
        weight_decay: weight decay coefficient, >= 0. Default 0.
        decoupled_weight_decay: shrink the weights directly (RAdamW). Default False.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # step 1: rho_t = 1 <= 5, so p = p - lr * g
        >>> [round(x, 6) for x in w.tolist()]
        [0.8, -1.6]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_switches(
            "RAdam", foreach=foreach, capturable=capturable, differentiable=differentiable
        )
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = _zero_state(self, p, ("exp_avg", "exp_avg_sq"))
            state["step"] += 1
            step = state["step"]
            work, other = self._scratch(0, param), self._scratch(1, param)
            g = _decay(xp, grad, param, group, work)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(exp_avg, g, 1 - beta1, other)
            _squared_average_(xp, exp_avg_sq, g, beta2, other)
            bias_correction2 = 1 - beta2**step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            update = xp.multiply(xp.divide(exp_avg, 1 - beta1**step, out=work), lr, out=work)
            if rho_t > 5.0:
                rect = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
                xp.add(xp.sqrt(exp_avg_sq, out=other), eps, out=other)
                xp.divide(bias_correction2**0.5, other, out=other)
                xp.multiply(xp.multiply(update, other, out=update), rect, out=update)
            xp.subtract(param, update, out=param)
