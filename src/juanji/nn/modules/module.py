"""``torch.nn.modules.module``'s names (the implementation is elsewhere in ``juanji.nn``)."""

from juanji.nn.module import (
    Module,
)

__all__ = [
    "Module",
]
