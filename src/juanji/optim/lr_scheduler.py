"""Learning-rate schedulers: change ``group['lr']`` of an optimiser between steps (PyTorch's).

A scheduler is built on an optimiser and its ``step()`` is called after ``optimizer.step()``,
once per epoch (``StepLR``...) or once per batch (``OneCycleLR``). Construction performs one
initial step, as PyTorch does: it records ``initial_lr`` in every group, sets
``last_epoch = 0`` and ``base_lrs``, and leaves the learning rates as the schedule's value at
step 0.

Most schedulers are written, as in PyTorch, in "chainable" form: each step multiplies or
shifts the current ``group['lr']`` rather than recomputing it from ``base_lrs``. Rounding then
follows PyTorch's to the last bit, and schedulers can be stacked on one optimiser. The
deprecated ``step(epoch)`` uses the closed form instead. The formulas are given per class.

Example:
    >>> import juanji
    >>> w = juanji.tensor([1.0], requires_grad=True)
    >>> opt = juanji.optim.SGD([w], lr=1.0)
    >>> sched = juanji.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()  # a real loop runs the epoch's batches here
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

from juanji.optim._cyclic import CyclicLR
from juanji.optim._lr_base import LRScheduler, _check_positive_int
from juanji.optim._lr_base import _LRScheduler as _LRScheduler  # the pre-2.0 name; torch keeps it
from juanji.optim._lr_chains import ChainedScheduler, SequentialLR
from juanji.optim._lr_rules import (
    ConstantLR,
    CosineAnnealingWarmRestarts,
    LambdaLR,
    MultiplicativeLR,
    PolynomialLR,
    ReduceLROnPlateau,
)
from juanji.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "OneCycleLR",
    "LambdaLR",
    "MultiplicativeLR",
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ChainedScheduler",
    "CyclicLR",
]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = base_lr * gamma ** (epoch // step_size)``, applied as one multiplication
    by ``gamma`` at each multiple of ``step_size``.

    Args:
        optimizer: the optimiser to schedule.
        step_size: epochs between decays, a positive integer.
        gamma: multiplicative factor. Default 0.1.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = juanji.optim.lr_scheduler.StepLR(opt, step_size=30)
        >>> sched.get_last_lr()
        [0.1]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check_positive_int("StepLR", "step_size", step_size)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``.

    ``lr(epoch) = base_lr * gamma ** (number of milestones <= epoch)``; a milestone listed
    twice decays twice.

    Args:
        optimizer: the optimiser to schedule.
        milestones: epoch indices (integers) at which to decay.
        gamma: multiplicative factor. Default 0.1.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        for m in milestones:
            if not isinstance(m, numbers.Integral):
                raise TypeError(f"MultiStepLR: milestones expected integers, got {m!r}")
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state; milestone keys read back from JSON as strings become ints again."""
        super().load_state_dict(state_dict)
        self.milestones = Counter({int(k): int(v) for k, v in self.milestones.items()})


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``.

    Args:
        optimizer: the optimiser to schedule.
        gamma: multiplicative factor per epoch.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor moving linearly from ``start_factor`` to ``end_factor``.

    ``lr(epoch) = base_lr * (start_factor + (end_factor - start_factor) *
    min(epoch, total_iters) / total_iters)``: a linear warm-up by default. Chainable form: at
    epoch ``e`` in 1..total_iters, ``lr *= 1 + (end - start) / (total_iters * start +
    (e - 1) * (end - start))``.

    Args:
        optimizer: the optimiser to schedule.
        start_factor: factor at epoch 0, in (0, 1]. Default 1/3.
        end_factor: factor from ``total_iters`` on, in [0, 1]. Default 1.0.
        total_iters: epochs the change takes, a non-negative integer. Default 5.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1.0:
            raise ValueError(
                "LinearLR: Starting multiplicative factor expected to be greater than 0 and less "
                f"or equal to 1 (start_factor in (0, 1]), got {start_factor}"
            )
        if not 0 <= end_factor <= 1.0:
            raise ValueError(
                "LinearLR: Ending multiplicative factor expected to be between 0 and 1 "
                f"(end_factor in [0, 1]), got {end_factor}"
            )
        if not isinstance(total_iters, numbers.Integral) or total_iters < 0:
            raise ValueError(
                f"LinearLR: total_iters expected a non-negative integer, got {total_iters!r}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * change
        )
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        change = self.end_factor - self.start_factor
        done = min(self.total_iters, self.last_epoch)
        return [
            base * (self.start_factor + change * done / self.total_iters) for base in self.base_lrs
        ]


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate from ``base_lr`` to ``eta_min`` along half a cosine.

    ``lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``, reached
    at ``epoch = T_max``; past it the cosine continues, so the rate climbs back over the next
    ``T_max`` epochs (SGDR without restarts, as in PyTorch). Chainable form::

        lr = eta_min + (lr - eta_min) * (1 + cos(pi * e / T_max)) / (1 + cos(pi * (e-1) / T_max))

    except where that denominator would vanish (``(e - 1 - T_max) % (2 * T_max) == 0``), where
    ``lr += (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2``.

    Args:
        optimizer: the optimiser to schedule.
        T_max: epochs of the half period, a positive integer.
        eta_min: smallest learning rate. Default 0.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(2):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.5, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (e - 1 - T) % (2 * T) == 0:
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017): warm up to ``max_lr``, then anneal far below.

    Stepped once per batch, for ``total_steps`` (or ``epochs * steps_per_epoch``) steps. With
    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``, the
    phases, each ending at a step index, are::

        two phases:   initial_lr -> max_lr     until step pct_start * total_steps - 1
                      max_lr     -> min_lr     until step total_steps - 1
        three_phase:  initial_lr -> max_lr     until step pct_start * total_steps - 1
                      max_lr     -> initial_lr until step 2 * pct_start * total_steps - 2
                      initial_lr -> min_lr     until step total_steps - 1

    Within a phase from step ``s0`` to ``s1``, with ``pct = (step - s0) / (s1 - s0)``:
    ``'cos'``: ``value = end + (start - end) / 2 * (cos(pi * pct) + 1)``; ``'linear'``:
    ``value = (end - start) * pct + start``. When ``cycle_momentum`` is true the momentum
    (SGD's ``momentum``, Adam's ``betas[0]``) moves the opposite way, between
    ``max_momentum`` and ``base_momentum``. Each group keeps ``initial_lr``, ``max_lr``,
    ``min_lr`` (and ``max_momentum``, ``base_momentum``) among its options.

    Args:
        optimizer: the optimiser to schedule.
        max_lr: peak learning rate, one number or one per group.
        total_steps: number of steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs: epochs to train for (with ``steps_per_epoch``).
        steps_per_epoch: steps per epoch (with ``epochs``).
        pct_start: fraction of the cycle spent increasing the learning rate. Default 0.3.
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.
        cycle_momentum: cycle the momentum inversely to the learning rate. Default True.
        base_momentum: lowest momentum (at ``max_lr``), one number or one per group. Default 0.85.
        max_momentum: highest momentum, one number or one per group. Default 0.95.
        div_factor: ``initial_lr = max_lr / div_factor``. Default 25.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``. Default 1e4.
        three_phase: use the three-phase schedule above. Default False.
        last_epoch: see ``LRScheduler``. Default -1.

    Raises:
        ValueError: bad step counts, ``pct_start`` outside [0, 1], a phase of zero steps, an
            unknown ``anneal_strategy``, momentum cycling on an optimiser without momentum or
            betas, or stepping more than ``total_steps`` times.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = juanji.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4,
        ...                                              pct_start=0.5)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs, opt.param_groups[0]["momentum"]
        ([0.04, 1.0, 0.500002, 4e-06], 0.95)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR: {type(optimizer).__name__} is not an Optimizer")
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, numbers.Real) or not 0 <= pct_start <= 1:
            raise ValueError(
                f"OneCycleLR: Expected float between 0 and 1 pct_start, but got {pct_start}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        self._schedule_phases = _phases(float(pct_start), self.total_steps, three_phase)
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` "
                    f"option enabled; {type(optimizer).__name__} has neither (pass "
                    "cycle_momentum=False)"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group("max_momentum", optimizer, max_momentum)
            lows = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, highs, lows, strict=True):
                    self._set_momentum(group, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:  # noqa: D102 - formulas in the class docstring
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: Tried to step {step} times. The specified number of total steps "
                f"is {self.total_steps} (scheduler.step() may be called at most total_steps = "
                f"{self.total_steps} times after construction; raise total_steps or epochs)"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            last = len(self._schedule_phases) - 1
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        self._set_momentum(group, momentum)
                    break
                start_step = end_step
        return lrs


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    """OneCycleLR's cycle length from ``total_steps`` or ``epochs * steps_per_epoch``."""
    if total_steps is not None:
        if not isinstance(total_steps, numbers.Integral) or total_steps <= 0:
            raise ValueError(
                f"OneCycleLR: Expected positive integer total_steps, but got {total_steps}"
            )
        return int(total_steps)
    if epochs is None or steps_per_epoch is None:
        raise ValueError(
            "OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)"
        )
    if not isinstance(epochs, numbers.Integral) or epochs <= 0:
        raise ValueError(f"OneCycleLR: Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, numbers.Integral) or steps_per_epoch <= 0:
        raise ValueError(
            f"OneCycleLR: Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
        )
    return int(epochs * steps_per_epoch)


def _phases(pct_start: float, total_steps: int, three_phase: bool) -> list[dict[str, Any]]:
    """OneCycleLR's phases: the step each ends at and the group keys of its end points."""
    up = {
        "end_step": float(pct_start * total_steps) - 1,
        "start_lr": "initial_lr",
        "end_lr": "max_lr",
        "start_momentum": "max_momentum",
        "end_momentum": "base_momentum",
    }
    if three_phase:
        phases = [
            up,
            {
                "end_step": float(2 * pct_start * total_steps) - 2,
                "start_lr": "max_lr",
                "end_lr": "initial_lr",
                "start_momentum": "base_momentum",
                "end_momentum": "max_momentum",
            },
            {
                "end_step": total_steps - 1,
                "start_lr": "initial_lr",
                "end_lr": "min_lr",
                "start_momentum": "max_momentum",
                "end_momentum": "max_momentum",
            },
        ]
    else:
        phases = [
            up,
            {
                "end_step": total_steps - 1,
                "start_lr": "max_lr",
                "end_lr": "min_lr",
                "start_momentum": "base_momentum",
                "end_momentum": "max_momentum",
            },
        ]
    start = 0.0
    for i, phase in enumerate(phases):
        if phase["end_step"] == start:  # PyTorch divides by zero here
            raise ValueError(
                f"OneCycleLR: phase {i} of the schedule has no steps (it would end at step "
                f"{phase['end_step']:g}, where it starts) with pct_start={pct_start}, "
                f"total_steps={total_steps}; change pct_start or total_steps"
            )
        start = phase["end_step"]
    return phases


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list/tuple of that length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"OneCycleLR: {name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has "
                f"{len(optimizer.param_groups)}."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)
