"""What torchvision's model builders share: the ``weights=`` rule and ``_make_divisible``."""

from __future__ import annotations

from typing import Any


def check_weights(builder: str, weights: Any, kwargs: dict[str, Any]) -> None:
    """Accept ``weights=None`` (and torchvision's ``progress=``); refuse pretrained weights.

    juanji cannot download torchvision's weight files (no network to its hub here, and no
    pickle loader for arbitrary code); a state_dict saved locally loads into the same model.
    """
    kwargs.pop("progress", None)
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
