"""Ready-made networks by name: ``get_model('lenet5')``, ``list_models()``.

Registered models (aliases in brackets):

* ``lenet5`` [``lenet``, ``lenet-5``]: ``LeNet5``, the textbook LeNet for 28x28 MNIST
  (61,706 parameters); keyword arguments ``num_classes``, ``activation``, ``pool``,
  ``in_channels``.
* ``lenet5-classic`` [``lenet5-1998``, ``lenet-5-classic``]: ``LeNet5Classic``, the 1998 paper's
  network for 32x32 input (60,000 parameters, 340,908 connections); no arguments.

* torchvision's networks, key for key (a torchvision ``state_dict`` loads and gives the same
  outputs): ``alexnet``, ``vgg11``/``13``/``16``/``19`` and their ``-bn`` variants, ``googlenet``,
  ``resnet18``/``34``/``50``/``101``/``152``, ``densenet121``/``161``/``169``/``201``,
  ``mobilenet-v2``, ``squeezenet1-0``/``1-1``; same builder names and keyword arguments
  (``num_classes``...; ``weights`` must be None: see ``juanji.models._common``).
* the modern-CNN chapter at MNIST/CIFAR size (``juanji.models.small``): ``lenet5-bn``, ``nin``,
  ``vgg-small``, ``googlenet-small``, ``resnet18-small``, ``resnet20``/``32``/``56`` (He et al.'s
  CIFAR networks), ``densenet-small``; ``in_channels=1`` (28x28) or ``3`` (32x32).
* ``s2d-vgg``: ``S2DVGG``, the network of the Fashion-MNIST main job (space-to-depth stem, four
  BN convolutions at 14x14 and 7x7, global average pooling).

The building blocks of ``LeNet5Classic`` (``ScaledTanh``, ``Subsampling2d``, ``TableConv2d``,
``EuclideanRBF``, ``c3_connection_table``, ``digit_bitmaps``, ``map_loss``) live in
``juanji.models.lenet``.

Names are case-insensitive and ``_`` reads as ``-``. Every model has an ``input_size``
attribute ``(C, H, W)``: the image size it expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.models.alexnet import AlexNet, alexnet
from juanji.models.densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from juanji.models.googlenet import GoogLeNet, googlenet
from juanji.models.lenet import LeNet5, LeNet5Classic, map_loss
from juanji.models.mobilenet import MobileNetV2, mobilenet_v2
from juanji.models.resnet import ResNet, resnet18, resnet34, resnet50, resnet101, resnet152
from juanji.models.small import (
    S2DVGG,
    CifarResNet,
    DenseNetSmall,
    GoogLeNetSmall,
    LeNetBN,
    NiN,
    ResNet18Small,
    VGGSmall,
    resnet20,
    resnet32,
    resnet56,
    s2d_vgg_layers,
)
from juanji.models.squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from juanji.models.vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)
from juanji.nn.module import Module

_TORCHVISION = {
    "alexnet": alexnet, "vgg11": vgg11, "vgg11-bn": vgg11_bn, "vgg13": vgg13,
    "vgg13-bn": vgg13_bn, "vgg16": vgg16, "vgg16-bn": vgg16_bn, "vgg19": vgg19,
    "vgg19-bn": vgg19_bn, "googlenet": googlenet, "resnet18": resnet18, "resnet34": resnet34,
    "resnet50": resnet50, "resnet101": resnet101, "resnet152": resnet152,
    "densenet121": densenet121, "densenet161": densenet161, "densenet169": densenet169,
    "densenet201": densenet201, "mobilenet-v2": mobilenet_v2, "squeezenet1-0": squeezenet1_0,
    "squeezenet1-1": squeezenet1_1,
}
_SMALL = {
    "lenet5-bn": LeNetBN, "nin": NiN, "vgg-small": VGGSmall, "googlenet-small": GoogLeNetSmall,
    "resnet18-small": ResNet18Small, "resnet20": resnet20, "resnet32": resnet32,
    "resnet56": resnet56, "densenet-small": DenseNetSmall, "s2d-vgg": S2DVGG,
}

__all__ = [
    "VGG", "AlexNet", "CifarResNet", "DenseNet", "DenseNetSmall", "GoogLeNet",
    "GoogLeNetSmall", "LeNet5", "LeNet5Classic", "LeNetBN", "MobileNetV2", "NiN", "ResNet",
    "ResNet18Small", "S2DVGG", "SqueezeNet", "VGGSmall", "alexnet", "densenet121", "densenet161",
    "densenet169", "densenet201", "get_model", "googlenet", "list_models", "map_loss",
    "mobilenet_v2", "resnet18", "resnet20", "resnet32", "resnet34", "resnet50", "resnet56",
    "resnet101", "resnet152", "s2d_vgg_layers", "squeezenet1_0", "squeezenet1_1", "vgg11",
    "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
]

# name -> constructor; the first name of each model is its canonical one (list_models order).
_MODELS: dict[str, Callable[..., Module]] = {
    "lenet5": LeNet5,
    "lenet5-classic": LeNet5Classic,
    **_SMALL,
    **_TORCHVISION,
}
_ALIASES = {
    "lenet": "lenet5",
    "lenet-5": "lenet5",
    "lenet5-1998": "lenet5-classic",
    "lenet-5-classic": "lenet5-classic",
}


def _canonical(name: str) -> str | None:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    return key if key in _MODELS else None


def list_models() -> list[str]:
    """The canonical names of the registered models, in registration order.

    Example:
        >>> list_models()[:4]
        ['lenet5', 'lenet5-classic', 'lenet5-bn', 'nin']
    """
    return list(_MODELS)


def get_model(name: str, **kwargs: Any) -> Module:
    """Build the registered model ``name`` with ``kwargs`` passed to its constructor.

    Args:
        name: a name from ``list_models()`` or an alias (case-insensitive; ``_`` = ``-``).
        **kwargs: constructor arguments, e.g. ``num_classes=10``.

    Returns:
        A new model with freshly initialised parameters.

    Raises:
        ValueError: an unknown name (the message lists the known ones).

    Example:
        >>> model = get_model("LeNet-5", activation="sigmoid", pool="avg")
        >>> type(model).__name__, model.input_size
        ('LeNet5', (1, 28, 28))
    """
    key = _canonical(name) if isinstance(name, str) else None
    if key is None:
        raise ValueError(
            f"get_model: unknown model {name!r}; known models: {', '.join(list_models())}"
        )
    return _MODELS[key](**kwargs)
