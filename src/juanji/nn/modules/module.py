"""``torch.nn.modules.module``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.module import (
    Module,
)

__all__ = [
    "Module",
]
