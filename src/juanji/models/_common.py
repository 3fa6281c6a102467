"""What torchvision's model builders share: the ``weights=`` rule and ``_make_divisible``."""

from __future__ import annotations

import sys
import warnings
from typing import Any

# torchvision's weight-enum class of each builder family, for its deprecation messages.
_ENUM_PREFIXES = {
    "alexnet": "AlexNet",
    "googlenet": "GoogLeNet",
    "mobilenet_v2": "MobileNet_V2",
    "resnet": "ResNet",
    "densenet": "DenseNet",
    "squeezenet": "SqueezeNet",
    "vgg": "VGG",
}


def _weights_enum(builder: str) -> str:
    """``'ResNet18_Weights'`` for ``'resnet18'``: torchvision's name for the builder's weights."""
    for prefix, name in _ENUM_PREFIXES.items():
        if builder.startswith(prefix):
            return name + builder[len(prefix) :].upper().replace("VGG", "") + "_Weights"
    return f"{builder}_Weights"


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside juanji.models."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("juanji.models"):
        level, frame = level + 1, frame.f_back
    return level


def _legacy_pretrained(builder: str, weights: Any, kwargs: dict[str, Any]) -> Any:
    """Torchvision's deprecated ``pretrained=``: its two UserWarnings, then the weights it means.

    ``pretrained=False`` is ``weights=None``; ``pretrained=True`` asks for the default
    ImageNet weights, which ``check_weights`` then refuses.
    """
    if "pretrained" not in kwargs or weights is not None:
        return weights
    pretrained = kwargs.pop("pretrained")
    enum = _weights_enum(builder)
    level = _caller_stacklevel()
    warnings.warn(
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
        "please use 'weights' instead.",
        UserWarning,
        stacklevel=level,
    )
    equivalent = f"{enum}.IMAGENET1K_V1" if pretrained else "None"
    message = (
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
        "and may be removed in the future. The current behavior is equivalent to passing "
        f"`weights={equivalent}`."
    )
    if pretrained:
        message += f" You can also use `weights={enum}.DEFAULT` to get the most up-to-date weights."
    warnings.warn(message, UserWarning, stacklevel=level)
    return equivalent if pretrained else None


def check_weights(builder: str, weights: Any, kwargs: dict[str, Any]) -> None:
    """Accept ``weights=None`` (and torchvision's ``progress=``); refuse pretrained weights.

    juanji cannot download torchvision's weight files (no network to its hub here, and no
    pickle loader for arbitrary code); a state_dict saved locally loads into the same model.
    The deprecated ``pretrained=`` keyword is accepted as torchvision accepts it, with its
    warnings: ``pretrained=False`` builds the model, ``pretrained=True`` raises as a weights
    request does.
    """
    kwargs.pop("progress", None)
    weights = _legacy_pretrained(builder, weights, kwargs)
    if weights is None:
        return
    raise ValueError(
        f"{builder}: weights={weights!r} cannot be downloaded by juanji; build "
        f"{builder}(weights=None) and load a local state_dict instead, e.g. "
        f"model.load_state_dict(juanji.load('{builder}.pth')) for a file written by "
        "torch.save(model.state_dict(), ...), or juanji.serialization.load_file for safetensors"
    )


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to a multiple of ``divisor``, never more than 10 % below it (MobileNet).

    Example:
        >>> make_divisible(32 * 0.75), make_divisible(1280 * 1.0), make_divisible(16 * 0.35)
        (24, 1280, 8)
    """
    min_value = divisor if min_value is None else min_value
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new
