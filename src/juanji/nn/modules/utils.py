"""``torch.nn.modules.utils``: ``_pair`` and its kin, which layers import to normalise sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

__all__: list[str] = []


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple[Any, ...]]:
    """A function that returns an iterable as a tuple and repeats anything else ``n`` times.

    Example:
        >>> _pair(3), _pair((1, 2)), _triple(0)
        ((3, 3), (1, 2), (0, 0, 0))
    """

    def parse(x: Any) -> tuple[Any, ...]:
        if isinstance(x, Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
