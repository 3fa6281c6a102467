"""``TensorBase``: what every Tensor method family stands on.

The storage (``_data``, ``grad``, ``requires_grad`` and the graph link ``_ctx``), ``_apply`` (the
one place where arrays become Tensors and graph edges are recorded) and the metadata read from
the array (shape, dtype, device). The method families in ``_shape``, ``_reduce`` and ``_inplace``
inherit from it and ``Tensor`` (in ``tensor.py``) inherits from them, so every file imports only
downwards and mypy checks each one on its own.

A few methods of ``Tensor`` that the families call (``to``, arithmetic, ``abs``...) are declared
below for the type checker only; ``Tensor`` implements them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from juanji import _dtype
from juanji.autograd import grad_mode, trace
from juanji.backend import Device, device_of
from juanji.tensor._args import dim_index, to_array
from juanji.tensor._size import Size

if TYPE_CHECKING:
    from typing_extensions import Self

Scalar = int | float | bool


class _Edge:
    """A graph edge to output ``_output_index`` of node ``_ctx``, in place of the tensor itself.

    A node's ``parents`` hold leaves as tensors (gradients accumulate into them) and every other
    input as an edge: the graph then keeps nodes alive, never the arrays of intermediate
    tensors, which are freed as soon as no user variable and no ``save_for_backward`` holds them
    (as in PyTorch). On LeNet5 this halves the peak memory of a training step, and with it the
    page faults of re-growing the heap.
    """

    __slots__ = ("_ctx", "_output_index", "shape")

    def __init__(self, tensor: TensorBase) -> None:
        self._ctx, self._output_index, self.shape = tensor._ctx, tensor._output_index, tensor.shape


def _edges(inputs: tuple[Any, ...], needs: tuple[bool, ...]) -> tuple[Any, ...]:
    """``parents`` of a node: None for an input without gradient, a leaf, or an ``_Edge``."""
    return tuple(
        (t if t._ctx is None else _Edge(t)) if n else None
        for t, n in zip(inputs, needs, strict=True)
    )


class TensorBase:
    """Storage, graph recording and metadata of a Tensor; see ``juanji.Tensor``."""

    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "_ctx",
        "_output_index",
        "__weakref__",
        "__dict__",
    )

    _data: Any  # a NumPy or CuPy array
    grad: TensorBase | None
    requires_grad: bool
    _ctx: Any  # the Function that made this tensor, None for a leaf
    _output_index: int

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, TensorBase):
            data = data._data
        elif isinstance(data, np.generic):  # NumPy scalars (a[0], a.sum()) become 0-d arrays,
            data = np.asarray(data)  # which in-place writes and views work on
        elif not hasattr(data, "__array_interface__") and not hasattr(
            data, "__cuda_array_interface__"
        ):
            data = to_array(data, None)
        self._data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._output_index = 0
        if requires_grad and not self._data.dtype.kind == "f":
            raise RuntimeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}"
            )

    # ------------------------------------------------------------------ graph recording
    @classmethod
    def _apply(cls, fn_cls: type, *inputs: Any, **params: Any) -> Any:
        """Run ``fn_cls().forward`` on the arrays of ``inputs`` and record the graph edge.

        Non-Tensor inputs (Python scalars, index tuples) are passed through as constants.
        Returns a Tensor (made by ``_wrap``), or a tuple of them for multi-output functions.
        """
        fn = fn_cls()
        arrays = [t._data if isinstance(t, TensorBase) else t for t in inputs]
        record = grad_mode._enabled and any(
            isinstance(t, TensorBase) and t.requires_grad for t in inputs
        )
        if record:
            needs = tuple(isinstance(t, TensorBase) and t.requires_grad for t in inputs)
            fn.needs_input_grad = needs
            fn.requires_grad = True
        else:
            fn.needs_input_grad = (False,) * len(inputs)
        out = fn.forward(*arrays, **params)
        if not isinstance(out, tuple):
            result = cls._wrap(out)
            if record:
                fn.parents = _edges(inputs, needs)
                result._ctx = fn
                result.requires_grad = True
            if trace._recorder is not None:
                trace._recorder(fn, inputs, params, result)
            return result
        results = tuple(cls._wrap(o) for o in out)
        if record:
            fn.parents = _edges(inputs, needs)
            fn.n_outputs = len(results)
            fn.output_meta = [(r._data.shape, r._data.dtype) for r in results]
            for index, r in enumerate(results):
                if r._data.dtype.kind == "f":  # integer outputs (indices) are not differentiable
                    r._ctx, r._output_index, r.requires_grad = fn, index, True
        if trace._recorder is not None:
            trace._recorder(fn, inputs, params, results)
        return results

    @staticmethod
    def _wrap(array: Any) -> Any:
        """A new Tensor (outside any graph) holding ``array``; ``Tensor`` defines it."""
        raise NotImplementedError

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        """The size of each dimension, as a ``juanji.Size`` (a tuple subclass, as torch.Size)."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim_index(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    @property
    def dtype(self) -> _dtype.DType:
        """The element type, e.g. ``juanji.float32``."""
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> Device:
        """Where the data lives (``cpu``, or ``cuda`` with CuPy)."""
        return device_of(self._data)

    if TYPE_CHECKING:  # implemented by Tensor (tensor.py); declared so the families type-check

        def to(self, *args: Any, **kwargs: Any) -> Self: ...
        def _float(self) -> Self: ...
        def abs(self) -> Self: ...
        def sqrt(self) -> Self: ...
        def maximum(self, other: Any) -> Self: ...
        def minimum(self, other: Any) -> Self: ...
        def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Self: ...
        def __sub__(self, other: Any) -> Self: ...
        def __mul__(self, other: Any) -> Self: ...
        def __truediv__(self, other: Any) -> Self: ...
        def __pow__(self, other: Any) -> Self: ...
