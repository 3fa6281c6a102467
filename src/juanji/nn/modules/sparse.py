"""``torch.nn.modules.sparse``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.sparse import (
    Embedding,
)

__all__ = [
    "Embedding",
]
