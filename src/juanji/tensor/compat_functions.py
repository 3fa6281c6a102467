"""More ``torch.<name>`` functions that real scripts and the d2l library bind at import.

Trigonometric and hyperbolic functions, comparisons as functions (``torch.eq``), axis swaps,
``meshgrid`` and ``normal``. Each is the Tensor method of the same name or a few lines on top.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji import _dtype
from juanji.random import Generator, numpy_rng, sample
from juanji.tensor._args import check_sizes as _check_sizes
from juanji.tensor._args import operand
from juanji.tensor._args import shape_args as _shape_args
from juanji.tensor._size import Size
from juanji.tensor.tensor import Tensor

__all__ = [
    "Size",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "less",
    "swapaxes",
    "swapdims",
    "movedim",
    "moveaxis",
    "t",
    "meshgrid",
    "normal",
    "is_floating_point",
    "log2",
    "log10",
    "masked_fill",
]


def sin(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise sine."""
    return input.sin()


def cos(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise cosine."""
    return input.cos()


def tan(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise tangent."""
    return input.tan()


def sinh(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise hyperbolic sine."""
    return input.sinh()


def cosh(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise hyperbolic cosine."""
    return input.cosh()


def asin(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise inverse sine."""
    return input.asin()


def acos(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise inverse cosine."""
    return input.acos()


def atan(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise inverse tangent."""
    return input.atan()


arcsin, arccos, arctan = asin, acos, atan


def log2(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise base-2 logarithm."""
    return input.log() / float(np.log(2.0))


def log10(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise base-10 logarithm."""
    return input.log() / float(np.log(10.0))


def _tensor_first(input: Any, other: Any, fn: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    return input


def eq(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input == other`` as a bool tensor."""
    return _tensor_first(input, other, "eq") == other


def ne(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input != other`` as a bool tensor."""
    return _tensor_first(input, other, "ne") != other


def lt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input < other`` as a bool tensor."""
    return _tensor_first(input, other, "lt") < other


def le(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input <= other`` as a bool tensor."""
    return _tensor_first(input, other, "le") <= other


def gt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input > other`` as a bool tensor."""
    return _tensor_first(input, other, "gt") > other


def ge(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input >= other`` as a bool tensor."""
    return _tensor_first(input, other, "ge") >= other


greater, less = gt, lt


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """Swap two dimensions."""
    return input.swapaxes(axis0, axis1)


swapdims = swapaxes


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Move dimension(s) ``source`` to ``destination``."""
    return input.movedim(source, destination)


moveaxis = movedim


def t(input: Tensor) -> Tensor:  # noqa: A002
    """Transpose a matrix."""
    return input.t()


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``value`` where ``mask`` is True."""
    return input.masked_fill(mask, value)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    """True for float16/32/64 tensors."""
    return input.is_floating_point()


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors; ``indexing='ij'`` (matrix) or ``'xy'`` (Cartesian).

    Outputs are broadcast views that stay in the graph. Without ``indexing`` PyTorch uses
    'ij' and warns that the default will change; juanji does the same.

    Example:
        >>> from juanji.tensor.creation import tensor
        >>> a, b = meshgrid(tensor([1, 2]), tensor([3, 4, 5]), indexing='ij')
        >>> a.shape, b[0].tolist()
        ((2, 3), [3, 4, 5])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument; 'ij' is used",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for i, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor) or tensor.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-D or 1-D tensors, argument {i} is not")
    items = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(items) >= 2
    if swap:
        items[0], items[1] = items[1], items[0]
    shape = tuple(t.shape[0] for t in items)
    grids = []
    for axis, tensor in enumerate(items):
        view = [1] * len(items)
        view[axis] = shape[axis]
        grids.append(tensor.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples from N(mean, std**2): ``mean``/``std`` tensors (broadcast) or floats with ``size``.

    Example:
        >>> normal(0.0, 1.0, size=(2, 3)).shape
        (2, 3)
    """
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with float mean and std, give size=, e.g. size=(2, 3)")
        shape = _shape_args((size,), "normal")
        np_dtype = _dtype.as_dtype(dtype or _dtype.get_default_dtype(), "normal").np_dtype
    else:
        if size is not None:
            raise TypeError("normal: size= is only for float mean and std")
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
        np_dtype = tensors[0]._data.dtype
    m, s = np.asarray(operand(mean)), np.asarray(operand(std))
    if (s < 0).any():
        raise RuntimeError(f"normal: std must be >= 0, got {s.min()}")
    if tensors:
        values = (numpy_rng(generator).standard_normal(shape) * s + m).astype(np_dtype)
    else:  # drawn in chunks into the result: no float64 copy of a float32 tensor
        _check_sizes(tuple(shape), np.dtype(np_dtype).itemsize, "normal")
        values = sample(generator, "normal", shape, np_dtype, loc=float(m), scale=float(s))
    out = Tensor(values)
    return out.requires_grad_(True) if requires_grad else out
