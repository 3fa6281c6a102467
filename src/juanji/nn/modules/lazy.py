"""``torch.nn.modules.lazy``'s names (the implementation is elsewhere in ``juanji.nn``)."""

from juanji.nn.lazy import (
    LazyModuleMixin,
)

__all__ = [
    "LazyModuleMixin",
]
