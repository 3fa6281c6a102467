"""Schedules by rule: user functions, constant and polynomial factors, warm restarts, plateaus.

``LambdaLR``, ``MultiplicativeLR``, ``ConstantLR``, ``PolynomialLR``,
``CosineAnnealingWarmRestarts`` and ``ReduceLROnPlateau``, re-exported by
``juanji.optim.lr_scheduler``; the conventions (construction step, chainable form,
``step(epoch)``) are that module's. ``_lr_chains`` holds the two that combine schedulers.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from juanji.optim._lr_base import LRScheduler
from juanji.optim.optimizer import Optimizer

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
]


class _LambdaScheduler(LRScheduler):
    """One user function per group; ``state_dict`` keeps the state of callable objects only."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int) -> None:
        name = type(self).__name__
        groups = len(getattr(optimizer, "param_groups", []))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"{name}: Expected {groups} lr_lambdas, but got {len(lr_lambda)} (one per "
                    "parameter group)"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(
                    f"{name}: lr_lambda should be a function, but got {type(function).__name__}"
                )
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """As the base's, with ``lr_lambdas``: None for functions, ``__dict__`` for objects."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state; the functions stay this scheduler's own."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state)
        for function, attributes in zip(self.lr_lambdas, saved, strict=True):
            if attributes is not None:
                function.__dict__.update(attributes)


class LambdaLR(_LambdaScheduler):
    """Set the learning rate to ``base_lr * lr_lambda(epoch)``.

    Args:
        optimizer: the optimiser to schedule.
        lr_lambda: a function of the epoch index, or a list of them, one per parameter group.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5**epoch)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        return [
            base * fn(self.last_epoch)
            for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the learning rate by ``lr_lambda(epoch)`` at every epoch after the first.

    Args:
        optimizer: the optimiser to schedule.
        lr_lambda: a function of the epoch index giving the factor, or one per group.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.5)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self._is_initial:
            return self._current_lrs()
        return [
            lr * fn(self.last_epoch)
            for fn, lr in zip(self.lr_lambdas, self._current_lrs(), strict=True)
        ]


class ConstantLR(LRScheduler):
    """Multiply the learning rate by ``factor`` until epoch ``total_iters``, then restore it.

    Args:
        optimizer: the optimiser to schedule.
        factor: the factor for the first ``total_iters`` epochs, in [0, 1]. Default 1/3.
        total_iters: how many epochs the factor applies. Default 5.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=1)
        >>> before = sched.get_last_lr(); opt.step(); sched.step()
        >>> before, sched.get_last_lr()
        ([0.5], [1.0])
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 <= factor <= 1.0:
            raise ValueError(
                "ConstantLR: Constant multiplicative factor expected to be between 0 and 1 "
                f"(factor in [0, 1]), got {factor}"
            )
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        done = self.last_epoch >= self.total_iters
        return [base * (self.factor + done * (1 - self.factor)) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate to 0 over ``total_iters`` epochs along a polynomial.

    ``lr(epoch) = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``, applied in
    chainable form as the ratio of two consecutive values.

    Args:
        optimizer: the optimiser to schedule.
        total_iters: epochs until the rate reaches 0. Default 5.
        power: the polynomial's power. Default 1.0 (linear).
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> opt.step(); sched.step()
        >>> sched.get_last_lr()  # (1 - 1/4) ** 2
        [0.5625]
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (1.0 - done) ** self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter, 2017).

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``, where ``T_cur``
    counts epochs since the last restart and ``T_i`` (first ``T_0``, then multiplied by
    ``T_mult`` at each restart) is the current cycle's length. ``step(epoch)`` accepts a
    fractional epoch (``scheduler.step(epoch + i / iters)`` once per batch) and, unlike the
    other schedulers, is not deprecated here.

    Args:
        optimizer: the optimiser to schedule.
        T_0: length of the first cycle, a positive integer.
        T_mult: factor by which each cycle is longer than the previous, an integer >= 1.
            Default 1.
        eta_min: the lowest learning rate. Default 0.0.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
        >>> lrs  # restarts at epoch 2
        [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803 - PyTorch's name
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = "CosineAnnealingWarmRestarts"
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"{name}: Expected positive integer T_0, but got {T_0!r}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"{name}: Expected integer T_mult >= 1, but got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"{name}: Expected float or int eta_min, but got {eta_min!r} of type "
                f"{type(eta_min).__name__}"
            )
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance by one epoch, or go to ``epoch`` (fractional allowed, >= 0)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts.step: Expected non-negative epoch, but got {epoch}"
            )
        elif epoch >= self.T_0 and self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        elif epoch >= self.T_0:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    ``step(metric)`` is called once per epoch with the validation loss (``mode='min'``) or
    accuracy (``'max'``). The metric improves when it beats the best so far by more than
    ``threshold`` (relative: ``best * (1 - threshold)`` in min mode; absolute: ``best -
    threshold``). After more than ``patience`` epochs without improvement each group's rate
    becomes ``max(lr * factor, min_lr)`` (unless that changes it by ``eps`` or less), and then
    ``cooldown`` epochs pass before bad epochs are counted again.

    Args:
        optimizer: the optimiser to schedule.
        mode: ``'min'`` or ``'max'``. Default 'min'.
        factor: the reduction factor, < 1. Default 0.1.
        patience: epochs without improvement tolerated. Default 10.
        threshold: how much better counts as better. Default 1e-4.
        threshold_mode: ``'rel'`` or ``'abs'``. Default 'rel'.
        cooldown: epochs to wait after a reduction. Default 0.
        min_lr: a floor for every group, or a list of floors, one per group. Default 0.
        eps: smallest change of the rate that is applied. Default 1e-8.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> for loss in [1.0, 1.0, 1.0, 0.5]:
        ...     sched.step(loss)
        >>> sched.get_last_lr()  # two epochs without improvement after the first
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        if factor >= 1.0:
            raise ValueError(f"{name}: Factor should be < 1.0 (got factor={factor})")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        self.factor, self.optimizer = factor, optimizer
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(f"{name}: expected {groups} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * groups
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(
                f"ReduceLROnPlateau: mode {mode} is unknown! (expected 'min' or 'max')"
            )
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode} is unknown! (expected 'rel' "
                "or 'abs')"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def _is_better(self, value: float, best: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * value < sign * best * (1.0 - sign * self.threshold)
        return sign * value < sign * best - self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()

    @property
    def in_cooldown(self) -> bool:
        """Whether a reduction happened less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} param groups, but "
                    f"min_lr listed {len(self.min_lrs)} (a group was added since); set "
                    "scheduler.min_lrs to one floor per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state returned by ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
