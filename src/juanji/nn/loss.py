"""Loss modules: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``.

Each stores its options and calls the function of the same name in
``juanji.nn.functional`` (formulas and layouts are documented there). The class ``weight``
is a buffer, so it moves with ``to()`` and appears in ``state_dict`` (as in PyTorch).
"""

from __future__ import annotations

from juanji.nn.functional import loss as F
from juanji.nn.functional._checks import check_choice, check_probability, check_tensor
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


class _Loss(Module):
    """Holds ``reduction`` for every loss."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_choice(type(self).__name__, "reduction", reduction, _REDUCTIONS)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight`` buffer."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_tensor(type(self).__name__, "weight", weight, optional=True)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of softmax(logits) against class indices or probabilities.

    One fused op; see ``juanji.nn.functional.cross_entropy`` for the formula.

    Args:
        weight: ``(C,)`` weight per class, or None.
        ignore_index: class-index value that contributes no loss. Default: -100.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        label_smoothing: in [0, 1]. Default: 0.

    Shape:
        - Input: ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dK)`` logits
        - Target: ``()``, ``(N)`` or ``(N, d1, ..., dK)`` int64 indices, or the input's shape
          (probabilities)
        - Output: scalar; with ``reduction='none'`` the shape of the index target

    Example:
        >>> import juanji
        >>> loss = CrossEntropyLoss()(juanji.zeros(4, 10), juanji.tensor([0, 1, 2, 3]))
        >>> round(loss.item(), 4)   # log(10)
        2.3026
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        check_probability("CrossEntropyLoss", "label_smoothing", label_smoothing)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities; see ``F.nll_loss``.

    Args:
        weight: ``(C,)`` weight per class, or None.
        ignore_index: class-index value that contributes no loss. Default: -100.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Shape:
        - Input: ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dK)`` log-probabilities
        - Target: ``()``, ``(N)`` or ``(N, d1, ..., dK)`` int64 indices
        - Output: scalar; with ``reduction='none'`` the target's shape

    Example:
        >>> import juanji
        >>> NLLLoss()(juanji.tensor([[-1.0, -2.0]]), juanji.tensor([1]))
        tensor(2.)
    """

    def __init__(
        self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class MSELoss(_Loss):
    """Mean squared error between input and target (same shapes); see ``F.mse_loss``.

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Shape:
        - Input and target: ``(*)``, the same shape
        - Output: scalar; with ``reduction='none'`` the input's shape

    Example:
        >>> import juanji
        >>> MSELoss()(juanji.tensor([1.0, 3.0]), juanji.zeros(2))
        tensor(5.)
    """

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.mse_loss(input, target, reduction=self.reduction)
