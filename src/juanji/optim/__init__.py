"""Optimisers and learning-rate schedulers, with PyTorch's names (``torch.optim``).

``Optimizer`` holds parameter groups and per-parameter state; ``SGD``, ``Adam``, ``AdamW``,
``Adadelta``, ``Adagrad``, ``RMSprop``, ``Adamax``, ``NAdam``, ``RAdam``, ``Rprop``, ``ASGD``
and ``LBFGS`` update parameters in place from their ``.grad``; ``lr_scheduler`` changes
``group['lr']`` between steps; ``swa_utils`` averages weights (SWA, EMA).

Each optimiser takes PyTorch's implementation switches where PyTorch has them (``foreach``,
``fused``, ``capturable``, ``differentiable``), in PyTorch's positions. juanji has one
implementation, so ``foreach`` and ``fused`` change nothing and are not kept in the groups
(``fused`` with ``foreach`` raises, as in PyTorch); ``capturable=True`` (CUDA graphs) and
``differentiable=True`` (gradients through the update) raise at construction.

Example:
    >>> import juanji
    >>> w = juanji.tensor([3.0], requires_grad=True)
    >>> opt = juanji.optim.SGD([w], lr=0.25)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w.item()  # each step w -= 0.25 * 2w, that is w /= 2
    0.375
"""

from juanji.optim import lr_scheduler, swa_utils
from juanji.optim.adam import Adam, AdamW
from juanji.optim.adamax_nadam_radam import Adamax, NAdam, RAdam
from juanji.optim.adaptive import Adadelta, Adagrad, RMSprop
from juanji.optim.lbfgs import LBFGS
from juanji.optim.optimizer import Optimizer
from juanji.optim.rprop import ASGD, Rprop
from juanji.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler", "swa_utils"]
__all__ += ["Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS"]
