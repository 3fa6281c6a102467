"""``torch.nn.modules.adaptive``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.adaptive import (
    AdaptiveLogSoftmaxWithLoss,
)

__all__ = [
    "AdaptiveLogSoftmaxWithLoss",
]
