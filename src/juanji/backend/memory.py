"""The memory budget: the largest temporary work array one op may build at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_memory_budget = 256 * 2**20


def set_memory_budget(nbytes: int) -> None:
    """Set the largest temporary work array one op may build at once, in bytes.

    Convolution lowers to a matrix product over its im2col matrix, which holds about
    ``prod(kernel_size) / prod(stride)`` copies of the input; when that matrix would pass the
    budget it is built and multiplied in slabs (rows of the output, then samples), with the same
    results, so a large batch or image never exhausts memory. Default: 256 MiB.
    ``memory_budget`` sets it for a ``with`` block.

    Raises:
        ValueError: ``nbytes`` is not a positive int.
    """
    global _memory_budget
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < 1:
        raise ValueError(f"set_memory_budget: nbytes expected a positive int, got {nbytes!r}")
    _memory_budget = nbytes


def get_memory_budget() -> int:
    """The current work-array budget in bytes (see ``set_memory_budget``)."""
    return _memory_budget


@contextlib.contextmanager
def memory_budget(nbytes: int) -> Iterator[None]:
    """Use ``set_memory_budget(nbytes)`` inside a ``with`` block, then restore the old budget.

    Example:
        >>> with memory_budget(2**20):
        ...     get_memory_budget()
        1048576
    """
    previous = get_memory_budget()
    set_memory_budget(nbytes)
    try:
        yield
    finally:
        set_memory_budget(previous)
