"""Tensor methods that move elements: reshape, permute, expand, index, split...

A group of ``Tensor`` methods kept in its own file to keep ``tensor.py`` readable; ``Tensor``
inherits them. Each delegates to a ``Function`` in ``_ops.movement`` through ``self._apply``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji import _dtype
from juanji._ops import movement
from juanji.backend import xp_of
from juanji.tensor._args import (
    WholeView,
    dim_index,
    dim_tuple,
    index_arrays,
    resolve_shape,
    shape_args,
)
from juanji.tensor._base import TensorBase

if TYPE_CHECKING:
    from typing_extensions import Self


class ShapeMethods(TensorBase):
    """Reshaping, reordering, broadcasting, flipping, splitting and indexing."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Self:
        """Same elements in a new shape; one dimension may be -1."""
        target = shape_args(shape, "reshape")
        out = self._apply(
            movement.Reshape, self, shape=resolve_shape(target, self.numel(), "reshape")
        )
        return self._as_view(out, lambda v, shape=self.shape: v.reshape(shape))

    def _as_view(self, out: Self, to_base: Any) -> Self:
        """Mark ``out`` as a view of all of self when it shares self's memory.

        As a PyTorch view: an in-place write into ``out`` must reach self's graph.
        """
        if out is not self and out._data is not self._data and out.requires_grad and (
            getattr(out._data, "base", None) is not None
            and xp_of(out._data).shares_memory(out._data, self._data)
        ):
            out.__dict__["_view_of"] = (self, WholeView(to_base))
        return out

    def _permuted(self, order: tuple[int, ...]) -> Self:
        """``Permute`` by ``order``, marked as a view of self."""
        out = self._apply(movement.Permute, self, dims=order)
        inverse = tuple(int(i) for i in np.argsort(order)) if order else ()
        return self._as_view(out, lambda v: v.permute(inverse) if inverse else v)

    def view(self, *shape: Any) -> Self:
        """Same as ``reshape`` (juanji copies when NumPy cannot make a view).

        ``view(dtype)`` reinterprets the bytes, as PyTorch does (``view(juanji.int32)`` of
        ``1.0`` is ``1065353216``); the result is outside the graph.
        """
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, tuple, list)):
            return self._view_dtype(shape[0])
        return self.reshape(*shape)

    def _view_dtype(self, dtype: Any) -> Self:
        target, data = _dtype.as_dtype(dtype, "view").np_dtype, self._data
        if target.itemsize != data.itemsize:
            rule = f"to view {self.dtype} as {dtype} (different element sizes)"
            if data.ndim == 0:
                raise RuntimeError(f"view: self.dim() cannot be 0 {rule}")
            if data.shape[-1] != 1 and data.strides[-1] != data.itemsize:
                raise RuntimeError(f"view: self.stride(-1) must be 1 {rule}")
            ratio = target.itemsize // data.itemsize
            if ratio > 1 and data.shape[-1] % ratio:
                raise RuntimeError(
                    f"view: self.size(-1) must be divisible by {ratio} {rule}, but got "
                    f"{data.shape[-1]}"
                )
        return self._wrap(data.view(target))

    def view_as(self, other: TensorBase) -> Self:
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Self:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start = dim_index(start_dim, self.ndim, "flatten")
        end = dim_index(end_dim, self.ndim, "flatten")
        if start > end:
            raise RuntimeError(
                f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})"
            )
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        if start == end:
            return self
        merged = int(np.prod(self.shape[start : end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[start + 1 :])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Self:
        """Split dimension ``dim`` into ``sizes``."""
        d = dim_index(dim, self.ndim, "unflatten")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def permute(self, *dims: Any) -> Self:
        """Reorder dimensions."""
        order = tuple(dim_index(d, self.ndim, "permute") for d in shape_args(dims, "permute"))
        if sorted(order) != list(range(self.ndim)):
            raise RuntimeError(
                f"permute: dims must be a permutation of 0..{self.ndim - 1}, got {order}"
            )
        return self._permuted(order)

    def transpose(self, dim0: int, dim1: int) -> Self:
        """Swap two dimensions."""
        order = list(range(self.ndim))
        a, b = dim_index(dim0, self.ndim, "transpose"), dim_index(dim1, self.ndim, "transpose")
        if self.ndim == 0:  # transpose(0, -1) of a 0-d tensor: itself, as in PyTorch
            return self._apply(movement.Permute, self, dims=())
        order[a], order[b] = order[b], order[a]
        return self._permuted(tuple(order))

    def t(self) -> Self:
        """Transpose a matrix (0-D and 1-D tensors are returned as they are)."""
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self) -> Self:  # noqa: N802 - PyTorch's name
        """All dimensions reversed."""
        return self._permuted(tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Self:  # noqa: N802 - PyTorch's name
        """The last two dimensions swapped (matrices or batches of them; 0-d: itself)."""
        if self.ndim == 1:
            raise RuntimeError(
                "mT: only supported on matrices or batches of matrices, got a 1-D tensor"
            )
        return self.transpose(-2, -1) if self.ndim else self.transpose(0, 0)

    def squeeze(self, dim: Any = None) -> Self:
        """Remove dimensions of size 1 (all, or only ``dim``)."""
        if dim is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            dims = dim_tuple(dim, self.ndim, "squeeze") or ()
            shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim: int) -> Self:
        """Insert a dimension of size 1 at ``dim``."""
        d = dim_index(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes: Any) -> Self:
        """Broadcast to a larger shape without copying; -1 keeps a dimension."""
        target = shape_args(sizes, "expand")
        lead = len(target) - self.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(target)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({self.ndim}), shape {self.shape}"
            )
        if builtins.any(n == -1 for n in target[:lead]):
            raise RuntimeError(
                "expand: the size -1 is not allowed in a leading, new dimension, got "
                f"{tuple(target)} for shape {self.shape}"
            )
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(target)
        )
        fits = all(old in (1, new) for old, new in zip(self.shape, shape[lead:], strict=True))
        if not fits or builtins.any(n < 0 for n in shape):
            raise RuntimeError(
                f"expand: cannot expand shape {self.shape} to {tuple(target)} (each size must "
                "equal the existing one, or the existing one must be 1)"
            )
        return self._apply(movement.Expand, self, shape=shape)

    def expand_as(self, other: TensorBase) -> Self:
        """Broadcast to ``other``'s shape."""
        return self.expand(other.shape)

    def repeat(self, *repeats: Any) -> Self:
        """Tile the tensor ``repeats[i]`` times along dimension i."""
        reps = shape_args(repeats, "repeat")
        if len(reps) < self.ndim:
            raise RuntimeError(
                f"repeat: number of repeats ({len(reps)}) can not be smaller than the number "
                f"of dimensions ({self.ndim})"
            )
        if builtins.any(n < 0 for n in reps):
            raise RuntimeError(f"repeat: repeats must be non-negative, got {reps}")
        return self._apply(movement.Repeat, self, repeats=reps)

    def flip(self, *dims: Any) -> Self:
        """Reverse the order of elements along ``dims``."""
        axes = tuple(dim_index(d, self.ndim, "flip") for d in shape_args(dims, "flip"))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"flip: dims {axes} has a dim appearing multiple times")
        return self._apply(movement.Flip, self, dims=axes)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Self, ...]:
        """Split into ``chunks`` nearly equal pieces along ``dim`` (fewer if they run out)."""
        if hasattr(chunks, "_data") and chunks.ndim == 0 and chunks._data.dtype.kind in "iu":
            chunks = chunks.item()
        if not _is_int(chunks):
            raise TypeError(f"chunk: chunks must be an int, got {type(chunks).__name__}")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        d = dim_index(dim, self.ndim, "chunk")
        if self.shape[d] == 0:  # PyTorch: `chunks` empty pieces
            return self.split([0] * int(chunks), d)
        return self.split(-(-self.shape[d] // int(chunks)), d)

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple[Self, ...]:
        """Split into pieces of ``split_size`` (or the given sizes) along ``dim``."""
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = dim_index(dim, self.ndim, "split")
        n = self.shape[d]
        if hasattr(split_size, "_data") and split_size.ndim == 0:
            split_size = split_size.item()
        if _is_int(split_size):
            sizes = _even_sizes(int(split_size), n)
        elif isinstance(split_size, (list, tuple)) and all(_is_int(s) for s in split_size):
            sizes = [int(s) for s in split_size]
            if any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to be non-negative and to sum exactly "
                    f"to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes}"
                )
        else:
            raise TypeError(
                f"split: split_size must be an int or a list of ints, got {split_size!r}"
            )
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def __getitem__(self, index: Any) -> Self:
        index = index_arrays(index)
        out = self._apply(movement.Index, self, index)
        if getattr(out._data, "base", None) is not None and not movement._is_advanced(index):
            out.__dict__["_view_of"] = (self, index)  # a write into out must reach self's graph
        return out


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _even_sizes(split_size: int, n: int) -> list[int]:
    """Pieces of ``split_size`` covering ``n`` (the last may be shorter), PyTorch's errors."""
    if split_size < 0:
        raise RuntimeError(
            f"split expects split_size be non-negative, but got split_size={split_size}"
        )
    if split_size == 0:
        if n:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        return [0]
    return [min(split_size, n - s) for s in range(0, n, split_size)] or [0]
