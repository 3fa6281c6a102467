"""Loss modules, one per loss function of ``juanji.nn.functional``.

Cross-entropy, NLL, MSE, BCE (with logits), L1, smooth L1, Huber, KL divergence, Poisson and
Gaussian NLL, and the margin and embedding losses (``nn.functional.loss_margin``).

Each stores its options and calls the function of the same name in
``juanji.nn.functional`` (formulas and layouts are documented there). The class ``weight``
is a buffer, so it moves with ``to()`` and appears in ``state_dict`` (as in PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.nn.functional import loss as F
from juanji.nn.functional import loss_ctc as LC
from juanji.nn.functional import loss_margin as LM
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


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood; see ``F.poisson_nll_loss``.

    Args:
        log_input: the input is the log-rate (default True) or the rate.
        full: add Stirling's approximation of ``log(target!)``. Default: False.
        eps: added to the rate before its log when ``log_input=False``. Default: 1e-8.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> import juanji
        >>> PoissonNLLLoss()(juanji.tensor([0.0]), juanji.tensor([2.0]))
        tensor(1.)
    """

    def __init__(
        self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8,
        reduction: str = "mean",
    ) -> None:  # fmt: skip
        super().__init__(reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return F.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance; see ``F.gaussian_nll_loss``.

    Args:
        full: add the constant ``0.5 log(2 pi)``. Default: False.
        eps: the smallest variance (a value clamp). Default: 1e-6.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> import juanji
        >>> GaussianNLLLoss()(juanji.tensor([1.0]), juanji.tensor([1.0]), juanji.tensor([1.0]))
        tensor(0.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class _MarginLoss(_Loss):
    """A loss with a ``margin`` and a ``reduction``."""

    def __init__(self, margin: float, reduction: str) -> None:
        super().__init__(reduction)
        self.margin = margin


class CosineEmbeddingLoss(_MarginLoss):
    """Pull pairs with target 1 to cosine 1, push pairs with -1 below ``margin``.

    See ``F.cosine_embedding_loss``. Args: ``margin`` in [-1, 1] (default 0), ``reduction``.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([[1.0, 0.0]])
        >>> CosineEmbeddingLoss()(x, x, juanji.tensor([1.0]))
        tensor(0.)
    """

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean") -> None:
        super().__init__(margin, reduction)

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return LM.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class MarginRankingLoss(_MarginLoss):
    """``max(0, -target * (x1 - x2) + margin)``; see ``F.margin_ranking_loss``.

    Example:
        >>> import juanji
        >>> MarginRankingLoss()(juanji.tensor([2.0]), juanji.tensor([1.0]), juanji.tensor([1.0]))
        tensor(0.)
    """

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean") -> None:
        super().__init__(margin, reduction)

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return LM.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """Distances with target 1 as they are, with -1 hinged at ``margin`` (default 1).

    See ``F.hinge_embedding_loss``.

    Example:
        >>> import juanji
        >>> HingeEmbeddingLoss()(juanji.tensor([0.3]), juanji.tensor([-1.0]))
        tensor(0.7000)
    """

    def __init__(self, margin: float = 1.0, *, reduction: str = "mean") -> None:
        super().__init__(margin, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return LM.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``; see ``F.soft_margin_loss``.

    Example:
        >>> import juanji
        >>> SoftMarginLoss()(juanji.tensor([0.0]), juanji.tensor([-1.0]))
        tensor(0.6931)
    """

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return LM.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss per class; see ``F.multilabel_soft_margin_loss``.

    Example:
        >>> import juanji
        >>> MultiLabelSoftMarginLoss()(juanji.zeros(1, 3), juanji.tensor([[1.0, 0.0, 1.0]]))
        tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return LM.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Hinge between target and non-target classes; see ``F.multilabel_margin_loss``.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> MultiLabelMarginLoss()(x, juanji.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return LM.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss; see ``F.multi_margin_loss``.

    Args:
        p: 1 (default) or 2, the power of each hinge.
        margin: default 1.
        weight: ``(C,)`` per-class weight, or None.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> import juanji
        >>> MultiMarginLoss()(juanji.tensor([[0.1, 0.2, 0.4, 0.8]]), juanji.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, *,
        reduction: str = "mean",
    ) -> None:  # fmt: skip
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.ndim}D "
                "instead"
            )
        super().__init__(weight, reduction)
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the loss (see the class docstring)."""
        return LM.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class TripletMarginLoss(_MarginLoss):
    """``max(0, d(a, p) - d(a, n) + margin)``; see ``F.triplet_margin_loss``.

    Args:
        margin: default 1.
        p: the norm of the distance. Default: 2.
        eps: added to the differences. Default: 1e-6.
        swap: use the smaller of ``d(a, n)`` and ``d(p, n)``. Default: False.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> import juanji
        >>> a = juanji.zeros(2, 3)
        >>> TripletMarginLoss(margin=0.5)(a, a, a + 1).item()
        0.0
    """

    def __init__(
        self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
        reduction: str = "mean",
    ) -> None:  # fmt: skip
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        super().__init__(margin, reduction)
        self.p, self.eps, self.swap = p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return LM.triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
            reduction=self.reduction,
        )  # fmt: skip


class TripletMarginWithDistanceLoss(_MarginLoss):
    """``TripletMarginLoss`` with any distance; see ``F.triplet_margin_with_distance_loss``.

    Example:
        >>> import juanji
        >>> a = juanji.zeros(2, 3)
        >>> TripletMarginWithDistanceLoss()(a, a, a + 1).item()
        0.0
    """

    def __init__(
        self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0, swap: bool = False, reduction: str = "mean",
    ) -> None:  # fmt: skip
        if margin <= 0:
            raise ValueError(
                "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        super().__init__(margin, reduction)
        self.distance_function, self.swap = distance_function, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return LM.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction,
        )  # fmt: skip


class CTCLoss(_Loss):
    """Connectionist temporal classification loss; see ``F.ctc_loss``.

    Args:
        blank: the blank class. Default: 0.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        zero_infinity: impossible samples give 0 instead of inf. Default: False.

    Example:
        >>> import juanji
        >>> loss = CTCLoss()(juanji.full((2, 1, 2), 0.5).log(), juanji.tensor([[1]]), [2], [1])
        >>> round(loss.item(), 4)
        0.2877
    """

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(
        self, log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any
    ) -> Tensor:
        """Apply the loss (see the class docstring)."""
        return LC.ctc_loss(
            log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
            self.zero_infinity,
        )  # fmt: skip


class NLLLoss2d(NLLLoss):
    """Deprecated name of ``NLLLoss`` (which takes ``(N, C, H, W)`` input itself)."""
