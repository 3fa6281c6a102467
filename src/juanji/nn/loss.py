"""Loss modules: cross-entropy, NLL, MSE, BCE (with logits), L1, smooth L1, Huber, KL divergence.

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


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities; see ``F.binary_cross_entropy``.

    Args:
        weight: rescales each element (broadcast to the input), or None.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Shape:
        - Input and target: ``(*)``, the same shape
        - Output: scalar; with ``reduction='none'`` the input's shape

    Example:
        >>> import juanji
        >>> BCELoss()(juanji.tensor([0.5]), juanji.tensor([0.0]))
        tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid and binary cross-entropy fused; see ``F.binary_cross_entropy_with_logits``.

    Args:
        weight: rescales each element (broadcast to the input), or None.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        pos_weight: weight of positive examples per class (last dimension), or None.

    Example:
        >>> import juanji
        >>> BCEWithLogitsLoss()(juanji.tensor([0.0]), juanji.tensor([0.0]))
        tensor(0.6931)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        *,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(weight, reduction)
        check_tensor("BCEWithLogitsLoss", "pos_weight", pos_weight, optional=True)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class L1Loss(MSELoss):
    """Mean absolute error; see ``F.l1_loss``. Args as ``MSELoss``.

    Example:
        >>> import juanji
        >>> L1Loss()(juanji.tensor([1.0, -3.0]), juanji.zeros(2))
        tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above; see ``F.smooth_l1_loss``.

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        beta: where the quadratic part ends, >= 0. Default: 1.

    Example:
        >>> import juanji
        >>> SmoothL1Loss()(juanji.tensor([0.5, 3.0]), juanji.zeros(2))
        tensor(1.3125)
    """

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-sloped linear above; see ``F.huber_loss``.

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        delta: where the quadratic part ends, > 0. Default: 1.

    Example:
        >>> import juanji
        >>> HuberLoss(delta=2.0)(juanji.tensor([3.0]), juanji.zeros(1))
        tensor(4.)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(Module):
    """Kullback-Leibler divergence of log-probabilities against a target; see ``F.kl_div``.

    Args:
        reduction: ``'mean'`` (default, with PyTorch's warning), ``'batchmean'`` (the true KL
            divergence per sample), ``'sum'`` or ``'none'``.
        log_target: the target holds log-probabilities. Default: False.

    Example:
        >>> import juanji
        >>> KLDivLoss(reduction="batchmean")(juanji.tensor([[0.5, 0.5]]).log(),
        ...                                  juanji.tensor([[0.5, 0.5]]))
        tensor(0.)
    """

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        check_choice("KLDivLoss", "reduction", reduction, (*_REDUCTIONS, "batchmean"))
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
