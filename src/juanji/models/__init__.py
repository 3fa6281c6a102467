"""Ready-made networks by name: ``get_model('lenet5')``, ``list_models()``.

Registered models (aliases in brackets):

* ``lenet5`` [``lenet``, ``lenet-5``]: ``LeNet5``, the textbook LeNet for 28x28 MNIST
  (61,706 parameters); keyword arguments ``num_classes``, ``activation``, ``pool``,
  ``in_channels``.

Names are case-insensitive and ``_`` reads as ``-``. Every model has an ``input_size``
attribute ``(C, H, W)``: the image size it expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.models.lenet import LeNet5
from juanji.nn.module import Module

__all__ = ["LeNet5", "get_model", "list_models"]

# name -> constructor; the first name of each model is its canonical one (list_models order).
_MODELS: dict[str, Callable[..., Module]] = {
    "lenet5": LeNet5,
}
_ALIASES = {
    "lenet": "lenet5",
    "lenet-5": "lenet5",
}


def _canonical(name: str) -> str | None:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    return key if key in _MODELS else None


def list_models() -> list[str]:
    """The canonical names of the registered models, in registration order.

    Example:
        >>> list_models()
        ['lenet5']
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
