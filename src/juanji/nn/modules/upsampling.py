"""``torch.nn.modules.upsampling``'s names (implemented elsewhere in ``juanji.nn``)."""

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
