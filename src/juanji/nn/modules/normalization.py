"""``torch.nn.modules.normalization``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.normalization import (
    GroupNorm,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)

__all__ = [
    "GroupNorm",
    "LayerNorm",
    "LocalResponseNorm",
    "RMSNorm",
]
