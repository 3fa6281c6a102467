"""Padding layers for 1, 2 and 3 spatial dims, each a stored ``F.pad`` call.

``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``, ``ReplicationPad*`` and ``CircularPad*``.

``padding`` is an int (the same on every side) or PyTorch's flat tuple, last dimension first:
``(left, right)`` for 1-D, ``(left, right, top, bottom)`` for 2-D, and ``(left, right, top,
bottom, front, back)`` for 3-D. The modes are explained in ``juanji.nn.functional.pad``.
"""

from __future__ import annotations

from typing import Any

from juanji.nn.functional._checks import _is_int
from juanji.nn.functional.padding import pad
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class _PadNd(Module):
    """Pad the last S dims with ``mode``; subclasses fix S and the mode."""

    _spatial_dims: int
    _mode: str

    def __init__(self, padding: Any) -> None:
        super().__init__()
        owner, n = type(self).__name__, 2 * self._spatial_dims
        if _is_int(padding):
            self.padding = (int(padding),) * n
        elif (
            isinstance(padding, (tuple, list)) and len(padding) == n and all(map(_is_int, padding))
        ):
            self.padding = tuple(int(p) for p in padding)
        else:
            raise ValueError(
                f"{owner}: padding must be an int or a tuple of {n} ints, got {padding!r}"
            )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Pad ``input`` (see the class docstring)."""
        S = self._spatial_dims
        if self._mode != "constant" and getattr(input, "ndim", None) not in (S + 1, S + 2):
            raise ValueError(
                f"{type(self).__name__}: input must be {S + 1}-D or {S + 2}-D, got "
                f"{getattr(input, 'ndim', type(input).__name__)}-D"
            )
        if self._mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        """PyTorch's format: the padding tuple."""
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def extra_repr(self) -> str:
        """PyTorch's format: padding and value."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``; ``padding`` is an int or (left, right).

    Example:
        >>> import juanji
        >>> ConstantPad1d((1, 2), 9.0)(juanji.ones(1, 2)).tolist()
        [[9.0, 1.0, 1.0, 9.0, 9.0]]
    """

    _spatial_dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``; ``padding`` is an int or (left, right, top, bottom).

    Example:
        >>> import juanji
        >>> ConstantPad2d((0, 1, 1, 0), 2.0)(juanji.ones(1, 1, 1)).tolist()
        [[[2.0, 2.0], [1.0, 2.0]]]
    """

    _spatial_dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``; ``padding`` is an int or 6 ints (see module docs).

    Example:
        >>> import juanji
        >>> ConstantPad3d(1, 0.5)(juanji.ones(1, 1, 1, 1)).shape
        (1, 3, 3, 3)
    """

    _spatial_dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """PyTorch's format: the padding tuple."""
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros; ``padding`` is an int or (left, right).

    Example:
        >>> import juanji
        >>> ZeroPad1d((2, 0))(juanji.ones(1, 1)).tolist()
        [[0.0, 0.0, 1.0]]
    """

    _spatial_dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros; ``padding`` is an int or (left, right, top, bottom).

    Example:
        >>> import juanji
        >>> ZeroPad2d((1, 1, 2, 0))
        ZeroPad2d((1, 1, 2, 0))
        >>> ZeroPad2d((1, 1, 2, 0))(juanji.ones(1, 3, 3)).shape
        (1, 5, 5)
    """

    _spatial_dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last 3 dims with zeros; ``padding`` is an int or 6 ints (see module docs).

    Example:
        >>> import juanji
        >>> ZeroPad3d(1)(juanji.ones(1, 2, 2, 2)).shape
        (1, 4, 4, 4)
    """

    _spatial_dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last dim without repeating the edge; input ``(C, W)`` or ``(N, C, W)``.

    Example:
        >>> import juanji
        >>> ReflectionPad1d(2)(juanji.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """

    _spatial_dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last 2 dims; input ``(C, H, W)`` or ``(N, C, H, W)``; each pad < its dim.

    Example:
        >>> import juanji
        >>> ReflectionPad2d(1)(juanji.arange(4.0).reshape(1, 2, 2))[0].tolist()
        [[3.0, 2.0, 3.0, 2.0], [1.0, 0.0, 1.0, 0.0], [3.0, 2.0, 3.0, 2.0], [1.0, 0.0, 1.0, 0.0]]
    """

    _spatial_dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last 3 dims; input ``(C, D, H, W)`` or ``(N, C, D, H, W)``.

    Example:
        >>> import juanji
        >>> ReflectionPad3d(1)(juanji.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _spatial_dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge of the last dim; input ``(C, W)`` or ``(N, C, W)``.

    Example:
        >>> import juanji
        >>> ReplicationPad1d((1, 2))(juanji.tensor([[1.0, 2.0]])).tolist()
        [[1.0, 1.0, 2.0, 2.0, 2.0]]
    """

    _spatial_dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edges of the last 2 dims; input ``(C, H, W)`` or ``(N, C, H, W)``.

    Example:
        >>> import juanji
        >>> ReplicationPad2d(1)(juanji.ones(1, 2, 2)).shape
        (1, 4, 4)
    """

    _spatial_dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edges of the last 3 dims; input ``(C, D, H, W)`` or ``(N, C, D, H, W)``.

    Example:
        >>> import juanji
        >>> ReplicationPad3d(1)(juanji.ones(1, 1, 1, 1)).shape
        (1, 3, 3, 3)
    """

    _spatial_dims, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dim around; input ``(C, W)`` or ``(N, C, W)``; each pad <= its dim.

    Example:
        >>> import juanji
        >>> CircularPad1d(2)(juanji.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]]
    """

    _spatial_dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap the last 2 dims around; input ``(C, H, W)`` or ``(N, C, H, W)``.

    Example:
        >>> import juanji
        >>> CircularPad2d(1)(juanji.ones(1, 2, 2)).shape
        (1, 4, 4)
    """

    _spatial_dims, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap the last 3 dims around; input ``(C, D, H, W)`` or ``(N, C, D, H, W)``.

    Example:
        >>> import juanji
        >>> CircularPad3d(1)(juanji.ones(1, 1, 1, 1)).shape
        (1, 3, 3, 3)
    """

    _spatial_dims, _mode = 3, "circular"
