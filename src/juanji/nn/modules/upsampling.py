"""``torch.nn.modules.upsampling``'s names (the implementation is elsewhere in ``juanji.nn``)."""

from juanji.nn.upsampling import (
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

__all__ = [
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]
