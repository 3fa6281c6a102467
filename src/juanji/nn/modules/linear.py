"""``torch.nn.modules.linear``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.lazy import (
    LazyLinear,
)
from juanji.nn.linear import (
    Bilinear,
    Identity,
    Linear,
)

__all__ = [
    "Bilinear",
    "Identity",
    "Linear",
    "LazyLinear",
]
