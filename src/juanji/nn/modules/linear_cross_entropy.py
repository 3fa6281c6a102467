"""``torch.nn.modules.linear_cross_entropy``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.linear_cross_entropy import (
    LinearCrossEntropyLoss,
    LinearCrossEntropyOptions,
)

__all__ = [
    "LinearCrossEntropyLoss",
    "LinearCrossEntropyOptions",
]
