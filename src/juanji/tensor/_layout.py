"""Tensor methods about layout and memory.

``unbind``, ``narrow``, ``tensor_split``, ``tile``, ``broadcast_to``, ``stride``, ``nbytes``, the
small-integer casts (``byte``, ``short``)...

Shape methods are views or indexings of the input, so gradients flow through them unchanged.
juanji's arrays are C-ordered NumPy arrays; ``stride`` and ``storage_offset`` report theirs in
elements, as PyTorch does.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji.tensor._args import dim_index
from juanji.tensor._base import TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self


def _embed(square: Any, values: Any, rows: Any, cols: Any) -> Any:
    """``square[..., rows, cols] = values`` on a copy, differentiable to ``values``."""
    return square._put("diag_embed", (Ellipsis, rows, cols), values)


class LayoutMethods(TensorBase):
    """Splitting, narrowing, tiling, and the memory-layout queries."""

    __slots__ = ()

    # ------------------------------------------------------------------ pieces
    def unbind(self, dim: int = 0) -> tuple[Self, ...]:
        """The slices along ``dim``, with that dimension removed."""
        if self.ndim == 0:
            raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
        d = dim_index(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def narrow(self, dim: int, start: Any, length: int) -> Self:
        """The slice ``start:start + length`` along ``dim`` (a view)."""
        if self.ndim == 0:
            raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
        d = dim_index(dim, self.ndim, "narrow")
        size = self.shape[d]
        start = int(start)
        if not -size <= start <= size:
            raise IndexError(f"narrow: start ({start}) out of range for dimension of size {size}")
        if start < 0:
            start += size
        if length < 0 or start + length > size:
            raise RuntimeError(
                f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size})"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> Self:
        """The slice at ``index`` along ``dim``, with that dimension removed."""
        if self.ndim == 0:
            raise IndexError("select: cannot be applied to a 0-dim tensor")
        d = dim_index(dim, self.ndim, "select")
        size = self.shape[d]
        if not -size <= index < size:
            raise IndexError(f"select: index {index} out of range for dimension of size {size}")
        return self[(slice(None),) * d + (index,)]

    def split_with_sizes(self, split_sizes: Sequence[int], dim: int = 0) -> tuple[Self, ...]:
        """Pieces of the given sizes along ``dim`` (they must add up to its size)."""
        d = dim_index(dim, self.ndim, "split_with_sizes")
        if sum(split_sizes) != self.shape[d] or any(s < 0 for s in split_sizes):
            raise RuntimeError(
                f"split_with_sizes: expects split_sizes to sum exactly to {self.shape[d]} "
                f"(input tensor's size at dimension {d}), but got {list(split_sizes)}"
            )
        bounds = np.cumsum([0, *split_sizes])
        return tuple(
            self[(slice(None),) * d + (slice(int(a), int(b)),)]
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        )

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Self, ...]:
        """``n`` near-equal pieces (the first ones one longer), or pieces cut at indices."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor")
        d = dim_index(dim, self.ndim, "tensor_split")
        size = self.shape[d]
        if isinstance(indices_or_sections, builtins.int):
            n = indices_or_sections
            if n <= 0:
                raise RuntimeError(f"tensor_split: number of sections must be > 0, got {n}")
            cuts = [i * (size // n) + min(i, size % n) for i in range(1, n)]
        else:
            cuts = [builtins.int(i) for i in indices_or_sections]
        bounds = [0, *cuts, size]
        return tuple(
            self[(slice(None),) * d + (slice(min(a, size), max(min(b, size), min(a, size))),)]
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        )

    def _nsplit(self, sections: Any, d: int, fn: str, need: int) -> tuple[Self, ...]:
        if self.ndim < need:
            raise RuntimeError(f"{fn} requires a tensor with at least {need} dimension(s)")
        if isinstance(sections, builtins.int) and (sections <= 0 or self.shape[d] % sections):
            raise RuntimeError(
                f"{fn}: dimension {d} of size {self.shape[d]} is not divisible by {sections}"
            )
        return self.tensor_split(sections, d)

    def hsplit(self, sections: Any) -> tuple[Self, ...]:
        """Split along columns (dimension 1, or 0 for a 1-D tensor)."""
        return self._nsplit(sections, 1 if self.ndim > 1 else 0, "hsplit", 1)

    def vsplit(self, sections: Any) -> tuple[Self, ...]:
        """Split along rows (dimension 0) of a tensor of at least 2 dimensions."""
        return self._nsplit(sections, 0, "vsplit", 2)

    def dsplit(self, sections: Any) -> tuple[Self, ...]:
        """Split along depth (dimension 2) of a tensor of at least 3 dimensions."""
        return self._nsplit(sections, 2, "dsplit", 3)

    def tile(self, *dims: Any) -> Self:
        """Repeat along each dimension; ``dims`` shorter than the rank is padded with 1s."""
        reps = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int) else dims
        reps = (1,) * (self.ndim - len(reps)) + tuple(reps)
        return self.repeat(*reps)

    def broadcast_to(self, size: Sequence[int]) -> Self:
        """``expand``: a broadcast view with shape ``size``."""
        return self.expand(*size)

    def ravel(self) -> Self:
        """A flat (1-D) tensor of the elements."""
        return self.reshape(-1)

    def repeat_interleave(
        self, repeats: Any = None, dim: int | None = None, *, output_size: Any = None
    ) -> Self:
        """Repeat each element (each slice along ``dim``) ``repeats`` times."""
        source, d = (self.reshape(-1), 0) if dim is None else (self, dim)
        d = dim_index(d, max(source.ndim, 1), "repeat_interleave")
        counts = repeats._data if hasattr(repeats, "_ctx") else np.asarray(repeats)
        n = source.shape[d] if source.ndim else 1
        counts = np.broadcast_to(counts.astype(np.int64), (n,))
        if (counts < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        order = np.repeat(np.arange(n), counts)
        return source[(slice(None),) * d + (order,)]

    def _restrided_(self, result: Any) -> Self:
        """Make this tensor ``result`` (a permutation of itself), keeping the graph."""
        self._data, self._ctx = result._data, result._ctx
        self._output_index = result._output_index
        return self

    def transpose_(self, dim0: int, dim1: int) -> Self:
        """``transpose`` in place: this tensor's shape changes."""
        return self._restrided_(self.transpose(dim0, dim1))

    swapaxes_ = swapdims_ = transpose_

    def t_(self) -> Self:
        """``t`` in place."""
        return self._restrided_(self.t())

    def unfold(self, dimension: int, size: int, step: int) -> Self:
        """All windows of ``size`` elements, ``step`` apart, along ``dimension``.

        A new last dimension holds each window; gradients add up where windows overlap.
        """
        d = dim_index(dimension, max(self.ndim, 1), "unfold")
        length = self.shape[d] if self.ndim else 1
        if size > length or size < 0:
            raise RuntimeError(
                f"unfold: maximum size for tensor at dimension {d} is {length} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        if self.ndim == 0:
            return self.reshape(1)
        starts = np.arange((length - size) // step + 1) * step
        windows = starts[:, None] + np.arange(size)[None, :]
        return self[(slice(None),) * d + (windows,)].movedim(d + 1, -1)

    def diagflat(self, offset: int = 0) -> Self:
        """The flattened input as the diagonal ``offset`` of a square matrix."""
        return self.reshape(-1).diag(offset)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Self:
        """Matrices whose diagonal ``offset`` (planes ``dim1, dim2``) is the last dimension."""
        n = self.shape[-1] + abs(offset)
        out_dims = self.ndim + 1
        d1, d2 = dim_index(dim1, out_dims, "diag_embed"), dim_index(dim2, out_dims, "diag_embed")
        if d1 == d2:
            raise RuntimeError(
                f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}"
            )
        steps = np.arange(self.shape[-1])
        rows, cols = steps + max(-offset, 0), steps + max(offset, 0)
        square = self.new_zeros(*self.shape[:-1], n, n)
        square = _embed(square, self, rows, cols)
        return square.movedim((-2, -1), (d1, d2))

    def sum_to_size(self, *size: Any) -> Self:
        """Sum the broadcast dimensions away so the result has ``size`` (``expand``'s reverse)."""
        shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        try:
            fits = np.broadcast_shapes(tuple(shape), self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"sum_to_size: size {list(shape)} is not expandable to size {list(self.shape)}"
            )
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and self.shape[lead + i] != 1
        )
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(*shape)

    def narrow_copy(self, dim: int, start: int, length: int) -> Self:
        """A copy of ``narrow``."""
        return self.narrow(dim, start, length).clone()

    def slice_scatter(
        self, src: Any, dim: int = 0, start: Any = None, end: Any = None, step: int = 1
    ) -> Self:
        """A copy with ``src`` written at ``start:end:step`` along ``dim``."""
        d = dim_index(dim, self.ndim, "slice_scatter")
        return self.clone()._put(
            "slice_scatter", (slice(None),) * d + (slice(start, end, step),), src
        )

    def select_scatter(self, src: Any, dim: int, index: int) -> Self:
        """A copy with ``src`` written at ``index`` along ``dim``."""
        d = dim_index(dim, self.ndim, "select_scatter")
        size = self.shape[d]
        if not -size <= index < size:
            raise IndexError(f"select_scatter: index {index} out of range for size {size}")
        return self.clone()._put("select_scatter", (slice(None),) * d + (index,), src)

    # ------------------------------------------------------------------ memory and dtype
    @property
    def itemsize(self) -> builtins.int:
        """Bytes per element."""
        return self._data.dtype.itemsize

    @property
    def nbytes(self) -> builtins.int:
        """Bytes of the elements (``numel * itemsize``)."""
        return self.numel() * self._data.dtype.itemsize

    def stride(self, dim: int | None = None) -> Any:
        """The step in elements between neighbours along each dimension (or along ``dim``)."""
        size = self._data.dtype.itemsize
        steps = tuple(s // size for s in self._data.strides)
        if dim is None:
            return steps
        return steps[dim_index(dim, max(self.ndim, 1), "stride")]

    def storage_offset(self) -> builtins.int:
        """Elements between the start of the memory this tensor views and its first element."""
        base = self._data
        while getattr(base, "base", None) is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        if base is self._data or not self._data.size:
            return 0
        start = self._data.__array_interface__["data"][0]
        return (start - base.__array_interface__["data"][0]) // self._data.dtype.itemsize

    def dim_order(self) -> tuple[builtins.int, ...]:
        """The dimensions from the outermost to the innermost in memory (by stride)."""
        strides = self._data.strides
        return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))

    def is_signed(self) -> builtins.bool:
        """Whether the dtype holds negative numbers (floats and signed integers)."""
        return self._data.dtype.kind in "fi"

    def is_same_size(self, other: TensorBase) -> builtins.bool:
        """Whether both tensors have the same shape."""
        return self.shape == other.shape

    def is_nonzero(self) -> builtins.bool:
        """The truth of a one-element tensor (an error for any other size)."""
        if self.numel() != 1:
            raise RuntimeError(
                "Boolean value of Tensor with no values is ambiguous"
                if self.numel() == 0
                else "Boolean value of Tensor with more than one value is ambiguous"
            )
        return builtins.bool(self._data.reshape(-1)[0])

    @property
    def retains_grad(self) -> builtins.bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        retained = getattr(self._ctx, "_retained", None) if self._ctx is not None else None
        return bool(retained) and retained.get(self._output_index) is self

    @property
    def is_cpu(self) -> builtins.bool:
        """Whether the tensor is in host memory."""
        return self.device.type == "cpu"

    def byte(self) -> Self:
        """A uint8 copy."""
        return self.to(np.uint8)

    def char(self) -> Self:
        """An int8 copy."""
        return self.to(np.int8)

    def short(self) -> Self:
        """An int16 copy."""
        return self.to(np.int16)
