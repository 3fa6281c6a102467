"""``Adam`` and ``AdamW``: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from juanji.backend import xp_of
from juanji.optim.optimizer import Optimizer, _check_range, _check_switches
from juanji.tensor.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), as PyTorch's ``torch.optim.Adam`` computes it.

    For each parameter ``p`` with gradient ``grad``, at step ``t = 1, 2, ...``::

        g = -grad if maximize else grad
        if weight_decay != 0:
            p = p * (1 - lr * weight_decay)          (decoupled_weight_decay: AdamW)
            g = g + weight_decay * p                 (otherwise: L2 penalty, Adam)
        m = m + (1 - beta1) * (g - m)                (= beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                        (amsgrad only; v_max replaces v below)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom

    ``m`` and ``v`` start at zero, so early averages are biased towards zero; the factors
    ``1 - beta**t`` undo that bias. They are kept in ``state[p]`` as ``'exp_avg'``,
    ``'exp_avg_sq'`` (and ``'max_exp_avg_sq'``), with the step count ``'step'`` (an int).
    Parameters whose ``.grad`` is None are skipped and their step count does not advance.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-3.
        betas: ``(beta1, beta2)``, decay rates of the two averages, each in [0, 1).
            Default (0.9, 0.999).
        eps: added to the denominator for numerical stability, >= 0. Default 1e-8.
        weight_decay: weight decay coefficient, >= 0. Default 0.
        amsgrad: use the running maximum of ``v`` (Reddi et al., 2018). Default False.
        maximize: climb the objective instead of descending. Default False.
        decoupled_weight_decay: shrink the weights directly instead of adding an L2 term to
            the gradient (that is AdamW). Default False.

    Raises:
        ValueError: an option out of range (the message names it and shows its value).

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first step moves each weight by about lr, whatever its gradient
        >>> w.tolist()
        [0.9, -1.9]
        >>> opt.state[w]["step"], sorted(opt.state[w])
        (1, ['exp_avg', 'exp_avg_sq', 'step'])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_switches(
            type(self).__name__,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
        defaults = {
            "lr": lr,
            "betas": _pair(betas, type(self).__name__),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        beta1, beta2 = _pair(group["betas"], name)
        _check_range(name, "learning rate", "lr", group["lr"], 0.0)
        _check_range(name, "epsilon value", "eps", group["eps"], 0.0)
        _check_range(name, "beta parameter at index 0", "betas[0]", beta1, 0.0, 1.0)
        _check_range(name, "beta parameter at index 1", "betas[1]", beta2, 0.0, 1.0)
        _check_range(name, "weight_decay value", "weight_decay", group["weight_decay"], 0.0)

    def _update_group(self, group: dict[str, Any]) -> None:
        # Python floats: NumPy treats them as "weak" scalars, so float32 arrays stay float32.
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        amsgrad, maximize = bool(group["amsgrad"]), bool(group["maximize"])
        decoupled = bool(group["decoupled_weight_decay"])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = self._state_for(p, amsgrad)
            state["step"] += 1
            step = state["step"]
            work, denom = self._scratch(0, param), self._scratch(1, param)
            g = xp.negative(grad, out=work) if maximize else grad
            if weight_decay != 0 and decoupled:
                xp.multiply(param, 1 - lr * weight_decay, out=param)
            elif weight_decay != 0:
                g = xp.add(g, xp.multiply(param, weight_decay, out=denom), out=work)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(exp_avg, g, 1 - beta1, denom)
            xp.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
            square = xp.multiply(g, 1 - beta2, out=denom)
            xp.add(exp_avg_sq, xp.multiply(square, g, out=square), out=exp_avg_sq)
            if amsgrad:
                second = state["max_exp_avg_sq"]._data
                xp.maximum(second, exp_avg_sq, out=second)
            else:
                second = exp_avg_sq
            step_size = lr / (1 - beta1**step)
            xp.sqrt(second, out=denom)
            xp.divide(denom, (1 - beta2**step) ** 0.5, out=denom)
            xp.add(denom, eps, out=denom)
            update = xp.multiply(exp_avg, -step_size, out=work)  # g is no longer needed
            xp.add(param, xp.divide(update, denom, out=update), out=param)

    def _state_for(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        """The state of ``p``, created (step 0, zero averages) on its first update."""
        state = self.state[p]
        if not state:
            xp = xp_of(p._data)
            state["step"] = 0
            state["exp_avg"] = Tensor(xp.zeros_like(p._data))
            state["exp_avg_sq"] = Tensor(xp.zeros_like(p._data))
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = Tensor(xp_of(p._data).zeros_like(p._data))
        return state


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's ``torch.optim.AdamW``.

    The update rule is ``Adam``'s with ``decoupled_weight_decay=True``: the weights shrink by
    ``p = p * (1 - lr * weight_decay)`` before the step, instead of ``weight_decay * p`` being
    added to the gradient, where Adam's per-coordinate scaling would weaken it; see ``Adam``.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-3.
        betas: ``(beta1, beta2)``, each in [0, 1). Default (0.9, 0.999).
        eps: added to the denominator, >= 0. Default 1e-8.
        weight_decay: decoupled weight decay coefficient, >= 0. Default 1e-2.
        amsgrad: use the running maximum of the second moment. Default False.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()  # shrink by 1 - 0.1 * 0.5, then Adam's step of about lr
        >>> w.tolist()
        [0.85, -1.8]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )


def _pair(betas: Any, name: str) -> tuple[Any, Any]:
    """``betas`` as a tuple of two values, or a TypeError naming the optimiser."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name}: betas expected a pair (beta1, beta2), got {betas!r}")
    return tuple(betas)


def _lerp_(start: Any, end: Any, weight: float, work: Any) -> None:
    """``start += weight * (end - start)`` in place, rounded as PyTorch's ``lerp_``.

    PyTorch uses ``end - (1 - weight) * (end - start)`` when ``weight >= 0.5`` (more accurate
    there) and takes ``weight`` in the arrays' precision; doing the same keeps float32
    trajectories equal to PyTorch's to the last bits.
    """
    xp = xp_of(start)
    weight = start.dtype.type(weight)
    difference = xp.subtract(end, start, out=work)
    if abs(weight) < 0.5:
        xp.add(start, xp.multiply(difference, weight, out=difference), out=start)
    else:
        xp.subtract(end, xp.multiply(difference, 1 - weight, out=difference), out=start)
