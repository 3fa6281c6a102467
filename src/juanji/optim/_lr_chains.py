"""Schedulers made of schedulers: ``SequentialLR`` (one after another) and ``ChainedScheduler``.

Re-exported by ``juanji.optim.lr_scheduler``; the conventions are that module's.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from juanji.optim._lr_base import LRScheduler
from juanji.optim._lr_rules import ReduceLROnPlateau
from juanji.optim.optimizer import Optimizer

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_schedulers(owner: str, optimizer: Any, schedulers: Sequence[Any]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner}: the scheduler at index {i} has no `optimizer` attribute")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} with another optimizer"
            )


class _Composite(LRScheduler):
    """State of a scheduler of schedulers: its own attributes and each child's state_dict."""

    _schedulers: list[Any]

    def state_dict(self) -> dict[str, Any]:
        """The own attributes, with ``_schedulers`` as the children's state_dicts."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore own attributes and each child's state."""
        state = dict(state_dict)
        children = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, saved in zip(self._schedulers, children, strict=True):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``, and so on.

    At each milestone the next scheduler starts from its epoch 0 (its closed form), from the
    learning rates the previous one left. Construction resets every group to ``initial_lr``
    and undoes the construction step of each scheduler, as PyTorch does.

    Args:
        optimizer: the optimiser all the schedulers act on.
        schedulers: the schedulers, in order (not ``ReduceLROnPlateau``).
        milestones: the epochs at which to switch; one fewer than ``schedulers``.
        last_epoch: see ``LRScheduler``. Default -1.

    Example:
        >>> import juanji
        >>> from juanji.optim import lr_scheduler as ls
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> warmup = ls.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ls.ExponentialLR(opt, gamma=0.5)
        >>> sched = ls.SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
        >>> lrs
        [0.5, 0.75, 1.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR: Sequential Schedulers expects number of schedulers provided to be "
                "one more than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}"
            )
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_step(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance the active scheduler, or start the next one at a milestone."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_step(scheduler: Any, top: bool = True) -> None:
    """Take back the construction step of every scheduler nested in ``scheduler``."""
    if hasattr(scheduler, "_schedulers"):
        for child in scheduler._schedulers:
            _undo_step(child, top=False)
    elif not top and hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class ChainedScheduler(_Composite):
    """Step several schedulers together on one optimiser; their effects multiply.

    Args:
        schedulers: the schedulers (not ``ReduceLROnPlateau``), stepped in order.
        optimizer: their optimiser; default, that of ``schedulers[0]``.

    Example:
        >>> import juanji
        >>> from juanji.optim import lr_scheduler as ls
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ls.ChainedScheduler([ls.ConstantLR(opt, factor=0.5, total_iters=2),
        ...                              ls.ExponentialLR(opt, gamma=0.5)])
        >>> lrs = []
        >>> for _ in range(3):
        ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
        >>> lrs
        [0.5, 0.25, 0.25]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        optimizer = optimizer or (schedulers[0].optimizer if len(schedulers) else None)
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers, self.optimizer = list(schedulers), optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler once, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()
