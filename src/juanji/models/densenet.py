"""DenseNet (Huang et al., 2016) as torchvision builds it: each layer sees all earlier maps.

A dense layer is BN-ReLU-1x1 conv (to ``bn_size * growth_rate`` channels) then BN-ReLU-3x3
conv (to ``growth_rate``); its output is concatenated to its input along the channels, so a
block of L layers adds ``L * growth_rate`` channels. Transitions (BN-ReLU-1x1 conv-2x2 average
pool) halve the channels and the size between blocks. ``densenet121`` has 7,978,856
parameters; keys (``features.denseblock1.denselayer1.norm1.weight``...) are torchvision's.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import juanji.nn as nn
import juanji.nn.functional as F
import juanji.nn.init as init
from juanji.models._common import check_weights
from juanji.tensor.functions import cat, flatten
from juanji.tensor.tensor import Tensor

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient  # accepted; juanji keeps every map

    def forward(self, input: Tensor | list[Tensor]) -> Tensor:  # noqa: A002
        prev = [input] if isinstance(input, Tensor) else list(input)
        bottleneck = self.conv1(self.relu1(self.norm1(cat(prev, 1))))
        new = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size,
                                drop_rate, memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: a 7x7 stem, dense blocks joined by transitions, BN, global pool, Linear.

    Example:
        >>> import juanji
        >>> model = DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8,
        ...                  num_classes=10)
        >>> model(juanji.zeros(1, 3, 32, 32)).shape
        (1, 10)
    """

    input_size = (3, 224, 224)

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate,
                                memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                init.constant_(m.weight, 1)
                init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.features(x), inplace=True)
        return self.classifier(flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1))


def _densenet(name: str, growth: int, blocks: tuple[int, ...], init_features: int,
              weights: Any, kwargs: dict[str, Any]) -> DenseNet:
    check_weights(name, weights, kwargs)
    return DenseNet(growth, blocks, init_features, **kwargs)


def densenet121(*, weights: Any = None, **kwargs: Any) -> DenseNet:
    """DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 stem channels."""
    return _densenet("densenet121", 32, (6, 12, 24, 16), 64, weights, kwargs)


def densenet161(*, weights: Any = None, **kwargs: Any) -> DenseNet:
    """DenseNet-161: growth 48, blocks (6, 12, 36, 24), 96 stem channels."""
    return _densenet("densenet161", 48, (6, 12, 36, 24), 96, weights, kwargs)


def densenet169(*, weights: Any = None, **kwargs: Any) -> DenseNet:
    """DenseNet-169: growth 32, blocks (6, 12, 32, 32), 64 stem channels."""
    return _densenet("densenet169", 32, (6, 12, 32, 32), 64, weights, kwargs)


def densenet201(*, weights: Any = None, **kwargs: Any) -> DenseNet:
    """DenseNet-201: growth 32, blocks (6, 12, 48, 32), 64 stem channels."""
    return _densenet("densenet201", 32, (6, 12, 48, 32), 64, weights, kwargs)
