"""SqueezeNet (Iandola et al., 2016) as torchvision builds it: Fire modules, no Linear layer.

A Fire module squeezes the channels with a 1x1 convolution, then expands them with 1x1 and
3x3 convolutions side by side whose outputs are concatenated. The classifier is a 1x1
convolution to ``num_classes`` maps and a global average pool: AlexNet's accuracy with 50x
fewer parameters (``squeezenet1_0``: 1,248,424; ``squeezenet1_1``: 1,235,496).
"""

from __future__ import annotations

from typing import Any

import juanji.nn as nn
import juanji.nn.init as init
from juanji.models._common import check_weights
from juanji.tensor.functions import cat, flatten
from juanji.tensor.tensor import Tensor

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """Squeeze (1x1) then expand (1x1 and 3x3, concatenated), each followed by ReLU."""

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int,
                 expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return cat([self.expand1x1_activation(self.expand1x1(x)),
                    self.expand3x3_activation(self.expand3x3(x))], 1)


def _features(version: str) -> nn.Sequential:
    pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
    if version == "1_0":
        return nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
            Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
            Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256),
        )
    if version == "1_1":
        return nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
            Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
            Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
            Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
            Fire(512, 64, 256, 256),
        )
    raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")


class SqueezeNet(nn.Module):
    """SqueezeNet 1.0 or 1.1 (1.1: 2.4x less computation, same accuracy).

    Example:
        >>> import juanji
        >>> model = SqueezeNet("1_1", num_classes=10)
        >>> model(juanji.zeros(1, 3, 64, 64)).shape
        (1, 10)
    """

    input_size = (3, 224, 224)

    def __init__(self, version: str = "1_0", num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = _features(version)
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv,
                                        nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return flatten(self.classifier(self.features(x)), 1)


def squeezenet1_0(*, weights: Any = None, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (the paper's)."""
    check_weights("squeezenet1_0", weights, kwargs)
    return SqueezeNet("1_0", **kwargs)


def squeezenet1_1(*, weights: Any = None, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1 (torchvision's lighter variant)."""
    check_weights("squeezenet1_1", weights, kwargs)
    return SqueezeNet("1_1", **kwargs)
