"""Tensor products and the reductions beyond the core set.

``dot``, ``outer``, ``addmm``, ``baddbmm``, ``prod``, ``nansum``, ``count_nonzero``, ``aminmax``,
``diff``...

Each composes differentiable methods (``matmul``, ``sum``, ``*``), so gradients need nothing new
but the product's Function (``_ops/pointwise.py``). ``add*`` forms follow PyTorch's rule that a
``beta`` of 0 ignores ``self`` (NaN in it does not spread).
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji._ops import movement, pointwise
from juanji.tensor._args import dim_index
from juanji.tensor._base import TensorBase
from juanji.tensor._pointwise import _inplace_of

if TYPE_CHECKING:
    from typing_extensions import Self

MinMax = namedtuple("MinMax", ["min", "max"])


def _check_dims(fn: str, **tensors: Any) -> None:
    for name, (tensor, ndim) in tensors.items():
        if tensor.ndim != ndim:
            raise RuntimeError(f"{fn}: {name} must be a {ndim}-D tensor, got {tensor.ndim}-D")


class ProductMethods(TensorBase):
    """Vector and matrix products, ``add*`` fused forms, products and NaN-aware reductions."""

    __slots__ = ()

    # ------------------------------------------------------------------ products
    def dot(self, other: Any) -> Self:
        """The inner product of two 1-D tensors of the same dtype and length."""
        _check_dims("dot", self=(self, 1), other=(other, 1))
        if self.dtype != other.dtype:
            raise RuntimeError(
                f"dot: expected both vectors to have same dtype, but found {self.dtype} "
                f"and {other.dtype}"
            )
        if self.shape != other.shape:
            raise RuntimeError(
                f"dot: inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                f"[{other.shape[0]}] to have the same number of elements"
            )
        product = self * other
        return product.sum() if self.is_floating_point() else product.sum(dtype=self.dtype)

    vdot = dot  # real tensors: no conjugation

    def inner(self, other: Any) -> Self:
        """Sum over the last dimensions: shape ``self.shape[:-1] + other.shape[:-1]``."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(
                f"inner: the last dimensions must match, got {self.shape[-1]} and {other.shape[-1]}"
            )
        k = self.shape[-1]
        flat = self.reshape(-1, k).matmul(other.reshape(-1, k).t())
        return flat.reshape(*self.shape[:-1], *other.shape[:-1])

    def outer(self, vec2: Any) -> Self:
        """The outer product of two 1-D tensors."""
        _check_dims("outer", self=(self, 1), vec2=(vec2, 1))
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def mv(self, vec: Any) -> Self:
        """Matrix times vector."""
        _check_dims("mv", self=(self, 2), vec=(vec, 1))
        return self.matmul(vec)

    def _fused(self, product: Any, beta: Any, alpha: Any) -> Self:
        scaled = product if alpha == 1 else product * alpha
        if beta == 0:  # self is ignored (its NaN too), but still broadcast
            return scaled + self._wrap(np.zeros(self.shape, self._data.dtype))
        return scaled + (self if beta == 1 else self * beta)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Self:
        """``beta * self + alpha * (mat1 @ mat2)``."""
        _check_dims("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
        return self._fused(mat1.matmul(mat2), beta, alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Self:
        """``beta * self + alpha * (mat @ vec)``."""
        _check_dims("addmv", mat=(mat, 2), vec=(vec, 1))
        return self._fused(mat.matmul(vec), beta, alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Self:
        """``beta * self + alpha * outer(vec1, vec2)``."""
        return self._fused(vec1.outer(vec2), beta, alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Self:
        """``beta * self + alpha * sum_i(batch1[i] @ batch2[i])``."""
        _check_dims("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
        return self._fused(batch1.bmm(batch2).sum(0), beta, alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Self:
        """``beta * self + alpha * (batch1 @ batch2)``, batch by batch."""
        _check_dims("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
        return self._fused(batch1.bmm(batch2), beta, alpha)

    addmm_, addmv_, addr_ = _inplace_of("addmm"), _inplace_of("addmv"), _inplace_of("addr")
    addbmm_, baddbmm_ = _inplace_of("addbmm"), _inplace_of("baddbmm")

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Self:
        """``self + value * tensor1 * tensor2``."""
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Self:
        """``self + value * tensor1 / tensor2``."""
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def lerp(self, end: Any, weight: Any) -> Self:
        """``self + weight * (end - self)``."""
        return self + (end - self) * weight

    def dist(self, other: Any, p: Any = 2) -> Self:
        """The ``p``-norm of ``self - other``."""
        return (self - other).norm(p)

    def kron(self, other: Any) -> Self:
        """The Kronecker product (block ``(i, j)`` is ``self[i, j] * other``)."""
        n = max(self.ndim, other.ndim)
        a = self.reshape(*(1,) * (n - self.ndim), *self.shape)
        b = other.reshape(*(1,) * (n - other.ndim), *other.shape)
        spread_a = a.reshape(*[s for size in a.shape for s in (size, 1)])
        spread_b = b.reshape(*[s for size in b.shape for s in (1, size)])
        return (spread_a * spread_b).reshape(
            *[x * y for x, y in zip(a.shape, b.shape, strict=True)]
        )

    def cross(self, other: Any, dim: int | None = None) -> Self:
        """The 3-D cross product along ``dim`` (the first dimension of size 3 if None)."""
        if self.shape != other.shape:
            raise RuntimeError(f"cross: shapes must match, got {self.shape} and {other.shape}")
        if dim is None:
            dim = next((d for d, size in enumerate(self.shape) if size == 3), None)
            if dim is None:
                raise RuntimeError("cross: no dimension of size 3 in input")
        d = dim_index(dim, self.ndim, "cross")
        if self.shape[d] != 3:
            raise RuntimeError(f"cross: dimension {d} does not have size 3")
        a, b = self.unbind(d), other.unbind(d)
        parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
        return self._apply(movement.Stack, *parts, dim=d)

    def renorm(self, p: Any, dim: int, maxnorm: Any) -> Self:
        """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm``, scaled down to it."""
        if p <= 0:
            raise RuntimeError(f"renorm: non-positive norm not supported, got p={p}")
        if maxnorm < 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
        if self.ndim <= 1:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.ndim}")
        d = dim_index(dim, self.ndim, "renorm")
        others = tuple(i for i in range(self.ndim) if i != d)
        norms = self.norm(p, others, keepdim=True)
        factor = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, norms.new_ones(()))
        return self * factor

    renorm_ = _inplace_of("renorm")

    # ------------------------------------------------------------------ reductions
    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Self:
        """The product of all elements, or along ``dim`` (integers and bools give int64)."""
        source = self if dtype is None else self.to(dtype)
        if source._data.dtype.kind in "biu":
            source = source.to(np.int64)
        if dim is None:
            return source.reshape(-1).prod(0)
        d = dim_index(dim, max(self.ndim, 1), "prod")
        if self.ndim == 0:
            return source.clone()
        if source._data.dtype.kind != "f":
            return self._wrap(np.prod(source._data, axis=d, keepdims=keepdim))
        out = self._apply(pointwise.Prod, source, dim=d)
        return out if keepdim else out.squeeze(d)

    def nansum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Self:
        """``sum`` treating NaN as 0."""
        source = self.masked_fill(self.isnan(), 0) if self.is_floating_point() else self
        return source.sum(dim, keepdim, dtype=dtype) if dim is not None else source.sum(dtype=dtype)

    def nanmean(
        self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None
    ) -> Self:
        """``mean`` over the non-NaN elements."""
        if not self.is_floating_point():
            raise RuntimeError(f"nanmean: expected a float tensor, got {self.dtype}")
        count = (~self.isnan()).sum(dim, keepdim) if dim is not None else (~self.isnan()).sum()
        return self.nansum(dim, keepdim, dtype=dtype) / count

    def count_nonzero(self, dim: Any = None) -> Self:
        """The number of nonzero elements (along ``dim``), as int64."""
        axis = (
            None
            if dim is None
            else (
                tuple(dim_index(d, max(self.ndim, 1), "count_nonzero") for d in dim)
                if isinstance(dim, tuple | list)
                else dim_index(dim, max(self.ndim, 1), "count_nonzero")
            )
        )
        data = self._data if self.ndim else self._data.reshape(1)
        return self._wrap(np.asarray(np.count_nonzero(data, axis=axis), np.int64))

    def aminmax(self, *, dim: int | None = None, keepdim: builtins.bool = False) -> MinMax:
        """``(amin, amax)`` of all elements or along ``dim``."""
        if dim is None:
            low, high = self.amin(), self.amax()
            if keepdim:
                low, high = low.reshape(*(1,) * self.ndim), high.reshape(*(1,) * self.ndim)
            return MinMax(low, high)
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Self:
        """The ``n``-th forward difference along ``dim``, after joining ``prepend``/``append``."""
        if self.ndim == 0:
            raise RuntimeError("diff: expected at least 1-D input")
        d = dim_index(dim, self.ndim, "diff")
        parts = [p for p in (prepend, self, append) if p is not None]
        out = self._apply(movement.Cat, *parts, dim=d) if len(parts) > 1 else self
        for _ in range(n):
            size = out.shape[d]
            head = out.narrow(d, 1, max(size - 1, 0))
            tail = out.narrow(d, 0, max(size - 1, 0))
            out = head.logical_xor(tail) if out._data.dtype.kind == "b" else head - tail
        return out
