"""``torch.nn.modules.lazy``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.lazy import (
    LazyModuleMixin,
)

__all__ = [
    "LazyModuleMixin",
]
