"""``torch.nn.modules.flatten``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.linear import (
    Flatten,
    Unflatten,
)

__all__ = [
    "Flatten",
    "Unflatten",
]
