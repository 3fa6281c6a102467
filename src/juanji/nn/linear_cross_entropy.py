"""``LinearCrossEntropyLoss`` (a Linear layer and cross-entropy) and its options record."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from juanji.nn.functional.linear_cross_entropy import linear_cross_entropy
from juanji.nn.linear import Linear
from juanji.nn.loss import _WeightedLoss
from juanji.tensor.tensor import Tensor

_POLICIES = ("auto", "accurate", "balanced", "compact")


@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """PyTorch's chunking settings for ``linear_cross_entropy`` (kept, with no effect here).

    Raises:
        ValueError: an unknown ``acc_policy``.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None

    def __post_init__(self) -> None:
        if self.acc_policy not in _POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")


class LinearCrossEntropyLoss(_WeightedLoss):
    """A ``Linear(in_features, num_classes * prod(out_features))`` followed by cross-entropy.

    See ``F.linear_cross_entropy``. The layer is ``self.linear`` (PyTorch's name, so state
    dicts match); ``out_features`` gives a K-dimensional loss.

    Example:
        >>> import juanji
        >>> loss = LinearCrossEntropyLoss(8, 4)
        >>> loss(juanji.zeros(2, 8), juanji.tensor([0, 3])).shape
        ()
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Tensor | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: LinearCrossEntropyOptions | None = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise ValueError(
                f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            )
        if not 0 <= label_smoothing <= 1:
            raise ValueError(
                f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            )
        super().__init__(weight, reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = (
            ignore_index,
            label_smoothing,
            options,
        )
        rows = math.prod(self.out_features) * num_classes
        self.linear = Linear(in_features, rows, bias=bias, device=device, dtype=dtype)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer and the loss (see the class docstring)."""
        shape = (self.num_classes, *self.out_features)
        bias = None if self.linear.bias is None else self.linear.bias.reshape(shape)
        return linear_cross_entropy(
            input,
            self.linear.weight.reshape(*shape, self.linear.in_features),
            target,
            linear_bias=bias,
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            options=self.options,
        )

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
            f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
            f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )
