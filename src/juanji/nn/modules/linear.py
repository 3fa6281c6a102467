"""``torch.nn.modules.linear``'s names (the implementation is elsewhere in ``juanji.nn``)."""

from juanji.nn.lazy import (
    LazyLinear,
)
from juanji.nn.linear import (
    Identity,
    Linear,
)

__all__ = [
    "Identity",
    "Linear",
    "LazyLinear",
]
