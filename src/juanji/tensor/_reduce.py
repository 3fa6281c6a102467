"""Tensor methods that reduce dimensions: sum, mean, var/std, max/min, argmax, logsumexp, norm.

A group of ``Tensor`` methods kept in its own file to keep ``tensor.py`` readable; ``Tensor``
inherits them. Tie rules are PyTorch's and are documented on ``_ops.reduce``.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji._ops import reduce
from juanji.backend import xp_of
from juanji.tensor._args import dim_index, dim_tuple
from juanji.tensor._base import Scalar, TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self

MaxResult = namedtuple("MaxResult", ["values", "indices"])


class ReduceMethods(TensorBase):
    """Reductions over one, several or all dimensions."""

    __slots__ = ()

    def sum(
        self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None
    ) -> Self:
        """Sum over ``dim`` (an int, a tuple, or None for all elements); ``axis`` is an alias."""
        dim = axis if axis is not None else dim
        source = self.to(dtype) if dtype is not None else self
        return self._apply(
            reduce.Sum, source, dim=dim_tuple(dim, self.ndim, "sum"), keepdim=keepdim
        )

    def mean(
        self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None
    ) -> Self:
        """Mean over ``dim`` (floating-point tensors only, as in PyTorch); ``axis`` is an alias."""
        dim = axis if axis is not None else dim
        source = self.to(dtype) if dtype is not None else self
        if source._data.dtype.kind != "f":
            raise RuntimeError(
                f"mean: input dtype should be floating point, got {source.dtype}; "
                "use .float().mean() or mean(dtype=juanji.float32)"
            )
        return self._apply(
            reduce.Mean, source, dim=dim_tuple(dim, self.ndim, "mean"), keepdim=keepdim
        )

    def var(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        correction: int = 1,
        unbiased: bool | None = None,
    ) -> Self:
        """Variance over ``dim`` with Bessel's correction by default (``correction=1``)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims = dim_tuple(dim, self.ndim, "var")
        count = self.numel() if dims is None else int(np.prod([self.shape[d] for d in dims]))
        centred = self - self.mean(dim=dims, keepdim=True)
        return (centred * centred).sum(dim=dims, keepdim=keepdim) / max(count - correction, 0)

    def std(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        correction: int = 1,
        unbiased: bool | None = None,
    ) -> Self:
        """Standard deviation: the square root of ``var`` (gradient 0 where it is 0)."""
        variance = self.var(dim, keepdim, correction=correction, unbiased=unbiased)
        return self._apply(reduce.StdOfVar, variance)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element, or ``(values, indices)`` along ``dim``, or ``maximum(other)``."""
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element, or ``(values, indices)`` along ``dim``, or ``minimum(other)``."""
        return self._extreme(dim, keepdim, largest=False)

    def _extreme(self, dim: Any, keepdim: bool, largest: bool) -> Any:
        if isinstance(dim, ReduceMethods):  # max(other_tensor): the elementwise maximum
            return self.maximum(dim) if largest else self.minimum(dim)
        name = "max" if largest else "min"
        if dim is None:
            _check_reducible(self, None, name, RuntimeError)
            return self._apply(reduce.Extreme, self, largest=largest)
        axis = dim_index(dim, self.ndim, name)
        _check_reducible(self, (axis,), name, IndexError)
        source = self if self.ndim else self.reshape(1)  # a 0-d tensor: itself, at index 0
        values, indices = self._apply(
            reduce.MaxDim, source, dim=axis, keepdim=keepdim and self.ndim > 0, largest=largest
        )
        return MaxResult(values, indices)

    def amax(self, dim: Any = (), keepdim: bool = False) -> Self:
        """Largest values over ``dim`` (all when ``()`` or None); ties share the gradient."""
        return self._amax(dim, keepdim, largest=True)

    def amin(self, dim: Any = (), keepdim: bool = False) -> Self:
        """Smallest values over ``dim`` (all when ``()`` or None); ties share the gradient."""
        return self._amax(dim, keepdim, largest=False)

    def _amax(self, dim: Any, keepdim: bool, largest: bool) -> Self:
        name = "amax" if largest else "amin"
        dims = dim_tuple(dim, self.ndim, name)
        _check_reducible(self, dims, name, RuntimeError if dims is None else IndexError)
        return self._apply(reduce.Extreme, self, dim=dims, keepdim=keepdim, largest=largest)

    def argmax(
        self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
    ) -> Self:
        """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(axis if axis is not None else dim, keepdim, "argmax")

    def argmin(
        self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
    ) -> Self:
        """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(axis if axis is not None else dim, keepdim, "argmin")

    def _arg(self, dim: int | None, keepdim: bool, name: str) -> Self:
        data = self._data
        if data.dtype == bool:
            raise RuntimeError(f"{name}(): does not support bool input")
        axes = None if dim is None else (dim_index(dim, data.ndim, name),)
        _check_reducible(self, axes, name, IndexError)
        if dim is None:
            out = getattr(data.reshape(-1), name)()
            return self._wrap(
                xp_of(data)
                .asarray(out, dtype=np.int64)
                .reshape((1,) * data.ndim if keepdim else ())
            )
        axis = dim_index(dim, data.ndim, name)
        out = getattr(data, name)(axis=axis, keepdims=keepdim)
        return self._wrap(out.astype(np.int64, copy=False))

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Self:
        """``log(sum(exp(x)))`` over ``dim``, without overflow."""
        return self._apply(
            reduce.LogSumExp,
            self._float(),
            dim=dim_tuple(dim, self.ndim, "logsumexp"),
            keepdim=keepdim,
        )

    def norm(self, p: Scalar | str = 2, dim: Any = None, keepdim: bool = False) -> Self:
        """The vector p-norm over ``dim`` (all elements when None), as ``torch.norm``.

        ``p`` is a number (``inf``, ``-inf`` and 0 included) or ``'fro'`` (2). A zero vector's
        gradient is 0, as in PyTorch.
        """
        if p == "fro":
            p = 2
        if isinstance(p, str) or not isinstance(p, (int, float)) or isinstance(p, bool):
            raise RuntimeError(f"norm: p must be a number or 'fro', got {p!r}")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"norm: expected a floating point tensor as input, got {self.dtype}")
        dims = dim_tuple(dim, self.ndim, "norm")
        if abs(p) == float("inf") and _reduced_size(self, dims) == 0:
            raise RuntimeError(
                "norm: cannot compute the inf norm on an empty tensor because the operation "
                "does not have an identity"
            )
        return self._apply(reduce.Norm, self, p=float(p), dim=dims, keepdim=keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Self:
        """True where every element is non-zero (over ``dim``, an int or tuple, or all)."""
        axes = dim_tuple(dim, self.ndim, "all")
        truth = self._data.astype(bool).all(axis=axes, keepdims=keepdim)
        return self._wrap(xp_of(self._data).asarray(truth))

    def any(self, dim: Any = None, keepdim: bool = False) -> Self:
        """True where some element is non-zero (over ``dim``, an int or tuple, or all)."""
        axes = dim_tuple(dim, self.ndim, "any")
        truth = self._data.astype(bool).any(axis=axes, keepdims=keepdim)
        return self._wrap(xp_of(self._data).asarray(truth))


def _reduced_size(tensor: TensorBase, dims: tuple[int, ...] | None) -> int:
    """How many elements each output of a reduction over ``dims`` (None: all) combines."""
    if dims is None:
        return tensor._data.size
    return int(np.prod([tensor.shape[d] for d in dims]))


def _check_reducible(
    tensor: TensorBase, dims: tuple[int, ...] | None, name: str, error: type[Exception]
) -> None:
    """PyTorch's errors for a max/min/argmax over nothing (an empty tensor or dimension)."""
    if tensor._data.size > 0:
        return
    if dims is None:
        raise error(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    for d in dims:
        if tensor.shape[d] == 0:
            raise error(f"{name}(): Expected reduction dim {d} to have non-zero size.")
