"""Weight averaging: SWA and EMA models, the SWA learning rate, BatchNorm statistics (PyTorch's).

``torch.optim.swa_utils`` under juanji's name:

* ``AveragedModel(model)`` keeps a copy of ``model`` whose parameters are a running average
  of ``model``'s, updated by ``update_parameters(model)``: the equal-weight average of
  Stochastic Weight Averaging (Izmailov et al., 2018) by default, an exponential moving
  average with ``multi_avg_fn=get_ema_multi_avg_fn(decay)``, or any ``avg_fn``;
* ``SWALR`` anneals each group's learning rate to a constant ``swa_lr``;
* ``update_bn(loader, model)`` recomputes the BatchNorm running statistics with one pass over
  the data (averaged weights make the old statistics wrong).

Example:
    >>> import juanji
    >>> from juanji.optim.swa_utils import AveragedModel
    >>> model = juanji.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> for value in (1.0, 2.0, 6.0):
    ...     with juanji.no_grad():
    ...         _ = model.weight.fill_(value)
    ...     swa.update_parameters(model)
    >>> swa.module.weight.item(), swa.n_averaged.item()  # (1 + 2 + 6) / 3
    (3.0, 3)
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from juanji._dtype import float64, get_default_dtype
from juanji.autograd import no_grad
from juanji.backend import xp_of
from juanji.nn.batchnorm import _BatchNorm
from juanji.nn.module import Module
from juanji.optim._cyclic import _format_param
from juanji.optim._lr_base import LRScheduler
from juanji.optim.adam import _lerp_
from juanji.optim.optimizer import Optimizer
from juanji.tensor.tensor import Tensor

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

MultiAvgFn = Callable[[list[Tensor], list[Tensor], Any], None]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _scalar(n_averaged: Any) -> int:
    return int(n_averaged.item()) if isinstance(n_averaged, Tensor) else int(n_averaged)


def _default_float() -> Any:
    """The NumPy type of the default dtype: PyTorch computes integer averages in it."""
    return np.float64 if get_default_dtype() == float64 else np.float32


def _blend_(averaged: list[Tensor], current: list[Tensor], weight: float) -> None:
    """``a += weight * (c - a)`` for each pair, in place: lerp for floats, a rounded copy else."""
    for a, c in zip(averaged, current, strict=True):
        if a.is_floating_point():
            _lerp_(a._data, c._data, weight, xp_of(a._data).empty_like(a._data))
        else:  # integer buffers (BatchNorm's num_batches_tracked): PyTorch truncates
            real = _default_float()
            mixed = a._data.astype(real) * real(1 - weight) + c._data.astype(real) * real(weight)
            a._data[...] = mixed.astype(a._data.dtype)


def _swa_average_(averaged: Tensor, current: Tensor, n_averaged: int) -> None:
    """``a = a + (c - a) / (n + 1)`` in place: PyTorch's CPU path with no averaging function."""
    a, c = averaged._data, current._data
    if averaged.is_floating_point():
        a += (c - a) / (n_averaged + 1)
        return
    real = _default_float()
    step = (c - a).astype(real) / real(n_averaged + 1)
    a[...] = (a.astype(real) + step).astype(a.dtype)


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """An in-place exponential moving average over lists of tensors, for ``multi_avg_fn``.

    ``ema = decay * ema + (1 - decay) * current`` (computed as a lerp with weight
    ``1 - decay``, as PyTorch's ``_foreach_lerp_``); the first update copies the model.

    Args:
        decay: in [0, 1]. Default 0.999.

    Raises:
        ValueError: ``decay`` outside [0, 1].
    """
    _check_decay(decay)

    def ema_update(ema_params: list[Tensor], current_params: list[Tensor], _: Any) -> None:
        if ema_params and ema_params[0].is_floating_point():
            _blend_(ema_params, current_params, 1 - decay)
            return
        real = _default_float()
        for ema, current in zip(ema_params, current_params, strict=True):
            mixed = ema._data.astype(real) * real(decay) + current._data.astype(real) * real(
                1 - decay
            )
            ema._data[...] = mixed.astype(ema._data.dtype)

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """An in-place equal-weight running average over lists of tensors, for ``multi_avg_fn``.

    ``avg += (current - avg) / (n_averaged + 1)``.
    """

    def swa_update(averaged: list[Tensor], current: list[Tensor], n_averaged: Any) -> None:
        if averaged and not averaged[0].is_floating_point() and isinstance(n_averaged, Tensor):
            raise RuntimeError(
                "get_swa_multi_avg_fn: Integer division with addcdiv is no longer supported "
                f"(as in PyTorch): got {averaged[0].dtype} tensors, such as BatchNorm's "
                "num_batches_tracked with use_buffers=True; leave multi_avg_fn unset for the "
                "equal-weight average"
            )
        n = _scalar(n_averaged)
        # 1 / (n + 1) with n a tensor (as AveragedModel passes it) is computed in the default
        # dtype, float32, also for float64 parameters: PyTorch's rounding, kept.
        real = _default_float() if isinstance(n_averaged, Tensor) else float
        _blend_(averaged, current, float(real(1) / real(n + 1)))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """An exponential moving average of one tensor, for ``avg_fn``: returns the new value.

    Args:
        decay: in [0, 1]. Default 0.999.

    Raises:
        ValueError: ``decay`` outside [0, 1].
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The equal-weight running average of one tensor, for ``avg_fn``: returns the new value."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of a model whose parameters are a running average of the model's (SWA or EMA).

    ``update_parameters(model)`` first copies ``model``'s parameters, then averages them in:
    with neither function given, ``avg = avg + (p - avg) / (n + 1)`` (``n = n_averaged``, the
    number of models averaged so far, a buffer saved in ``state_dict``); with ``avg_fn``, ``avg =
    avg_fn(avg, p, n)`` per tensor; with ``multi_avg_fn``, ``multi_avg_fn(avgs, ps, n)`` in place
    on the lists of one dtype and device (``get_ema_multi_avg_fn(decay)`` for EMA). Without
    ``use_buffers`` the buffers (BatchNorm's running statistics) are copied from ``model``;
    run ``update_bn`` at the end to recompute them for the averaged weights. With it they are
    averaged like the parameters. Calling the averaged model runs its copy.

    Args:
        model: the model to average.
        device: where to keep the copy; the model's device if None.
        avg_fn: ``(averaged, current, n_averaged) -> new averaged``, per tensor.
        multi_avg_fn: ``(averaged list, current list, n_averaged) -> None``, in place.
        use_buffers: average the buffers too, instead of copying them. Default False.

    Raises:
        AssertionError: both ``avg_fn`` and ``multi_avg_fn`` given (as PyTorch).

    Example:
        >>> import juanji
        >>> from juanji.optim import swa_utils
        >>> model = juanji.nn.Linear(2, 1)
        >>> ema = swa_utils.AveragedModel(
        ...     model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
        >>> ema.update_parameters(model)
        >>> sorted(ema.state_dict())
        ['module.bias', 'module.weight', 'n_averaged']
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError(
                "AveragedModel: Only one of avg_fn and multi_avg_fn should be provided"
            )
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.zeros((), dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        pairs = [(a.detach(), p.detach().to(a.device)) for a, p in zip(mine, theirs, strict=False)]
        n = _scalar(self.n_averaged)
        if n == 0:
            for averaged, current in pairs:
                averaged._data[...] = current._data
        elif self.avg_fn is not None:
            for averaged, current in pairs:
                averaged._data[...] = self.avg_fn(averaged, current, self.n_averaged)._data
        elif self.multi_avg_fn is None:
            for averaged, current in pairs:
                _swa_average_(averaged, current, n)
        else:
            groups: dict[tuple[str, Any], tuple[list[Tensor], list[Tensor]]] = {}
            for averaged, current in pairs:
                key = (str(averaged.device), averaged.dtype)
                group = groups.setdefault(key, ([], []))
                group[0].append(averaged)
                group[1].append(current)
            for averaged_list, current_list in groups.values():
                self.multi_avg_fn(averaged_list, current_list, self.n_averaged)
        if not self.use_buffers:
            for mine_buffer, model_buffer in zip(
                self.module.buffers(), model.buffers(), strict=True
            ):
                mine_buffer._data[...] = model_buffer.detach().to(mine_buffer.device)._data
        self.n_averaged._data[...] = n + 1


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every BatchNorm layer of ``model`` over ``loader``.

    The statistics are reset and then accumulated as a plain average over all batches
    (``momentum=None`` for the pass; each layer's momentum is restored after), in training
    mode, without gradients; the model's mode is restored. A model without BatchNorm is left
    alone.

    Args:
        loader: batches, each a tensor or a list/tuple whose first item is the input tensor.
        model: the model (an ``AveragedModel`` or any module).
        device: move each input there first, if given.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            inputs = batch[0] if isinstance(batch, (list, tuple)) else batch
            if device is not None:
                inputs = inputs.to(device)
            model(inputs)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to a constant ``swa_lr`` over ``anneal_epochs`` epochs.

    At step ``n`` (``t = min(1, n / max(1, anneal_epochs))``) the rate moves from where the
    schedule would have it towards ``swa_lr`` by ``alpha(t)``: ``lr = swa_lr * alpha + lr_0 *
    (1 - alpha)``, with ``alpha(t) = t`` (``'linear'``) or ``(1 - cos(pi t)) / 2`` (``'cos'``),
    and ``lr_0`` recovered from the current rate as PyTorch does. Each group keeps ``swa_lr``
    among its options.

    Args:
        optimizer: the optimiser to schedule.
        swa_lr: the final learning rate, one number or one per group.
        anneal_epochs: epochs of the annealing, an integer >= 0. Default 10.
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.
        last_epoch: see ``LRScheduler``. Default -1.

    Raises:
        ValueError: an unknown strategy, a negative or non-integer ``anneal_epochs``, or a
            list of rates of the wrong length.

    Example:
        >>> import juanji
        >>> opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = juanji.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2,
        ...                                      anneal_strategy="linear")
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = _format_param("SWALR", "swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "SWALR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        self._anneal_strategy = anneal_strategy
        if (
            not isinstance(anneal_epochs, int)
            or isinstance(anneal_epochs, bool)
            or (anneal_epochs < 0)
        ):
            raise ValueError(
                f"SWALR: anneal_epochs must be equal or greater than 0, got {anneal_epochs}"
            )
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        """The fraction of the way to ``swa_lr`` at ``t`` in [0, 1]."""
        if self._anneal_strategy == "linear":
            return t
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:  # noqa: D102 - formula in the class docstring
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [
            g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs, strict=True)
        ]
