"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, like PyTorch's. Inside ``no_grad`` no graph is
recorded: results have ``requires_grad=False`` and ops skip saving what backward would need.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_enabled = True


def is_grad_enabled() -> bool:
    """Return whether operations are currently recorded for backward."""
    return _enabled


class _GradMode:
    """Base for the three grad-mode switches; subclasses set ``_mode`` in ``__init__``."""

    _mode = True

    def __enter__(self) -> None:
        global _enabled
        self._previous = _enabled
        _enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self._previous

    def __call__(self, func: F) -> F:
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator that turns graph recording off.

    Example:
        >>> with no_grad():
        ...     print(is_grad_enabled())
        False
    """

    _mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator that turns graph recording on (e.g. inside ``no_grad``)."""

    _mode = True


class set_grad_enabled(_GradMode):  # noqa: N801 - PyTorch's name
    """Turn recording on or off: ``set_grad_enabled(False)`` also works as a plain call."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        self._mode = bool(mode)
        self._previous = _enabled
        _enabled = self._mode  # takes effect at once, as in PyTorch

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self._previous


class inference_mode(no_grad):  # noqa: N801 - PyTorch's name
    """Same as ``no_grad`` in juanji (there is no separate inference tensor kind)."""
