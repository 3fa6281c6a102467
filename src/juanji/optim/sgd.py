"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from juanji.backend import xp_of
from juanji.optim.optimizer import Optimizer, _check_range, _check_switches
from juanji.tensor.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    For each parameter ``p`` with gradient ``grad``, in this order::

        g = -grad if maximize else grad
        g = g + weight_decay * p                      (if weight_decay != 0)
        if momentum != 0:
            b = g                                     (first step: the buffer is the gradient,
                                                       not damped)
            b = momentum * b + (1 - dampening) * g    (later steps)
            g = g + momentum * b  if nesterov  else  b
        p = p - lr * g

    The momentum buffer ``b`` is kept in ``state[p]['momentum_buffer']``. Parameters whose
    ``.grad`` is None are skipped, buffer included.

    Args:
        params: tensors or parameter groups to optimise; see ``Optimizer``.
        lr: learning rate, >= 0. Default 1e-3.
        momentum: momentum factor, >= 0. Default 0.
        dampening: dampening of the gradient added to the momentum buffer. Default 0.
        weight_decay: L2 penalty coefficient, >= 0. Default 0.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0). Default False.
        maximize: climb the objective instead of descending. Default False.

    Raises:
        ValueError: an option out of range, or nesterov without momentum or with dampening.

    Example:
        >>> import juanji
        >>> w = juanji.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = juanji.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     opt.step()
        >>> w.tolist()  # 1 - 0.1 * 2, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
        [0.46, -0.92]
        >>> opt.state[w]["momentum_buffer"].tolist()
        [3.4, -6.8]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_switches("SGD", foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("SGD", "learning rate", "lr", group["lr"], 0.0)
        _check_range("SGD", "momentum value", "momentum", group["momentum"], 0.0)
        _check_range("SGD", "dampening value", "dampening", group["dampening"], float("-inf"))
        _check_range("SGD", "weight_decay value", "weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening (nesterov=True "
                f"expects momentum > 0 and dampening == 0, got momentum={group['momentum']}, "
                f"dampening={group['dampening']})"
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        # Python floats: NumPy treats them as "weak" scalars, so float32 arrays stay float32.
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        nesterov, maximize = bool(group["nesterov"]), bool(group["maximize"])
        for p, param, grad in self._params_with_grad(group):
            xp = xp_of(param)
            work = self._scratch(0, param)
            g = grad
            if weight_decay != 0:  # g = (+-grad) + weight_decay * p
                xp.multiply(param, weight_decay, out=work)
                (xp.subtract if maximize else xp.add)(work, grad, out=work)
                g = work
            elif maximize:
                g = xp.negative(grad, out=work)
            if momentum != 0:
                g = self._momentum(p, g, momentum, dampening, nesterov)
            # -lr * g goes to the scratch array: g may be the gradient or the momentum buffer.
            xp.add(param, xp.multiply(g, -lr, out=work), out=param)

    def _momentum(
        self, p: Tensor, g: Any, momentum: float, dampening: float, nesterov: bool
    ) -> Any:
        """Update the momentum buffer of ``p`` with ``g``; return the direction to step along."""
        xp = xp_of(g)
        state = self.state[p]
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = Tensor(g.copy())
            state["momentum_buffer"] = buffer
        else:
            xp.multiply(buffer._data, momentum, out=buffer._data)
            damped = g if dampening == 0 else xp.multiply(g, 1 - dampening, out=self._scratch(1, g))
            xp.add(buffer._data, damped, out=buffer._data)
        if not nesterov:
            return buffer._data
        ahead = self._scratch(1, g)  # Nesterov looks ahead: g + momentum * b
        xp.multiply(buffer._data, momentum, out=ahead)
        return xp.add(g, ahead, out=ahead)
