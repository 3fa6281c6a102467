"""``juanji.nn``: layers and models as ``Module`` objects, with PyTorch's names.

``Module``, ``Parameter`` and the containers hold state; the layers call the stateless
functions of ``juanji.nn.functional``; ``juanji.nn.init`` fills weights.
"""

from juanji.nn import functional, init
from juanji.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from juanji.nn.adaptive import AdaptiveLogSoftmaxWithLoss
from juanji.nn.container import (
    Container,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from juanji.nn.conv import Conv1d, Conv2d, Conv3d
from juanji.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from juanji.nn.distance import CosineSimilarity, PairwiseDistance
from juanji.nn.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from juanji.nn.fold import Fold, Unfold
from juanji.nn.fractional_pool import FractionalMaxPool2d, FractionalMaxPool3d
from juanji.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
)
from juanji.nn.linear import Bilinear, Flatten, Identity, Linear, Unflatten
from juanji.nn.linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from juanji.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    CTCLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from juanji.nn.module import Module
from juanji.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    CrossMapLRN2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
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
from juanji.nn.parallel.sync_batchnorm import SyncBatchNorm
from juanji.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from juanji.nn.pixelshuffle import ChannelShuffle, PixelShuffle, PixelUnshuffle
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
from juanji.nn.sparse import Embedding, EmbeddingBag
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
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "LayerNorm", "LocalResponseNorm", "SyncBatchNorm",
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d",
    "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
    "UninitializedParameter", "UninitializedBuffer",
    "ReLU6", "Hardtanh", "GELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "ELU", "SELU", "CELU",
    "PReLU", "Softplus", "Softsign", "Softmin", "GLU", "LogSigmoid", "Tanhshrink",
    "BCELoss", "BCEWithLogitsLoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
    "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "Bilinear", "ChannelShuffle", "CosineSimilarity", "PairwiseDistance", "Embedding", "Fold",
    "Unfold", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss",
    "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "NLLLoss2d",
    "Hardshrink", "Softshrink", "Threshold", "RReLU", "Softmax2d",
    "ParameterList", "ParameterDict", "RMSNorm", "FeatureAlphaDropout", "CrossMapLRN2d",
    "Container", "Buffer", "EmbeddingBag", "CTCLoss", "AdaptiveLogSoftmaxWithLoss",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "LinearCrossEntropyLoss",
    "LinearCrossEntropyOptions",
    "utils", "modules",
]
# fmt: on

from juanji.nn import modules as modules  # noqa: E402 - after the layers it re-exports
from juanji.nn import utils as utils  # noqa: E402
