"""``torch.nn.modules.fold``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.fold import (
    Fold,
    Unfold,
)

__all__ = [
    "Fold",
    "Unfold",
]
