"""``torch.nn.modules.pixelshuffle``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.pixelshuffle import (
    PixelShuffle,
    PixelUnshuffle,
)

__all__ = [
    "PixelShuffle",
    "PixelUnshuffle",
]
