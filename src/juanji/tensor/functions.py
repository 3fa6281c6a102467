"""Top-level functions that PyTorch code calls as ``torch.<name>``: ``cat``, ``argmax``, ``sin``...

Most are the Tensor method of the same name; ``cat`` and ``stack`` take several tensors and so
live only here. The second half holds what real scripts and the d2l library bind at import:
trigonometric and hyperbolic functions, comparisons as functions (``torch.eq``), axis swaps,
``meshgrid`` and ``normal``. Kept apart from ``creation`` (which makes new tensors) and
``tensor`` (the class).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji import _dtype
from juanji._ops import movement
from juanji.random import Generator, numpy_rng, sample
from juanji.tensor._args import check_sizes as _check_sizes
from juanji.tensor._args import dim_index as _dim
from juanji.tensor._args import operand
from juanji.tensor._args import shape_args as _shape_args
from juanji.tensor._checks import check_comparable
from juanji.tensor._size import Size
from juanji.tensor.tensor import Tensor, _promote_pair, where

__all__ = [
    "cat",
    "concat",
    "concatenate",
    "stack",
    "where",
    "exp",
    "log",
    "sqrt",
    "abs",
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "maximum",
    "minimum",
    "matmul",
    "mm",
    "bmm",
    "flatten",
    "reshape",
    "transpose",
    "permute",
    "squeeze",
    "unsqueeze",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "clamp",
    "clip",
    "allclose",
    "equal",
    "numel",
    "logsumexp",
    "var",
    "std",
    "flip",
    "sign",
    "square",
    "pow",
    "chunk",
    "split",
    "isclose",
    "norm",
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


def _tensors(tensors: Sequence[Tensor], fn: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:  # PyTorch: ValueError from cat, RuntimeError from stack
        error = RuntimeError if fn == "stack" else ValueError
        raise error(f"{fn}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: element {i} is {type(t).__name__}, expected a Tensor")
    # Cast all to the common dtype (PyTorch promotes in cat).
    common = tensors[0]
    for t in tensors[1:]:
        common, _ = _promote_pair(common, t)
    return [t if t._data.dtype == common._data.dtype else t.to(common.dtype) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension.

    Example:
        >>> from juanji.tensor.creation import tensor
        >>> cat([tensor([1, 2]), tensor([3])])
        tensor([1, 2, 3])
    """
    items = _tensors(tensors, "cat")
    for i, t in enumerate(items):
        if t.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    if any(t.shape != (0,) for t in items):  # PyTorch's legacy rule: 1-D empty tensors are skipped
        items = [t for t in items if t.shape != (0,)]
    d = _dim(dim, items[0].ndim, "cat")
    reference = items[0].shape
    for i, t in enumerate(items):
        if (
            t.ndim != len(reference)
            or t.shape[:d] + t.shape[d + 1 :] != reference[:d] + reference[d + 1 :]
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {d}: tensor 0 has shape "
                f"{reference}, tensor {i} has shape {t.shape}"
            )
    return Tensor._apply(movement.Cat, *items, dim=d)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dimension."""
    items = _tensors(tensors, "stack")
    for i, t in enumerate(items):
        if t.shape != items[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {items[0].shape} at "
                f"entry 0 and {t.shape} at entry {i}"
            )
    return Tensor._apply(movement.Stack, *items, dim=_dim(dim, items[0].ndim + 1, "stack"))


def exp(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``e ** x``."""
    return input.exp()


def log(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise natural logarithm."""
    return input.log()


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise square root."""
    return input.sqrt()


def abs(input: Tensor) -> Tensor:  # noqa: A001, A002
    """Elementwise absolute value."""
    return input.abs()


def sign(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise sign."""
    return input.sign()


def square(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise square."""
    return input.square()


def pow(input: Tensor, exponent: Any) -> Tensor:  # noqa: A001, A002
    """``input ** exponent``."""
    return input**exponent


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    """Sum over ``dim``."""
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A002
    """Mean over ``dim``."""
    return input.mean(dim, keepdim, dtype=dtype)


def var(input: Tensor, dim: Any = None, keepdim: bool = False, *, correction: int = 1) -> Tensor:  # noqa: A002
    """Variance over ``dim``."""
    return input.var(dim, keepdim, correction=correction)


def std(input: Tensor, dim: Any = None, keepdim: bool = False, *, correction: int = 1) -> Tensor:  # noqa: A002
    """Standard deviation over ``dim``."""
    return input.std(dim, keepdim, correction=correction)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Largest element, ``(values, indices)`` along ``dim``, or ``maximum`` of two tensors."""
    return input.max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Smallest element, ``(values, indices)`` along ``dim``, or ``minimum`` of two tensors."""
    return input.min(dim, keepdim)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Largest values over ``dim`` (all when ``()``); ties share the gradient evenly."""
    return input.amax(dim, keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Smallest values over ``dim`` (all when ``()``); ties share the gradient evenly."""
    return input.amin(dim, keepdim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the largest element."""
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the smallest element."""
    return input.argmin(dim, keepdim)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise maximum."""
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise minimum."""
    return input.minimum(other)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Matrix product (``@``)."""
    return input.matmul(other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Product of two matrices (2-D only)."""
    return input.mm(mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product of two 3-D tensors."""
    return input.bmm(mat2)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """``log(sum(exp(x)))`` over ``dim``."""
    return input.logsumexp(dim, keepdim)


def norm(input: Tensor, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The p-norm."""
    return input.norm(p, dim, keepdim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge dimensions ``start_dim..end_dim``."""
    return input.flatten(start_dim, end_dim)


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:  # noqa: A002
    """Same elements, new shape."""
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """Swap two dimensions."""
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """Reorder dimensions."""
    return input.permute(dims)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """Remove size-1 dimensions."""
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Insert a size-1 dimension."""
    return input.unsqueeze(dim)


def flip(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """Reverse along ``dims``."""
    return input.flip(dims)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into ``chunks`` pieces."""
    return input.chunk(chunks, dim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of the given size(s)."""
    return tensor.split(split_size_or_sections, dim)


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """``max(x, 0)``."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic sigmoid."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Softmax along ``dim``."""
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Log-softmax along ``dim``."""
    return input.log_softmax(dim)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    """Clip into ``[min, max]``."""
    return input.clamp(min, max)


clip = clamp


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,  # noqa: A002
    equal_nan: bool = False,
) -> bool:
    """True if the tensors are elementwise close."""
    return input.allclose(other, rtol, atol, equal_nan)


def isclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,  # noqa: A002
    equal_nan: bool = False,
) -> Tensor:
    """Elementwise closeness as a bool tensor (same dtype, broadcastable shapes)."""
    import numpy as np  # noqa: PLC0415

    check_comparable("isclose", input, other)
    return Tensor(
        np.isclose(
            input._data,
            other._data if isinstance(other, Tensor) else other,
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
        )
    )


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True if same shape and same elements."""
    return input.equal(other)


def numel(input: Tensor) -> int:  # noqa: A002
    """Number of elements."""
    return input.numel()


# ------------------------------------------- what scripts bind at import (trig, compare, axes)
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
