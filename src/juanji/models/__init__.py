"""Ready-made networks by name: ``get_model('lenet5')``, ``list_models()``.

Registered models (aliases in brackets):

* ``lenet5`` [``lenet``, ``lenet-5``]: ``LeNet5``, the textbook LeNet for 28x28 MNIST
  (61,706 parameters); keyword arguments ``num_classes``, ``activation``, ``pool``,
  ``in_channels``.
* ``lenet5-classic`` [``lenet5-1998``, ``lenet-5-classic``]: ``LeNet5Classic``, the 1998 paper's
  network for 32x32 input (60,000 parameters, 340,908 connections); no arguments.

The building blocks of ``LeNet5Classic`` (``ScaledTanh``, ``Subsampling2d``, ``TableConv2d``,
``EuclideanRBF``, ``c3_connection_table``, ``digit_bitmaps``, ``map_loss``) live in
``juanji.models.lenet``.

Names are case-insensitive and ``_`` reads as ``-``. Every model has an ``input_size``
attribute ``(C, H, W)``: the image size it expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.models.lenet import LeNet5, LeNet5Classic, map_loss
from juanji.nn.module import Module

__all__ = ["LeNet5", "LeNet5Classic", "get_model", "list_models", "map_loss"]

# name -> constructor; the first name of each model is its canonical one (list_models order).
_MODELS: dict[str, Callable[..., Module]] = {
    "lenet5": LeNet5,
    "lenet5-classic": LeNet5Classic,
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
        >>> list_models()
        ['lenet5', 'lenet5-classic']
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
