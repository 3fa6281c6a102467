"""``torch.nn.modules.conv``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    _ConvNd,
)
from juanji.nn.conv_transpose import (
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    _ConvTransposeNd,
)
from juanji.nn.lazy import (
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
)

__all__ = [
    "_ConvNd",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "_ConvTransposeNd",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
]
