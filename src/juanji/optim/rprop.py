"""``Rprop`` and ``ASGD``: step sizes from gradient signs, and averaged SGD (PyTorch's).

Rprop ignores the size of the gradient and adapts one step size per coordinate from whether
the gradient's sign changed; ASGD is SGD with a decaying learning rate that also keeps a
running average of the iterates (``state['ax']``), the averaged solution of Polyak and
Juditsky.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from juanji._dtype import float64, get_default_dtype
from juanji.backend import xp_of
from juanji.optim.adaptive import _decayed_gradient
from juanji.optim.optimizer import Optimizer, _check_range, _check_switches
from juanji.tensor.tensor import Tensor

__all__ = ["Rprop", "ASGD"]


class Rprop(Optimizer):
    """The resilient backpropagation algorithm, as PyTorch's ``torch.optim.Rprop`` computes it.

    Each coordinate keeps its own step size ``s`` (state ``'step_size'``, starting at ``lr``)
    and the previous gradient ``prev`` (state ``'prev'``, starting at 0)::

        g = -grad if maximize else grad
        f = eta_plus   where g * prev > 0  (same sign: speed up)
            eta_minus  where g * prev < 0  (sign change: the last step overshot)
            1          where g * prev == 0
        s = clamp(s * f, step_size_min, step_size_max)
        g = 0 where g * prev < 0           (skip the coordinate once after a sign change)
        p = p - sign(g) * s;  prev = g

    State keys: ``'step'``, ``'prev'``, ``'step_size'``. Rprop is meant for full-batch
    gradients; with mini-batches the signs flip from noise.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: the initial step size, >= 0. Default 1e-2.
        etas: ``(eta_minus, eta_plus)`` with ``0 < eta_minus < 1 < eta_plus``. Default
            (0.5, 1.2).
        step_sizes: ``(step_size_min, step_size_max)``. Default (1e-6, 50).
        maximize: climb the objective instead of descending. Default False.

    Raises:
        ValueError: ``lr < 0`` or etas outside the range above.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.Rprop([w], lr=0.5)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.tolist()  # steps of 0.5, then 0.5 * 1.2 (the signs did not change)
        [-0.1, -0.9]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_switches(
            "Rprop", capturable=capturable, foreach=foreach, differentiable=differentiable
        )
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("Rprop", "learning rate", "lr", group["lr"], 0.0)
        eta_minus, eta_plus = group["etas"]
        if not 0.0 < eta_minus < 1.0 < eta_plus:
            raise ValueError(
                f"Rprop: Invalid eta values: {eta_minus}, {eta_plus} (etas expected "
                f"0 < eta_minus < 1 < eta_plus, got ({eta_minus}, {eta_plus}))"
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        eta_minus, eta_plus = (float(e) for e in group["etas"])
        low, high = (float(s) for s in group["step_sizes"])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["prev"] = Tensor(xp.zeros_like(param))
                state["step_size"] = Tensor(xp.full_like(param, float(group["lr"])))
            state["step"] += 1
            prev, step_size = state["prev"]._data, state["step_size"]._data
            g, factor = self._scratch(0, param), self._scratch(1, param)
            if group["maximize"]:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            xp.sign(xp.multiply(g, prev, out=factor), out=factor)
            overshot = factor < 0
            factor[factor > 0] = eta_plus  # stored in the parameter's dtype, as PyTorch does
            factor[overshot] = eta_minus
            factor[factor == 0] = 1
            xp.clip(xp.multiply(step_size, factor, out=step_size), low, high, out=step_size)
            g[overshot] = 0
            prev[...] = g
            xp.subtract(param, xp.multiply(xp.sign(g, out=g), step_size, out=g), out=param)


class ASGD(Optimizer):
    """Averaged stochastic gradient descent, as PyTorch's ``torch.optim.ASGD`` computes it.

    Each parameter keeps a step size ``eta`` (starting at ``lr``), an averaging weight ``mu``
    (starting at 1) and the running average ``ax`` of its iterates. At step ``t``::

        g = (-grad if maximize else grad) + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p  if mu == 1  else  ax + mu * (p - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    so averaging starts after ``t0`` steps (a million by default: plain decaying SGD until
    then). As in PyTorch, ``eta`` and ``mu`` are kept in the default dtype (float32 unless
    changed) whatever the parameters' dtype. State keys: ``'step'``, ``'eta'``, ``'mu'``,
    ``'ax'``. Evaluate with the averages by copying ``ax`` into the parameters.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-2.
        lambd: decay term. Default 1e-4.
        alpha: power of the ``eta`` decay. Default 0.75.
        t0: the step at which averaging starts. Default 1e6.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        maximize: climb the objective instead of descending. Default False.

    Raises:
        ValueError: ``lr`` or ``weight_decay`` below 0.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.ASGD([w], lr=0.1, lambd=0.0, t0=0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.tolist(), opt.state[w]["ax"].tolist()  # w - 0.1 * 2w; the average starts at w
        ([0.8, -1.6], [0.8, -1.6])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_switches(
            "ASGD", foreach=foreach, differentiable=differentiable, capturable=capturable
        )
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("ASGD", "learning rate", "lr", group["lr"], 0.0)
        _check_range("ASGD", "weight_decay value", "weight_decay", group["weight_decay"], 0.0)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lambd, alpha, t0 = (float(group[k]) for k in ("lr", "lambd", "alpha", "t0"))
        weight_decay, maximize = float(group["weight_decay"]), bool(group["maximize"])
        scalar = np.float64 if get_default_dtype() == float64 else np.float32
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = self.state[p]
            if not state:
                state["step"], state["eta"], state["mu"] = 0, float(scalar(lr)), 1.0
                state["ax"] = Tensor(xp.zeros_like(param))
            state["step"] += 1
            step, eta, ax = state["step"], state["eta"], state["ax"]._data
            work = self._scratch(0, param)
            g = _decayed_gradient(xp, grad, param, weight_decay, maximize, work)
            xp.multiply(param, 1 - lambd * eta, out=param)
            xp.add(param, xp.multiply(g, -eta, out=work), out=param)
            if state["mu"] != 1:
                xp.subtract(param, ax, out=work)
                xp.add(ax, xp.multiply(work, state["mu"], out=work), out=ax)
            else:
                ax[...] = param
            state["eta"] = float(scalar(lr / (1 + lambd * lr * step) ** alpha))
            state["mu"] = float(scalar(1 / max(1, step - t0)))
