"""``torch.nn.modules.distance``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.distance import (
    CosineSimilarity,
    PairwiseDistance,
)

__all__ = [
    "CosineSimilarity",
    "PairwiseDistance",
]
