"""VGG (Simonyan and Zisserman, 2014) as torchvision builds it: configurations A, B, D, E.

A network is a list of 3x3 convolutions (padding 1, optionally each followed by BatchNorm)
and 2x2 max pools, then an adaptive 7x7 average pool and three fully connected layers. The
configurations give vgg11 (132,863,336 parameters), vgg13, vgg16 and vgg19, each also with
BatchNorm (``vgg11_bn`` ...). Keys and initialisation are torchvision's.
"""

from __future__ import annotations

from typing import Any

import juanji.nn as nn
import juanji.nn.init as init
from juanji.models._common import check_weights
from juanji.tensor.functions import flatten
from juanji.tensor.tensor import Tensor

__all__ = ["VGG", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
           "vgg19", "vgg19_bn"]

# Output channels of each 3x3 convolution; "M" is a 2x2 max pool.
CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(
    cfg: list[int | str], batch_norm: bool = False, in_channels: int = 3
) -> nn.Sequential:
    """The convolutional part of a VGG from a configuration list (torchvision's layer order).

    Example:
        >>> make_layers([8, "M"])
        Sequential(
          (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
          (1): ReLU(inplace=True)
          (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        )
        >>> [type(m).__name__ for m in make_layers([8], batch_norm=True)]
        ['Conv2d', 'BatchNorm2d', 'ReLU']
    """
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(v)))
        layers.append(nn.ReLU(inplace=True))
        in_channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A VGG network around ``features`` (from ``make_layers``).

    Example:
        >>> import juanji
        >>> model = VGG(make_layers([8, "M"]), num_classes=10)
        >>> model.classifier[0]
        Linear(in_features=25088, out_features=4096, bias=True)
    """

    input_size = (3, 224, 224)

    def __init__(
        self,
        features: nn.Module,
        num_classes: int = 1000,
        init_weights: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    init.constant_(m.weight, 1)
                    init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    init.normal_(m.weight, 0, 0.01)
                    init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def _vgg(name: str, cfg: str, batch_norm: bool, weights: Any, kwargs: dict[str, Any]) -> VGG:
    check_weights(name, weights, kwargs)
    return VGG(make_layers(CONFIGS[cfg], batch_norm=batch_norm), **kwargs)


def vgg11(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-11 (configuration A)."""
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm."""
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm."""
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-16 (configuration D)."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm."""
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm."""
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
