"""LeNet-5 twice: the textbook network for 28x28 MNIST, and the 1998 network as published.

``LeNet5`` is the layout most courses (and the notes) build: two 5x5 convolutions with 2x2
pooling, then three dense layers; 61,706 parameters. ``LeNet5Classic`` is the network of LeCun,
Bottou, Bengio and Haffner, "Gradient-based learning applied to document recognition", Proc.
IEEE 86(11), 1998, with the parts that frameworks usually drop: trainable subsampling, the
partial connection table of C3, the scaled tanh and the fixed RBF output; 60,000 parameters.
"""

from __future__ import annotations

from typing import Any

import juanji.nn as nn
from juanji.tensor import Tensor

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _choice(owner: str, name: str, value: Any, choices: dict[str, Any]) -> Any:
    if value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{owner}: {name} must be one of {expected}, got {value!r}")
    return choices[value]


class LeNet5(nn.Module):
    """The textbook LeNet for 28x28 digits (d2l's layout; the notes' "LeNet").

    Two convolution blocks extract features, three dense layers classify::

        input     1 x 28 x 28
        conv 5x5, pad 2      -> 6 x 28 x 28     156 params
        activation, pool 2   -> 6 x 14 x 14
        conv 5x5             -> 16 x 10 x 10    2,416 params
        activation, pool 2   -> 16 x 5 x 5
        flatten              -> 400
        dense                -> 120             48,120 params
        dense                -> 84              10,164 params
        dense                -> 10              850 params      total 61,706

    The 1998 paper's network differs (32x32 input, no padding, partial C3, RBF output): see
    ``LeNet5Classic``. Here the padding of 2 keeps 28x28 MNIST at the size the paper fed its
    first layer, and the output is 10 logits for ``F.cross_entropy``.

    The layers live in two ``Sequential`` blocks, as torchvision's AlexNet and VGG, so the
    ``state_dict`` keys are stable and PyTorch's: ``features.0`` and ``features.3`` are the
    convolutions, ``classifier.0``, ``.2``, ``.4`` the dense layers (activations and pools have
    no parameters and take the other indices). The same two ``nn.Sequential`` blocks in PyTorch
    have the same keys, so a PyTorch LeNet's weights load into this one and back.

    Args:
        num_classes: number of outputs. Default: 10.
        activation: ``'relu'`` (default: trains fast) or ``'sigmoid'`` (the textbook's).
        pool: ``'max'`` (default) or ``'avg'`` (the textbook's), 2x2 with stride 2.
        in_channels: channels of the input image. Default: 1 (grayscale).

    Attributes:
        input_size: ``(in_channels, 28, 28)``, the image size the network expects (tools such
            as ``juanji summary`` feed it).
        features: the convolution blocks.
        classifier: the dense layers.

    Shape:
        - Input: ``(N, in_channels, 28, 28)``
        - Output: ``(N, num_classes)``, logits

    Example:
        >>> import juanji
        >>> model = LeNet5()
        >>> sum(p.numel() for p in model.parameters())
        61706
        >>> model(juanji.zeros(2, 1, 28, 28)).shape
        (2, 10)
        >>> for key, value in model.state_dict().items():
        ...     if key.endswith("weight"):
        ...         print(key, value.shape)
        features.0.weight (6, 1, 5, 5)
        features.3.weight (16, 6, 5, 5)
        classifier.0.weight (120, 400)
        classifier.2.weight (84, 120)
        classifier.4.weight (10, 84)
    """

    def __init__(
        self,
        num_classes: int = 10,
        activation: str = "relu",
        pool: str = "max",
        in_channels: int = 1,
    ) -> None:
        super().__init__()
        act = _choice("LeNet5", "activation", activation, _ACTIVATIONS)
        pool_layer = _choice("LeNet5", "pool", pool, _POOLS)
        self.input_size = (in_channels, 28, 28)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),
            act(),
            pool_layer(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            act(),
            pool_layer(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            act(),
            nn.Linear(120, 84),
            act(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits for a batch of images (see the class docstring)."""
        return self.classifier(self.features(x).flatten(1))
