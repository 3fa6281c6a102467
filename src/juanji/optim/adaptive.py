"""``Adadelta``, ``Adagrad`` and ``RMSprop``: per-coordinate step sizes from squared gradients.

All three divide the gradient by the root of an accumulated square of past gradients, so
coordinates with large gradients take smaller steps. They differ in how the square is kept:
Adagrad sums all of them, RMSprop and Adadelta keep an exponential moving average.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from juanji.backend import xp_of
from juanji.optim.adam import _lerp_
from juanji.optim.optimizer import Optimizer, _check_range, _check_switches
from juanji.tensor.tensor import Tensor

__all__ = ["Adadelta", "Adagrad", "RMSprop"]


def _decayed_gradient(
    xp: Any, grad: Any, param: Any, weight_decay: float, maximize: bool, work: Any
) -> Any:
    """``(-grad if maximize else grad) + weight_decay * param``, in ``work`` when it must differ."""
    if weight_decay != 0:
        xp.multiply(param, weight_decay, out=work)
        return (xp.subtract if maximize else xp.add)(work, grad, out=work)
    return xp.negative(grad, out=work) if maximize else grad


def _zero_state(optimizer: Optimizer, p: Tensor, keys: Iterable[str]) -> dict[str, Any]:
    """The state of ``p``; on its first update, step 0 and a zero array for each key."""
    state = optimizer.state[p]
    if not state:
        state["step"] = 0
        for key in keys:
            state[key] = Tensor(xp_of(p._data).zeros_like(p._data))
    return state


def _squared_average_(xp: Any, average: Any, g: Any, decay: float, work: Any) -> None:
    """``average = decay * average + (1 - decay) * g * g`` in place."""
    xp.multiply(average, decay, out=average)
    square = xp.multiply(g, 1 - decay, out=work)
    xp.add(average, xp.multiply(square, g, out=square), out=average)


def _addcdiv_(
    xp: Any, target: Any, numerator: Any, denominator: Any, value: float, work: Any
) -> None:
    """``target += value * numerator / denominator`` in place, rounded as PyTorch's ``addcdiv_``.

    ``work`` may be ``numerator`` but not ``denominator``.
    """
    xp.divide(xp.multiply(numerator, value, out=work), denominator, out=work)
    xp.add(target, work, out=target)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as PyTorch's ``torch.optim.Adadelta`` computes it.

    For each parameter ``p`` with gradient ``grad``::

        g = (-grad if maximize else grad) + weight_decay * p
        v = rho * v + (1 - rho) * g * g                    (state 'square_avg')
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta            (state 'acc_delta')
        p = p - lr * delta

    The ratio of the two averages gives the step its units, so ``lr`` (default 1.0) only
    scales it. State keys: ``'step'``, ``'square_avg'``, ``'acc_delta'``.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: factor on the step, >= 0. Default 1.0.
        rho: decay of both averages, in [0, 1]. Default 0.9.
        eps: added inside both roots, >= 0. Default 1e-6.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.Adadelta([w], rho=0.0, eps=1e-12)
        >>> (w * w).sum().backward()
        >>> opt.step()  # rho=0: delta = sqrt(eps) / |g| * g, a tiny step of about 1e-6
        >>> [round(x, 6) for x in w.tolist()]
        [0.999999, -1.999999]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_switches(
            "Adadelta", foreach=foreach, capturable=capturable, differentiable=differentiable
        )
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("Adadelta", "learning rate", "lr", group["lr"], 0.0)
        _check_range("Adadelta", "rho value", "rho", group["rho"], 0.0, 1.0, high_open=False)
        _check_range("Adadelta", "epsilon value", "eps", group["eps"], 0.0)
        _check_range("Adadelta", "weight_decay value", "weight_decay", group["weight_decay"], 0.0)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        weight_decay, maximize = float(group["weight_decay"]), bool(group["maximize"])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = _zero_state(self, p, ("square_avg", "acc_delta"))
            state["step"] += 1
            work, std, delta = (self._scratch(i, param) for i in range(3))
            g = _decayed_gradient(xp, grad, param, weight_decay, maximize, work)
            square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
            _squared_average_(xp, square_avg, g, rho, std)
            xp.sqrt(xp.add(square_avg, eps, out=std), out=std)
            xp.sqrt(xp.add(acc_delta, eps, out=delta), out=delta)
            xp.multiply(xp.divide(delta, std, out=delta), g, out=delta)
            _squared_average_(xp, acc_delta, delta, rho, std)
            xp.add(param, xp.multiply(delta, -lr, out=delta), out=param)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as PyTorch's ``torch.optim.Adagrad`` computes it.

    For each parameter ``p`` with gradient ``grad``, at step ``t = 1, 2, ...``::

        g = (-grad if maximize else grad) + weight_decay * p
        s = s + g * g                                      (state 'sum')
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    As in PyTorch the sums are created (filled with ``initial_accumulator_value``) when the
    optimiser is built, so ``state_dict()`` holds every parameter from the start. State keys:
    ``'step'``, ``'sum'``.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-2.
        lr_decay: the learning rate at step t is ``lr / (1 + (t - 1) * lr_decay)``, >= 0.
            Default 0.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        initial_accumulator_value: starting value of the sums, >= 0. Default 0.
        eps: added to the denominator, >= 0. Default 1e-10.
        maximize: climb the objective instead of descending. Default False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()  # first step: g / sqrt(g * g) = sign(g), so each weight moves by lr
        >>> w.tolist()
        [0.5, -1.5]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_switches("Adagrad", foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._state_for(p, group)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("Adagrad", "learning rate", "lr", group["lr"], 0.0)
        _check_range("Adagrad", "lr_decay value", "lr_decay", group["lr_decay"], 0.0)
        _check_range("Adagrad", "weight_decay value", "weight_decay", group["weight_decay"], 0.0)
        value = group["initial_accumulator_value"]
        _check_range(
            "Adagrad", "initial_accumulator_value value", "initial_accumulator_value", value, 0.0
        )
        _check_range("Adagrad", "epsilon value", "eps", group["eps"], 0.0)

    def _state_for(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = 0
            fill = float(group["initial_accumulator_value"])
            state["sum"] = Tensor(xp_of(p._data).full_like(p._data, fill))
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        weight_decay, maximize = float(group["weight_decay"]), bool(group["maximize"])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = self._state_for(p, group)
            state["step"] += 1
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            work, std = self._scratch(0, param), self._scratch(1, param)
            g = _decayed_gradient(xp, grad, param, weight_decay, maximize, work)
            total = state["sum"]._data
            xp.add(total, xp.multiply(g, g, out=std), out=total)
            xp.add(xp.sqrt(total, out=std), eps, out=std)
            _addcdiv_(xp, param, g, std, -clr, work)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as PyTorch's ``torch.optim.RMSprop`` computes it.

    For each parameter ``p`` with gradient ``grad``::

        g = (-grad if maximize else grad) + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g                (state 'square_avg')
        m = alpha * m + (1 - alpha) * g                    (centered only; state 'grad_avg')
        avg = sqrt(v - m * m) + eps   if centered   else   sqrt(v) + eps
        b = momentum * b + g / avg; p = p - lr * b         (momentum > 0; 'momentum_buffer')
        p = p - lr * g / avg                               (otherwise)

    ``centered`` divides by an estimate of the gradient's variance instead of its raw second
    moment. State keys: ``'step'``, ``'square_avg'``, then ``'momentum_buffer'`` and
    ``'grad_avg'`` when used.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-2.
        alpha: smoothing constant of the averages, >= 0. Default 0.99.
        eps: added to the denominator, >= 0. Default 1e-8.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        momentum: momentum factor, >= 0. Default 0.
        centered: normalise by the estimated variance. Default False.
        capturable, foreach: PyTorch's implementation switches (see ``juanji.optim``).
        maximize: climb the objective instead of descending. Default False.
        differentiable: see ``juanji.optim``; must stay False.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
        >>> (w * w).sum().backward()
        >>> opt.step()  # v = 0.25 g * g, so the step is lr * g / (0.5 |g|) = 2 lr sign(g)
        >>> w.tolist()
        [0.98, -1.98]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_switches(
            "RMSprop", capturable=capturable, foreach=foreach, differentiable=differentiable
        )
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("RMSprop", "learning rate", "lr", group["lr"], 0.0)
        _check_range("RMSprop", "epsilon value", "eps", group["eps"], 0.0)
        _check_range("RMSprop", "momentum value", "momentum", group["momentum"], 0.0)
        _check_range("RMSprop", "weight_decay value", "weight_decay", group["weight_decay"], 0.0)
        _check_range("RMSprop", "alpha value", "alpha", group["alpha"], 0.0)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        centered, maximize = bool(group["centered"]), bool(group["maximize"])
        keys = ["square_avg"] + ["momentum_buffer"] * (momentum > 0) + ["grad_avg"] * centered
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            state = _zero_state(self, p, keys)
            for key in keys:  # momentum or centered switched on after the first step
                if key not in state:
                    state[key] = Tensor(xp.zeros_like(param))
            state["step"] += 1
            work, avg = self._scratch(0, param), self._scratch(1, param)
            g = _decayed_gradient(xp, grad, param, weight_decay, maximize, work)
            square_avg = state["square_avg"]._data
            _squared_average_(xp, square_avg, g, alpha, avg)
            if centered:
                grad_avg = state["grad_avg"]._data
                _lerp_(grad_avg, g, 1 - alpha, avg)
                xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=avg), out=avg)
                xp.sqrt(avg, out=avg)
            else:
                xp.sqrt(square_avg, out=avg)
            xp.add(avg, eps, out=avg)
            if momentum > 0:
                buffer = state["momentum_buffer"]._data
                xp.multiply(buffer, momentum, out=buffer)
                _addcdiv_(xp, buffer, g, avg, 1.0, work)
                xp.add(param, xp.multiply(buffer, -lr, out=avg), out=param)
            else:
                _addcdiv_(xp, param, g, avg, -lr, work)
