"""``juanji.nn``: layers and models as ``Module`` objects, with PyTorch's names.

``Module``, ``Parameter`` and the containers hold state; the layers call the stateless
functions of ``juanji.nn.functional``; ``juanji.nn.init`` fills weights.
"""

from juanji.nn import functional, init
from juanji.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from juanji.nn.container import ModuleDict, ModuleList, Sequential
from juanji.nn.conv import Conv1d, Conv2d, Conv3d
from juanji.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from juanji.nn.dropout import Dropout
from juanji.nn.linear import Flatten, Identity, Linear, Unflatten
from juanji.nn.loss import CrossEntropyLoss, MSELoss, NLLLoss
from juanji.nn.module import Module
from juanji.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from juanji.nn.parameter import Parameter
from juanji.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from juanji.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from juanji.nn.unpool import (
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from juanji.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

# fmt: off
__all__ = [
    "functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Conv1d", "Conv2d", "Conv3d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
    "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Linear", "Identity",
    "Flatten", "Unflatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss",
    "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d",
]
# fmt: on
