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
        """Standard deviation: the square root of ``var``."""
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

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
        if self._data.size == 0:
            raise RuntimeError(f"{name}(): expected a non-empty tensor")
        if dim is None:
            return self._apply(reduce.MaxAll, self, largest=largest)
        values, indices = self._apply(
            reduce.MaxDim,
            self,
            dim=dim_index(dim, self.ndim, name),
            keepdim=keepdim,
            largest=largest,
        )
        return MaxResult(values, indices)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Self:
        """Largest values over ``dim`` (values only)."""
        if dim is None:
            return self.max()
        dims = dim_tuple(dim, self.ndim, "amax")
        out = self
        for d in sorted(dims or (), reverse=True):
            out = out.max(d, keepdim=keepdim).values
        return out

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

    def norm(self, p: Scalar = 2, dim: Any = None, keepdim: bool = False) -> Self:
        """The p-norm over ``dim`` (p = 1, 2 or any positive number)."""
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == 2:
            return (self * self).sum(dim, keepdim).sqrt()
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def all(self, dim: int | None = None) -> Self:
        """True where every element is non-zero (over ``dim`` or all)."""
        axis = None if dim is None else dim_index(dim, self.ndim, "all")
        return self._wrap(xp_of(self._data).asarray(self._data.astype(bool).all(axis=axis)))

    def any(self, dim: int | None = None) -> Self:
        """True where some element is non-zero (over ``dim`` or all)."""
        axis = None if dim is None else dim_index(dim, self.ndim, "any")
        return self._wrap(xp_of(self._data).asarray(self._data.astype(bool).any(axis=axis)))
