"""Argument validators for the public functions, one per kind of argument.

Every message has the shape ``"<function>: <argument> <expected>, got <actual>"`` so that a user
sees which call, which argument, what was wanted and what was given. Validation happens once,
here at the public boundary; the ``_ops`` below assume valid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.tensor.tensor import Tensor


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_tensor(fn: str, name: str, value: Any, *, optional: bool = False) -> None:
    """Raise ``TypeError`` unless ``value`` is a Tensor (or None when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(value).__name__}")


def check_float(fn: str, name: str, value: Tensor) -> None:
    """Raise ``TypeError`` unless ``value`` holds floating-point numbers."""
    if not value.is_floating_point():
        raise TypeError(
            f"{fn}: {name} must be a floating-point tensor, got dtype {value.dtype} "
            f"(convert with .float())"
        )


def check_same_dtype(fn: str, **tensors: Tensor | None) -> None:
    """Raise ``TypeError`` unless all given tensors share one dtype (like PyTorch's conv)."""
    given = {name: t for name, t in tensors.items() if t is not None}
    dtypes = {t.dtype for t in given.values()}
    if len(dtypes) > 1:
        listing = ", ".join(f"{name} is {t.dtype}" for name, t in given.items())
        raise TypeError(f"{fn}: expected all tensors to have the same dtype, but {listing}")


def check_ndim(fn: str, name: str, value: Tensor, allowed: Sequence[int], layout: str) -> None:
    """Raise ``ValueError`` unless ``value.ndim`` is in ``allowed``; ``layout`` names the axes.

    Example message: ``conv2d: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got 2-D shape
    (5, 5)``.
    """
    if value.ndim not in allowed:
        raise ValueError(f"{fn}: {name} must be {layout}, got {value.ndim}-D shape {value.shape}")


def int_tuple(fn: str, name: str, value: Any, n: int, *, minimum: int = 1) -> tuple[int, ...]:
    """Normalise an int or a length-``n`` sequence of ints, each ``>= minimum``.

    Example:
        >>> int_tuple("conv2d", "stride", 2, 2)
        (2, 2)
        >>> int_tuple("conv2d", "stride", (1, 0), 2)
        Traceback (most recent call last):
        ...
        ValueError: conv2d: stride must be >= 1 in every dimension, got (1, 0)
    """
    if _is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and all(_is_int(v) for v in value):
        if len(value) == 1:
            values = (int(value[0]),) * n
        elif len(value) != n:
            raise ValueError(
                f"{fn}: {name} must be an int or a tuple of {n} ints, got {tuple(value)} "
                f"({len(value)} values)"
            )
        else:
            values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{fn}: {name} must be >= {minimum} in every dimension, got {values}")
    return values


def check_choice(fn: str, name: str, value: Any, choices: Sequence[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{fn}: {name} must be one of {options}, got {value!r}")


def check_probability(fn: str, name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1] or raise ``ValueError``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{fn}: {name} must be a probability between 0 and 1, got {value!r}")
    return float(value)
