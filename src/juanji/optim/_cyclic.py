"""``CyclicLR``: a learning rate that cycles between two bounds (see ``lr_scheduler``)."""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from juanji.optim._lr_base import LRScheduler
from juanji.optim.optimizer import Optimizer

__all__ = ["CyclicLR"]


class CyclicLR(LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (Smith, 2017), per batch.

    A cycle lasts ``step_size_up + step_size_down`` steps; the rate climbs linearly for the
    first ``step_size_up`` and falls back over the rest. At step ``n`` (``last_epoch``)::

        cycle = floor(1 + n / total)            (1 for the first cycle)
        x = 1 + n / total - cycle               (position in the cycle, in [0, 1))
        h = x / r  if x <= r  else  (x - 1) / (r - 1)     with r = step_size_up / total
        lr = base_lr + (max_lr - base_lr) * h * scale

    where ``scale`` is ``1`` (``'triangular'``), ``1 / 2 ** (cycle - 1)`` (``'triangular2'``:
    the amplitude halves each cycle), ``gamma ** n`` (``'exp_range'``), or
    ``scale_fn(cycle)`` / ``scale_fn(n)`` for a custom function (per ``scale_mode``). With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, Adam's ``betas[0]``) moves the other
    way: ``momentum = max_momentum - (max_momentum - base_momentum) * h * scale``.
    Construction sets every group's ``lr`` to ``base_lr`` (and its momentum to
    ``max_momentum``), as PyTorch does.

    Args:
        optimizer: the optimiser to schedule.
        base_lr: lower bound, one number or one per group.
        max_lr: upper bound, one number or one per group.
        step_size_up: steps of the rising half. Default 2000.
        step_size_down: steps of the falling half; ``step_size_up`` if None. Default None.
        mode: ``'triangular'`` (default), ``'triangular2'`` or ``'exp_range'``; ignored when
            ``scale_fn`` is given.
        gamma: ``'exp_range'``'s base. Default 1.0.
        scale_fn: a custom scale, a function of one number with values in [0, 1].
        scale_mode: ``'cycle'`` (default) or ``'iterations'``: what ``scale_fn`` receives.
        cycle_momentum: cycle the momentum too. Default True.
        base_momentum: momentum at the peak learning rate, one or one per group. Default 0.8.
        max_momentum: momentum at ``base_lr``, one or one per group. Default 0.9.
        last_epoch: see ``LRScheduler``. Default -1.

    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        ValueError: an unknown mode without ``scale_fn``, a list of bounds of the wrong
            length, or ``cycle_momentum`` on an optimiser without ``momentum`` or ``betas``.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
        >>> sched = juanji.optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5,
        ...                                            step_size_up=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR: {type(optimizer).__name__} is not an Optimizer")
        base_lrs = _format_param("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = _format_param("CyclicLR", "max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                "CyclicLR: mode is invalid and scale_fn is None (mode expected 'triangular', "
                f"'triangular2' or 'exp_range', got {mode!r})"
            )
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_momentum(
        self, optimizer: Optimizer, base_momentum: Any, max_momentum: Any, last_epoch: int
    ) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                "CyclicLR: optimizer must support momentum or beta1 with `cycle_momentum` option "
                f"enabled; {type(optimizer).__name__} has neither (pass cycle_momentum=False)"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        self.base_momentums = _format_param("CyclicLR", "base_momentum", optimizer, base_momentum)
        self.max_momentums = _format_param("CyclicLR", "max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            for high, low, group in zip(
                self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True
            ):
                self._set_momentum(group, high)
                group["max_momentum"] = high
                group["base_momentum"] = low

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _init_scale_fn(self) -> None:
        """Pick the built-in scale of ``mode`` (and its ``scale_mode``) unless one was given."""
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref: Callable[[float], float] = _triangular
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = _triangular2
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            gamma = self.gamma
            self._scale_fn_ref = lambda x: gamma**x
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at ``x`` (the cycle number or the step, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list[float]:  # noqa: D102 - formulas in the class docstring
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            base + (peak - base) * height * scale
            for base, peak in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for group, low, high in zip(
                self.optimizer.param_groups,
                self.base_momentums,
                self.max_momentums,
                strict=True,
            ):
                self._set_momentum(group, high - (high - low) * height * scale)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base's, without the built-in scale; a custom one as its ``__dict__`` (or None).

        A plain function or lambda cannot be saved (None is stored); a callable object's
        attributes are.
        """
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_scale_fn_ref", "_scale_fn_custom")
        }
        fn = self._scale_fn_custom
        keep = fn is not None and not isinstance(fn, types.FunctionType)
        state["_scale_fn_custom"] = dict(fn.__dict__) if keep else None
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state; a custom scale function stays this scheduler's own."""
        state = dict(state_dict)
        attributes = state.pop("_scale_fn_custom", None)
        self.__dict__.update(state)
        if attributes is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(attributes)
        self._init_scale_fn()


def _triangular(x: float) -> float:
    return 1.0


def _triangular2(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def _format_param(owner: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list/tuple of that length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{owner}: {name} must have the same length as optimizer.param_groups. {name} has "
                f"{len(value)} values, param_groups has {len(optimizer.param_groups)}."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)
