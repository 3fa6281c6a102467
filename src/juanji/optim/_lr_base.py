"""``LRScheduler``: the base class of the learning-rate schedulers (see ``lr_scheduler``)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from juanji.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "_LRScheduler"]


class LRScheduler:
    """Base class of the schedulers: bookkeeping, ``step()``, checkpoints.

    Subclasses implement ``get_lr()`` (the new learning rate of every group, computed right
    after ``last_epoch`` was advanced) and, optionally, ``_get_closed_form_lr()``.

    Args:
        optimizer: the optimiser whose ``group['lr']`` values are set.
        last_epoch: index of the last epoch seen; -1 (default) starts a new schedule. Another
            value resumes one and needs ``initial_lr`` in every group (from a loaded
            optimiser state); prefer ``load_state_dict``.

    Attributes:
        base_lrs: each group's ``initial_lr``, the learning rate the schedule starts from.
        last_epoch: how many times ``step()`` was called since construction (0 after it).

    Raises:
        TypeError: ``optimizer`` is not an ``Optimizer``.
        KeyError: ``last_epoch != -1`` and a group has no ``initial_lr``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{i}] when resuming scheduler with last_epoch={last_epoch}"
                        " >= 0; load the optimizer's state first, or pass last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def get_lr(self) -> list[float]:
        """The learning rate of every group for the current ``last_epoch``.

        Called by ``step()``; to read the learning rate, use ``get_last_lr()``.
        """
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one and set the new learning rates.

        Call it after ``optimizer.step()``. A warning is given if the first call comes before
        any ``optimizer.step()``: PyTorch then skips the schedule's first value.

        Args:
            epoch: deprecated, as in PyTorch: jump to this epoch (using the closed form where
                the scheduler has one).
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call them in "
                "the opposite order: `optimizer.step()` before `lr_scheduler.step()`; otherwise "
                "the first value of the learning rate schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(
                "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch); call "
                "`scheduler.step()` without it.",
                UserWarning,
                stacklevel=2,
            )
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Advance by one (``epoch`` None) or jump to ``epoch`` (closed form), set the rates."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _initial_step(self) -> None:
        """The construction step again (SequentialLR restarts its first scheduler with it)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimiser (JSON-able values)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state returned by ``state_dict()``."""
        self.__dict__.update(state_dict)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class _LRScheduler(LRScheduler):
    """The old name of ``LRScheduler``, which scripts written for PyTorch < 2.0 still subclass.

    A subclass (not an alias), as in PyTorch, so that its ``__name__`` stays ``_LRScheduler``.
    """


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} expected a positive integer, got {value!r}")
