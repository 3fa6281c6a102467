"""``torch.nn.modules.channelshuffle``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.pixelshuffle import (
    ChannelShuffle,
)

__all__ = [
    "ChannelShuffle",
]
