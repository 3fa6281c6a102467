"""Tensor methods that pick, place, sort and scan.

``gather``, ``scatter_add``, ``index_select``, ``sort``, ``topk``, ``cumsum``, ``tril``,
``diagonal``...

Every differentiable result is an indexing of the input (``self[grid]``, whose backward adds the
gradient back at the picked places) or a write into a copy (``IndexPut``, differentiable to both
the copy and the values), so autograd needs no new Function except the running sum and product
of ``_ops/pointwise.py``. Indices are computed with NumPy and carry no gradient.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji._ops import movement, pointwise
from juanji.tensor._args import dim_index
from juanji.tensor._pointwise import PointwiseMethods

if TYPE_CHECKING:
    from typing_extensions import Self

SortResult = namedtuple("SortResult", ["values", "indices"])


def _int_index(index: Any, fn: str) -> Any:
    array = index._data if hasattr(index, "_ctx") else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{fn}: expected an int64 index tensor, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def _running(ufunc_accumulate: Any, data: Any, d: int) -> Any:
    """An integer running sum or product in int64, as PyTorch promotes."""
    return ufunc_accumulate(data.astype(np.int64).reshape(data.shape or (1,)), axis=d).reshape(
        data.shape
    )


def _check_quantile(tensor: Any, qs: Any, how: str, fn: str) -> None:
    if not tensor.is_floating_point():
        raise RuntimeError(f"{fn}: input tensor must be either float or double dtype")
    if tensor.numel() == 0:
        raise RuntimeError(f"{fn}: input tensor must be non-empty")
    if qs.ndim > 1:
        raise RuntimeError(f"{fn}: q must be a scalar or 1D tensor")
    if qs.size and ((qs < 0).any() or (qs > 1).any()):
        raise RuntimeError(f"{fn}: q values must be in the range [0, 1]")
    if how not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(
            f"{fn}: interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"got {how!r}"
        )


def _mode_index(row: Any) -> int:
    """The last position of the most frequent value of ``row`` (the smallest on a tie)."""
    keyed = row[~np.isnan(row)] if row.dtype.kind == "f" else row
    if keyed.size == 0:
        return row.size - 1 if row.size else 0
    values, counts = np.unique(keyed, return_counts=True)
    best = values[np.argmax(counts)]
    return int(np.flatnonzero(row == best)[-1])


class SelectMethods(PointwiseMethods):
    """Gather/scatter, index_*, sorting, running reductions, triangles and diagonals."""

    __slots__ = ()

    # ------------------------------------------------------------------ helpers
    def _grid(self, dim: int, index: Any, fn: str) -> tuple[Any, ...]:
        """The advanced index that picks ``self[i0, .., index[i], .., in]`` along ``dim``."""
        if index.ndim != max(self.ndim, 1) and not (index.ndim <= 1 and self.ndim == 0):
            raise RuntimeError(
                f"{fn}: index tensor must have the same number of dimensions as the input "
                f"({self.ndim}), got {index.ndim}"
            )
        size = self.shape[dim] if self.ndim else 1
        if index.size and (index.min() < -size or index.max() >= size):
            raise RuntimeError(f"{fn}: index out of bounds for dimension {dim} with size {size}")
        grid = list(np.indices(index.shape, sparse=True))
        grid[dim] = index
        return tuple(grid)

    def _dim(self, dim: int, fn: str) -> int:
        return dim_index(dim, max(self.ndim, 1), fn)

    # ------------------------------------------------------------------ gather and take
    def gather(self, dim: int, index: Any, *, sparse_grad: builtins.bool = False) -> Self:
        """``out[i][j] = self[index[i][j]][j]`` (for ``dim=0``); ``index`` has self's rank."""
        d = self._dim(dim, "gather")
        index = _int_index(index, "gather")
        for k in range(index.ndim):
            if k != d and index.shape[k] > self.shape[k]:
                raise RuntimeError(
                    f"gather: index size {index.shape[k]} is larger than the input's "
                    f"{self.shape[k]} at dimension {k}"
                )
        return self[self._grid(d, index, "gather")]

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Self:
        """``gather`` with ``indices`` broadcast against self (flattened when ``dim`` is None)."""
        if dim is None:
            return self.reshape(-1).take(indices)
        d = self._dim(dim, "take_along_dim")
        index = _int_index(indices, "take_along_dim")
        shape = list(
            np.broadcast_shapes(
                self.shape[:d] + (1,) + self.shape[d + 1 :],
                index.shape[:d] + (1,) + index.shape[d + 1 :],
            )
        )
        src_shape = shape[:d] + [self.shape[d]] + shape[d + 1 :]
        idx_shape = shape[:d] + [index.shape[d]] + shape[d + 1 :]
        source = self.expand(*src_shape)
        return source.gather(d, np.broadcast_to(index, idx_shape))

    def take(self, index: Any) -> Self:
        """The elements at ``index`` of the flattened tensor, in ``index``'s shape."""
        index = _int_index(index, "take")
        n = self.numel()
        if index.size and (index.min() < -n or index.max() >= n):
            raise IndexError(f"take: index out of range for a tensor of {n} elements")
        return self.reshape(-1)[index]

    def index_select(self, dim: int, index: Any) -> Self:
        """The slices ``index`` (a 1-D int tensor) along ``dim``."""
        d = self._dim(dim, "index_select")
        index = _int_index(index, "index_select")
        if index.ndim > 1:
            raise IndexError("index_select: index must be a vector (1-D) or a scalar")
        size = self.shape[d] if self.ndim else 1
        if index.size and (index.min() < -size or index.max() >= size):
            raise IndexError(f"index_select: index out of range for dimension {d} of size {size}")
        if self.ndim == 0:
            return self.reshape(1)[index.reshape(-1)].reshape(index.shape)
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_select(self, mask: Any) -> Self:
        """The elements where ``mask`` (broadcast with self) is True, as a 1-D tensor."""
        m = mask._data if hasattr(mask, "_ctx") else np.asarray(mask)
        if m.dtype.kind != "b":
            raise RuntimeError(f"masked_select: expected a bool mask, got {m.dtype}")
        shape = np.broadcast_shapes(self.shape, m.shape)
        return self.expand(*shape)[np.broadcast_to(m, shape)]

    # ------------------------------------------------------------------ scatter and index_*
    def _scatter_value(self, index: Any, src: Any) -> Any:
        if not hasattr(src, "_ctx"):
            return src  # a scalar
        return src[tuple(slice(0, n) for n in index.shape)]

    def scatter_(
        self, dim: int, index: Any, src: Any = None, value: Any = None, *, reduce: Any = None
    ) -> Self:
        """``self[index[i][j]][j] = src[i][j]`` (``dim=0``); ``reduce='add'/'multiply'``."""
        d = self._dim(dim, "scatter_")
        index = _int_index(index, "scatter_")
        source = value if src is None else src
        grid = self._grid(d, index, "scatter_")
        if reduce is None:
            return self._put("scatter_", grid, self._scatter_value(index, source))
        if reduce == "add":
            return self._put("scatter_", grid, self._scatter_value(index, source), True)
        raise RuntimeError(f"scatter_: reduce must be None or 'add' here, got {reduce!r}")

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None, **kw: Any) -> Self:
        """Out-of-place ``scatter_``."""
        return self.clone().scatter_(dim, index, src, value, **kw)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Self:
        """``self[index[i][j]][j] += src[i][j]`` (``dim=0``); repeated indices add up."""
        d = self._dim(dim, "scatter_add_")
        index = _int_index(index, "scatter_add_")
        grid = self._grid(d, index, "scatter_add_")
        return self._put("scatter_add_", grid, self._scatter_value(index, src), True)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Self:
        """Out-of-place ``scatter_add_``."""
        return self.clone().scatter_add_(dim, index, src)

    def _slices_at(self, dim: int, index: Any, fn: str) -> tuple[Any, ...]:
        d = self._dim(dim, fn)
        index = _int_index(index, fn)
        if index.ndim > 1:
            raise IndexError(f"{fn}: index must be a vector (1-D) or a scalar")
        return (slice(None),) * d + (index.reshape(-1),)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Self:
        """Add ``alpha * source``'s slices into the slices ``index`` along ``dim``."""
        where = self._slices_at(dim, index, "index_add_")
        return self._put("index_add_", where, source * alpha if alpha != 1 else source, True)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Self:
        """Out-of-place ``index_add_``."""
        return self.clone().index_add_(dim, index, source, alpha=alpha)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Self:
        """Copy ``source``'s slices into the slices ``index`` along ``dim``."""
        return self._put("index_copy_", self._slices_at(dim, index, "index_copy_"), source)

    def index_copy(self, dim: int, index: Any, source: Any) -> Self:
        """Out-of-place ``index_copy_``."""
        return self.clone().index_copy_(dim, index, source)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Self:
        """Fill the slices ``index`` along ``dim`` with ``value``."""
        return self._put("index_fill_", self._slices_at(dim, index, "index_fill_"), value)

    def index_fill(self, dim: int, index: Any, value: Any) -> Self:
        """Out-of-place ``index_fill_``."""
        return self.clone().index_fill_(dim, index, value)

    def masked_scatter_(self, mask: Any, source: Any) -> Self:
        """Write ``source``'s first elements, in order, where ``mask`` is True."""
        m = mask._data if hasattr(mask, "_ctx") else np.asarray(mask)
        if m.dtype.kind != "b":
            raise RuntimeError(f"masked_scatter_: expected a bool mask, got {m.dtype}")
        m = np.broadcast_to(m, self.shape)
        n = int(m.sum())
        if n > source.numel():
            raise RuntimeError(
                f"masked_scatter_: the mask selects {n} elements but source has {source.numel()}"
            )
        return self._put("masked_scatter_", m, source.reshape(-1)[:n])

    def masked_scatter(self, mask: Any, source: Any) -> Self:
        """Out-of-place ``masked_scatter_``."""
        return self.clone().masked_scatter_(mask, source)

    # ------------------------------------------------------------------ sorting
    def _order(self, d: int, descending: builtins.bool) -> Any:
        """Stable sorting indices along ``d``; NaN counts as the largest value, as in PyTorch."""
        a = np.moveaxis(np.asarray(self._data), d, -1)
        if a.dtype.kind == "f":
            nan = np.isnan(a)
            key = np.where(nan, 0, -a if descending else a)
            order = np.lexsort((key, ~nan if descending else nan), axis=-1)
        else:
            wide = a.astype(np.int64)
            order = np.argsort(-wide if descending else wide, axis=-1, kind="stable")
        return np.moveaxis(order, -1, d)

    def sort(
        self, dim: int = -1, descending: builtins.bool = False, *, stable: builtins.bool = False
    ) -> SortResult:
        """``(values, indices)`` sorted along ``dim`` (ties keep their order)."""
        if self.ndim == 0:
            return SortResult(self.clone(), self._wrap(np.zeros((), np.int64)))
        d = self._dim(dim, "sort")
        order = self._order(d, descending)
        return SortResult(self.gather(d, order), self._wrap(order))

    def argsort(
        self, dim: int = -1, descending: builtins.bool = False, *, stable: builtins.bool = False
    ) -> Self:
        """The indices that sort along ``dim``."""
        return self.sort(dim, descending, stable=stable).indices

    def msort(self) -> Self:
        """Sorted along the first dimension."""
        return self.sort(0).values

    def topk(
        self,
        k: int,
        dim: int = -1,
        largest: builtins.bool = True,
        sorted: builtins.bool = True,  # noqa: A002 - PyTorch's name
    ) -> SortResult:
        """The ``k`` largest (``largest=False``: smallest) along ``dim``, with their indices."""
        d = self._dim(dim, "topk")
        size = self.shape[d] if self.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {size}")
        if self.ndim == 0:
            return self.sort()
        order = np.take(self._order(d, largest), range(k), axis=d)
        return SortResult(self.gather(d, order), self._wrap(order))

    def kthvalue(self, k: int, dim: int = -1, keepdim: builtins.bool = False) -> SortResult:
        """The ``k``-th smallest value along ``dim`` (``k`` counts from 1), with its index."""
        d = self._dim(dim, "kthvalue")
        size = self.shape[d] if self.ndim else 1
        if not 1 <= k <= size:
            raise RuntimeError(
                f"kthvalue: k ({k}) is out of range for dimension {d} of size {size}"
            )
        return self._pick(d, np.full(self.shape[:d] + self.shape[d + 1 :], k - 1), keepdim)

    def _pick(self, d: int, position: Any, keepdim: builtins.bool) -> SortResult:
        """The value at sorted ``position`` (per slice) along ``d``."""
        if self.ndim == 0:
            return SortResult(self.clone(), self._wrap(np.zeros((), np.int64)))
        order = self._order(d, False)
        index = np.take_along_axis(order, np.expand_dims(position, d), axis=d)
        values, index_t = self.gather(d, index), self._wrap(index)
        if not keepdim:
            values, index_t = values.squeeze(d), index_t.squeeze(d)
        return SortResult(values, index_t)

    def median(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The lower median (NaN if the slice holds one); ``(values, indices)`` with ``dim``."""
        if dim is None:
            if self.numel() == 0 and self.is_floating_point():
                return self.new_full((), float("nan"))  # as PyTorch
            return self.reshape(-1).median(0).values
        d = self._dim(dim, "median")
        data = np.asarray(self._data) if self.ndim else np.asarray(self._data).reshape(1)
        n = data.shape[d]
        if n == 0:
            raise IndexError(f"median: dimension {d} is empty")
        nans = np.isnan(data).sum(axis=d) if data.dtype.kind == "f" else np.zeros(1, np.int64)
        position = np.where(nans > 0, n - nans, (n - 1) // 2)
        rest = data.shape[:d] + data.shape[d + 1 :]
        return self._pick(d, np.broadcast_to(position, rest), keepdim)

    def nanmedian(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The lower median of the non-NaN values (NaN if there are none)."""
        if dim is None:
            if self.numel() == 0 and self.is_floating_point():
                return self.new_full((), float("nan"))
            return self.reshape(-1).nanmedian(0).values
        d = self._dim(dim, "nanmedian")
        data = np.asarray(self._data) if self.ndim else np.asarray(self._data).reshape(1)
        if data.shape[d] == 0:
            raise IndexError(f"nanmedian: dimension {d} is empty")
        valid = (~np.isnan(data)).sum(axis=d) if data.dtype.kind == "f" else data.shape[d]
        position = np.maximum((np.asarray(valid) - 1) // 2, 0)
        rest = data.shape[:d] + data.shape[d + 1 :]
        return self._pick(d, np.broadcast_to(position, rest), keepdim)

    def quantile(
        self,
        q: Any,
        dim: Any = None,
        keepdim: builtins.bool = False,
        *,
        interpolation: str = "linear",
    ) -> Self:
        """The ``q``-th quantiles (a number or a 1-D tensor in [0, 1]); NaN if a slice has NaN."""
        return self._quantile(q, dim, keepdim, interpolation, "quantile")

    def nanquantile(
        self,
        q: Any,
        dim: Any = None,
        keepdim: builtins.bool = False,
        *,
        interpolation: str = "linear",
    ) -> Self:
        """``quantile`` over the non-NaN values of each slice (NaN if there are none)."""
        return self._quantile(q, dim, keepdim, interpolation, "nanquantile")

    def _quantile(self, q: Any, dim: Any, keepdim: builtins.bool, how: str, fn: str) -> Self:
        qs = np.asarray(q._data if hasattr(q, "_ctx") else q, np.float64)
        _check_quantile(self, qs, how, fn)
        x, d = (self.reshape(-1), 0) if dim is None else (self, self._dim(dim, fn))
        x = x if x.ndim else x.reshape(1)
        n = x.shape[d]
        nans = np.isnan(np.asarray(x._data)).sum(axis=d, keepdims=True)
        if fn == "nanquantile":
            ranks = qs.reshape(-1, *(1,) * x.ndim) * np.maximum(n - nans - 1, 0)
        else:
            ranks = np.where(nans > 0, n - 1, qs.reshape(-1, *(1,) * x.ndim) * (n - 1))
        low, high = np.floor(ranks), np.ceil(ranks)
        if how == "nearest":
            low = high = np.round(ranks)
        elif how in ("lower", "higher"):
            low = high = low if how == "lower" else high
        weight = 0.5 if how == "midpoint" else ranks - low
        values = x.sort(d).values
        out = []
        for i in range(len(ranks)):
            below = values.gather(d, np.broadcast_to(low[i], nans.shape).astype(np.int64))
            above = values.gather(d, np.broadcast_to(high[i], nans.shape).astype(np.int64))
            w = weight if np.isscalar(weight) else self._wrap(weight[i].astype(x._data.dtype))
            out.append(below + (above - below) * w)
        result = self._apply(movement.Stack, *out, dim=0)
        if dim is None:
            result = result.reshape(len(ranks), *((1,) * self.ndim if keepdim else ()))
        elif not keepdim:
            result = result.squeeze(d + 1)
        return result[0] if qs.ndim == 0 else result

    def mode(self, dim: int = -1, keepdim: builtins.bool = False) -> SortResult:
        """The most frequent value along ``dim``, with the index of its last occurrence.

        On a tie the smallest value wins; NaN never equals itself, so it counts once.
        """
        d = self._dim(dim, "mode")
        data = np.asarray(self._data) if self.ndim else np.asarray(self._data).reshape(1)
        if data.shape[d] == 0:
            raise IndexError(f"mode: dimension {d} is empty")
        rows = np.moveaxis(data, d, -1).reshape(-1, data.shape[d])
        index = np.array([_mode_index(row) for row in rows], np.int64)
        index = index.reshape(np.moveaxis(data, d, -1).shape[:-1])
        return self._pick_at(d, index, keepdim)

    def _pick_at(self, d: int, index: Any, keepdim: builtins.bool) -> SortResult:
        if self.ndim == 0:
            return SortResult(self.clone(), self._wrap(np.zeros((), np.int64)))
        index = np.expand_dims(index, d)
        values, index_t = self.gather(d, index), self._wrap(index)
        if not keepdim:
            values, index_t = values.squeeze(d), index_t.squeeze(d)
        return SortResult(values, index_t)

    def put_(self, index: Any, source: Any, accumulate: builtins.bool = False) -> Self:
        """Write ``source`` at the flat positions ``index`` (adding them with ``accumulate``)."""
        flat = _int_index(index, "put_").reshape(-1)
        n = self.numel()
        if flat.size != source.numel():
            raise IndexError(
                f"put_: expected source and index to have the same number of elements, but "
                f"got {source.numel()} and {flat.size}"
            )
        if flat.size and (flat.min() < -n or flat.max() >= n):
            raise IndexError(f"put_: index out of range for a tensor of {n} elements")
        where = np.unravel_index(flat % max(n, 1), self.shape) if self.ndim else Ellipsis
        return self._put("put_", where, source.reshape(-1), accumulate)

    def put(self, index: Any, source: Any, accumulate: builtins.bool = False) -> Self:
        """Out-of-place ``put_``."""
        return self.clone().put_(index, source, accumulate)

    # ------------------------------------------------------------------ running reductions
    def cumsum(self, dim: int, *, dtype: Any = None) -> Self:
        """Running sum along ``dim`` (integer and bool tensors give int64)."""
        source = self if dtype is None else self.to(dtype)
        d = self._dim(dim, "cumsum")
        if source._data.dtype.kind in "biu":
            return self._wrap(_running(np.cumsum, source._data, d))
        if self.ndim == 0:
            return source.clone()
        return self._apply(pointwise.Cumsum, source, dim=d)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Self:
        """Running product along ``dim`` (integer and bool tensors give int64)."""
        source = self if dtype is None else self.to(dtype)
        d = self._dim(dim, "cumprod")
        if source._data.dtype.kind in "biu":
            return self._wrap(_running(np.cumprod, source._data, d))
        if self.ndim == 0 or self.shape[d] == 0:
            return source.clone()
        steps = source.unbind(d)
        out = [steps[0]]
        for step in steps[1:]:
            out.append(out[-1] * step)
        return self._apply(movement.Stack, *out, dim=d)

    def logcumsumexp(self, dim: int) -> Self:
        """``log(cumsum(exp(x)))`` along ``dim``, computed without overflow."""
        x = self._float()
        d = self._dim(dim, "logcumsumexp")
        if self.ndim == 0 or self.numel() == 0:
            return x.clone()
        peak = x.detach().amax(d, keepdim=True)
        peak = peak.masked_fill(peak.isinf(), 0.0)
        return (x - peak).exp().cumsum(d).log() + peak

    def _cumextreme(self, dim: int, largest: builtins.bool, fn: str) -> SortResult:
        d = self._dim(dim, fn)
        if self.ndim == 0:
            return SortResult(self.clone(), self._wrap(np.zeros((), np.int64)))
        a = np.moveaxis(np.asarray(self._data), d, 0)
        index = np.zeros(a.shape, np.int64)
        best = a[0].copy() if a.shape[0] else a[:0]
        for k in range(1, a.shape[0]):
            better = (a[k] >= best) if largest else (a[k] <= best)
            if a.dtype.kind == "f":
                better = better | np.isnan(a[k])
                better &= ~np.isnan(best)
            best = np.where(better, a[k], best)
            index[k] = np.where(better, k, index[k - 1])
        index = np.moveaxis(index, 0, d)
        return SortResult(self.gather(d, index), self._wrap(index))

    def cummax(self, dim: int) -> SortResult:
        """Running maximum along ``dim``, with the index where it was reached."""
        return self._cumextreme(dim, True, "cummax")

    def cummin(self, dim: int) -> SortResult:
        """Running minimum along ``dim``, with the index where it was reached."""
        return self._cumextreme(dim, False, "cummin")

    def cumsum_(self, dim: int, *, dtype: Any = None) -> Self:
        """In-place ``cumsum``."""
        return self._composed_or_write("cumsum_", lambda old: old.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim: int, *, dtype: Any = None) -> Self:
        """In-place ``cumprod``."""
        return self._composed_or_write("cumprod_", lambda old: old.cumprod(dim, dtype=dtype))

    def _composed_or_write(self, name: str, compute: Any) -> Self:
        if self._records():
            return self._composed_(name, compute)
        return self._inplace(name, compute(self._wrap(self._data))._data)

    # ------------------------------------------------------------------ triangles, diagonals
    def _triangle(self, diagonal: int, upper: builtins.bool, fn: str) -> Any:
        if self.ndim < 2:
            raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions")
        rows, cols = self.shape[-2:]
        keep = np.arange(cols)[None, :] - np.arange(rows)[:, None]
        return keep >= diagonal if upper else keep <= diagonal

    def tril(self, diagonal: int = 0) -> Self:
        """The lower triangle of the last two dimensions (on and below ``diagonal``)."""
        return self.masked_fill(~self._wrap(self._triangle(diagonal, False, "tril")), 0)

    def triu(self, diagonal: int = 0) -> Self:
        """The upper triangle of the last two dimensions (on and above ``diagonal``)."""
        return self.masked_fill(~self._wrap(self._triangle(diagonal, True, "triu")), 0)

    def tril_(self, diagonal: int = 0) -> Self:
        """In-place ``tril``."""
        return self.masked_fill_(self._wrap(~self._triangle(diagonal, False, "tril_")), 0)

    def triu_(self, diagonal: int = 0) -> Self:
        """In-place ``triu``."""
        return self.masked_fill_(self._wrap(~self._triangle(diagonal, True, "triu_")), 0)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Self:
        """The diagonal of the ``(dim1, dim2)`` planes, as the last dimension."""
        if self.ndim < 2:
            raise RuntimeError("diagonal: input tensor must have at least 2 dimensions")
        d1, d2 = dim_index(dim1, self.ndim, "diagonal"), dim_index(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal: dimensions {dim1} and {dim2} must differ")
        moved = self.movedim((d1, d2), (-2, -1))
        rows, cols = moved.shape[-2:]
        start_r, start_c = max(-offset, 0), max(offset, 0)
        n = max(min(rows - start_r, cols - start_c), 0)
        steps = np.arange(n)
        return moved[..., steps + start_r, steps + start_c]

    def diagonal_scatter(self, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Self:
        """A copy with ``src`` written on ``diagonal(offset, dim1, dim2)``."""
        target = self.diagonal(offset, dim1, dim2)
        if tuple(src.shape) != tuple(target.shape):
            raise RuntimeError(
                f"diagonal_scatter: src must have the diagonal's shape {tuple(target.shape)}, "
                f"got {tuple(src.shape)}"
            )
        d1, d2 = dim_index(dim1, self.ndim, "diagonal"), dim_index(dim2, self.ndim, "diagonal")
        rest = [d for d in range(self.ndim) if d not in (d1, d2)]
        steps = np.arange(target.shape[-1])
        grid: list[Any] = [None] * self.ndim
        for position, d in enumerate(rest):  # the other dims, in order, then the diagonal
            shape = [1] * target.ndim
            shape[position] = self.shape[d]
            grid[d] = np.arange(self.shape[d]).reshape(shape)
        grid[d1], grid[d2] = steps + max(-offset, 0), steps + max(offset, 0)
        return self.clone()._put("diagonal_scatter", tuple(grid), src)

    def diag(self, diagonal: int = 0) -> Self:
        """A 1-D tensor as a square matrix's diagonal, or a matrix's diagonal as a 1-D tensor."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got {self.ndim}-D")
        n = self.shape[0] + abs(diagonal)
        steps = np.arange(self.shape[0])
        rows, cols = steps + max(-diagonal, 0), steps + max(diagonal, 0)
        out = self.new_zeros(n, n)
        return out.index_put((self._wrap(rows), self._wrap(cols)), self)

    def trace(self) -> Self:
        """The sum of a matrix's main diagonal."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, got a {self.ndim}-D tensor")
        return self.diagonal().sum()

    def fill_diagonal_(self, fill_value: Any, wrap: builtins.bool = False) -> Self:
        """Fill the main diagonal (all dimensions equal, or a tall matrix with ``wrap``)."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
        n = min(self.shape)
        if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
            flat = np.arange(0, self.shape[0] * self.shape[1], self.shape[1] + 1)
            where = np.unravel_index(flat, self.shape)
        else:
            where = (np.arange(n),) * self.ndim
        return self._put("fill_diagonal_", where, fill_value)

    # ------------------------------------------------------------------ moving things around
    def roll(self, shifts: Any, dims: Any = None) -> Self:
        """Shift elements cyclically by ``shifts`` along ``dims`` (flattened if None)."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(
                f"roll: shifts and dims must align (got {len(shifts)} shifts, {len(dims)} dims)"
            )
        out = self
        for shift, dim in zip(shifts, dims, strict=True):
            d = dim_index(dim, self.ndim, "roll")
            n = self.shape[d]
            if n:
                order = (np.arange(n) - shift) % n
                out = out[(slice(None),) * d + (order,)]
        return out

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Self:
        """Rotate by 90 degrees ``k`` times in the plane ``dims`` (first toward second)."""
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected 2 dims, got {len(dims)}")
        d0, d1 = (dim_index(d, self.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise RuntimeError(f"rot90: the rotation dims must differ, got {tuple(dims)}")
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.transpose(d0, d1).flip(d1)
        return self.clone()

    def fliplr(self) -> Self:
        """Flip the columns (dimension 1)."""
        if self.ndim < 2:
            raise RuntimeError("fliplr: input must be >= 2-D")
        return self.flip(1)

    def flipud(self) -> Self:
        """Flip the rows (dimension 0)."""
        if self.ndim < 1:
            raise RuntimeError("flipud: input must be >= 1-D")
        return self.flip(0)
