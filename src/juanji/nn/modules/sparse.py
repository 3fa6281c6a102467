"""``torch.nn.modules.sparse``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.sparse import (
    Embedding,
    EmbeddingBag,
)

__all__ = [
    "Embedding",
    "EmbeddingBag",
]
