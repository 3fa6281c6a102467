"""``juanji.Size``: a tensor's shape, a tuple subclass as ``torch.Size`` (no other imports)."""

from __future__ import annotations

from typing import Any


class Size(tuple):
    """The shape of a tensor: a tuple of ints (``x.shape == (2, 3)`` holds), as ``torch.Size``.

    It prints as the plain tuple, ``(2, 3)`` (not ``torch.Size([2, 3])``): shapes appear in
    doctests, logs and error messages all over juanji, and read best that way; what real code
    needs from ``torch.Size`` is that it is a tuple with ``numel()`` whose slices stay Sizes.

    Example:
        >>> Size([2, 3])
        (2, 3)
        >>> Size([2, 3]).numel(), type(Size([2, 3, 4])[1:]).__name__
        (6, 'Size')
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        count = 1
        for n in self:
            count *= n
        return count

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))

    def __repr__(self) -> str:
        return tuple.__repr__(self)
