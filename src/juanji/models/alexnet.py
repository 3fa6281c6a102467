"""AlexNet (Krizhevsky et al., 2012) as torchvision builds it: same modules, keys and counts.

torchvision's version is the single-GPU variant of the paper (64-192-384-256-256 channels, no
local response normalisation) with an adaptive 6x6 average pool before the classifier, so any
input of at least 63x63 works; ``alexnet()`` has 61,100,840 parameters.
"""

from __future__ import annotations

from typing import Any

import juanji.nn as nn
from juanji.models._common import check_weights
from juanji.tensor.functions import flatten
from juanji.tensor.tensor import Tensor

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet: five convolutions, three max pools, three fully connected layers.

    Example:
        >>> import juanji
        >>> model = AlexNet(num_classes=10)
        >>> model(juanji.zeros(1, 3, 224, 224)).shape
        (1, 10)
    """

    input_size = (3, 224, 224)

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def alexnet(*, weights: Any = None, **kwargs: Any) -> AlexNet:
    """Torchvision's ``alexnet``: ``AlexNet(**kwargs)``; ``weights`` must be None (see _common)."""
    check_weights("alexnet", weights, kwargs)
    return AlexNet(**kwargs)
