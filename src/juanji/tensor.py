"""``Tensor``: an n-dimensional array that records the operations applied to it.

A Tensor holds a NumPy (or CuPy) array in ``_data`` and, if it was produced by a recorded
operation, the graph node ``_ctx`` (a ``Function``) that made it. ``Tensor._apply`` is the one
place where arrays become Tensors and graph edges are recorded; every method below is a short
delegation to it, so the list of what a Tensor can do is written out here in full.

Semantics follow PyTorch: float32 by default; ``requires_grad`` tensors record a dynamic graph;
``backward()`` accumulates into ``.grad`` of leaves and frees the graph; in-place methods (``add_``)
are refused on leaves that require grad unless inside ``no_grad()``; ``numpy()`` shares memory and
refuses tensors that require grad; ``detach()`` shares memory and drops the graph.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from juanji import _dtype
from juanji._ops import activation, elementwise, linalg, movement, reduce
from juanji.autograd import engine, grad_mode
from juanji.backend import Device, as_device, as_numpy, device_of, to_device, xp_of

Scalar = int | float | bool
MaxResult = namedtuple("MaxResult", ["values", "indices"])
_PY_SCALARS = (builtins.int, builtins.float, builtins.bool)


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Create tensors with ``juanji.tensor(data)`` or the factories (``zeros``, ``randn``...);
    ``Tensor(array)`` wraps an existing array without copying.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_output_index", "__weakref__",
                 "__dict__")
    __array_ufunc__ = None  # numpy_array * tensor defers to Tensor.__rmul__

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._data
        elif not hasattr(data, "__array_interface__") and not hasattr(data, "__cuda_array_interface__"):
            data = _to_array(data, None)
        self._data = data
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Any = None
        self._output_index = 0
        if requires_grad and not self._data.dtype.kind == "f":
            raise RuntimeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}"
            )

    # ------------------------------------------------------------------ graph recording
    @staticmethod
    def _apply(fn_cls: type, *inputs: Any, **params: Any) -> Any:
        """Run ``fn_cls().forward`` on the arrays of ``inputs`` and record the graph edge.

        Non-Tensor inputs (Python scalars, index tuples) are passed through as constants.
        Returns a Tensor, or a tuple of Tensors for multi-output functions.
        """
        fn = fn_cls()
        arrays = [t._data if isinstance(t, Tensor) else t for t in inputs]
        record = grad_mode._enabled and any(
            isinstance(t, Tensor) and t.requires_grad for t in inputs
        )
        if record:
            needs = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
            fn.needs_input_grad = needs
            fn.requires_grad = True
        else:
            fn.needs_input_grad = (False,) * len(inputs)
        out = fn.forward(*arrays, **params)
        if not isinstance(out, tuple):
            result = Tensor(out)
            if record:
                fn.parents = tuple(t if n else None for t, n in zip(inputs, needs, strict=True))
                result._ctx = fn
                result.requires_grad = True
            return result
        results = tuple(Tensor(o) for o in out)
        if record:
            fn.parents = tuple(t if n else None for t, n in zip(inputs, needs, strict=True))
            fn.n_outputs = len(results)
            fn.output_meta = [(r._data.shape, r._data.dtype) for r in results]
            for index, r in enumerate(results):
                if r._data.dtype.kind == "f":  # integer outputs (indices) are not differentiable
                    r._ctx, r._output_index, r.requires_grad = fn, index, True
        return results

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to graph leaves.

        Args:
            gradient: the gradient of some scalar with respect to this tensor (same shape);
                may be omitted only for a single-element tensor, where it is 1.
            retain_graph: keep the graph so that backward can run through it again.
            create_graph: not supported (juanji's autograd is first-order).
            inputs: not supported; gradients go to every leaf that requires grad.

        Raises:
            RuntimeError: if the tensor does not require grad, or the graph was already freed.
        """
        if create_graph:
            raise NotImplementedError(
                "backward: create_graph=True (higher-order gradients) is not supported; "
                "juanji's autograd is first-order"
            )
        if inputs is not None:
            raise NotImplementedError("backward: the inputs= argument is not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has "
                    f"shape {self.shape}: pass gradient= of that shape"
                )
            seed = xp_of(self._data).ones(self._data.shape, dtype=self._data.dtype)
        else:
            seed = gradient._data if isinstance(gradient, Tensor) else _to_array(gradient, None)
            if seed.shape != self._data.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {tuple(seed.shape)} but the tensor has shape "
                    f"{self.shape}"
                )
            seed = seed.astype(self._data.dtype, copy=False)
        engine.backward(self, seed, bool(retain_graph), Tensor)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            if self._ctx._retained is None:
                self._ctx._retained = {}
            self._ctx._retained[self._output_index] = self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf (e.g. an input, to get a saliency map)."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()"
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory, cut from the graph (``requires_grad=False``)."""
        return Tensor(self._data)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place."""
        self._ctx, self.requires_grad = None, False
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless this tensor was made by a recorded operation."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The graph node that produced this tensor, or None for leaves."""
        return self._ctx

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing memory (PyTorch's ``.data``); assigning replaces the array."""
        return Tensor(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else _to_array(value, None)

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, as a plain tuple."""
        return self._data.shape

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dimension."""
        if dim is None:
            return self._data.shape
        return self._data.shape[_dim(dim, self._data.ndim, "size")]

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

    @property
    def is_cuda(self) -> bool:
        """True if the data lives on a GPU."""
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self._data.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_contiguous(self) -> bool:
        """True if the elements are laid out in C order without gaps."""
        return bool(self._data.flags.c_contiguous)

    # ------------------------------------------------------------------ conversion
    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (a copy from the GPU)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return as_numpy(self._data)

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return as_numpy(self._data).tolist()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert dtype and/or device: ``to(juanji.float64)``, ``to('cpu')``, ``to(other)``."""
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, Device)):
                device = arg
            else:
                dtype = arg
        out = self
        if device is not None and as_device(device) != self.device:
            out = Tensor(to_device(self._data, as_device(device)), requires_grad=False)
            out.requires_grad = self.requires_grad if out.is_leaf else False
        if dtype is not None:
            np_dtype = _dtype.as_dtype(dtype, "to").np_dtype
            if np_dtype != out._data.dtype:
                out = Tensor._apply(elementwise.Cast, out, dtype=np_dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype: Any = None) -> Any:
        """With no argument, the type name (``'juanji.FloatTensor'``); else ``to(dtype)``."""
        if dtype is None:
            return f"juanji.{_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        """Cast to int64."""
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        """Cast to int32."""
        return self.to(_dtype.int32)

    def bool(self) -> Tensor:
        """Cast to bool."""
        return self.to(_dtype.bool_)

    def cpu(self) -> Tensor:
        """Move to the CPU."""
        return self.to("cpu")

    def cuda(self) -> Tensor:
        """Move to the GPU (needs CuPy)."""
        return self.to("cuda")

    def clone(self) -> Tensor:
        """A copy with its own memory that stays in the graph."""
        return Tensor._apply(_Clone, self)

    def contiguous(self) -> Tensor:
        """This tensor if C-contiguous, else a contiguous copy."""
        return self if self._data.flags.c_contiguous else Tensor._apply(movement.Contiguous, self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        return _binary(elementwise.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(elementwise.Add, self, other, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(elementwise.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(elementwise.Sub, self, other, reverse=True)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(elementwise.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(elementwise.Mul, self, other, reverse=True)

    def __truediv__(self, other: Any) -> Tensor:
        if self._data.dtype.kind in "iub" and (
            not isinstance(other, Tensor) or other._data.dtype.kind in "iub"
        ):
            return _binary(elementwise.Div, self.to(_dtype.get_default_dtype()), other)
        return _binary(elementwise.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        base = self.to(_dtype.get_default_dtype()) if self._data.dtype.kind in "iub" else self
        return _binary(elementwise.Div, base, other, reverse=True)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(elementwise.Pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(elementwise.Pow, self, other, reverse=True)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor_like(other, self).matmul(self)

    def __neg__(self) -> Tensor:
        return Tensor._apply(elementwise.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __floordiv__(self, other: Any) -> Tensor:
        return Tensor(self._data // _operand(other))

    def __mod__(self, other: Any) -> Tensor:
        return Tensor(self._data % _operand(other))

    # In-place operators: true in-place when no graph is involved; otherwise out of place,
    # rebinding the name (PyTorch would modify the graph in place, which juanji does not model).
    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.add, elementwise.Add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.subtract, elementwise.Sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.multiply, elementwise.Mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.divide, elementwise.Div, other)

    def _inplace_or_new(self, ufunc: Any, fn_cls: type, other: Any) -> Tensor:
        other_requires = isinstance(other, Tensor) and other.requires_grad
        if grad_mode._enabled and (self.requires_grad or other_requires):
            return _binary(fn_cls, self, other)
        xp = xp_of(self._data)
        getattr(xp, ufunc.__name__)(self._data, _operand(other), out=self._data)
        return self

    def add(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """``self + alpha * other``."""
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """``self - alpha * other``."""
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other: Any) -> Tensor:
        """``self * other``."""
        return self * other

    def div(self, other: Any) -> Tensor:
        """``self / other``."""
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``."""
        return self**exponent

    def neg(self) -> Tensor:
        """``-self``."""
        return -self

    def square(self) -> Tensor:
        """``self * self``."""
        return self * self

    def exp(self) -> Tensor:
        """Elementwise ``e ** x``."""
        return Tensor._apply(elementwise.Exp, self._float())

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return Tensor._apply(elementwise.Log, self._float())

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return Tensor._apply(elementwise.Sqrt, self._float())

    def rsqrt(self) -> Tensor:
        """Elementwise ``1 / sqrt(x)``."""
        return 1 / self.sqrt()

    def abs(self) -> Tensor:
        """Elementwise absolute value (gradient 0 at 0)."""
        return Tensor._apply(elementwise.Abs, self)

    def sign(self) -> Tensor:
        """Elementwise sign (-1, 0, 1); not differentiable."""
        return Tensor(xp_of(self._data).sign(self._data))

    def maximum(self, other: Tensor) -> Tensor:
        """Elementwise maximum of two tensors (ties split the gradient)."""
        return _binary(elementwise.Maximum, self, other)

    def minimum(self, other: Tensor) -> Tensor:
        """Elementwise minimum of two tensors (ties split the gradient)."""
        return _binary(elementwise.Minimum, self, other)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:  # noqa: A002
        """Clip every element into ``[min, max]``."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return Tensor._apply(elementwise.Clamp, self, min=min, max=max)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other``."""
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Scalar) -> Tensor:
        """Replace elements where ``mask`` is True by ``value``."""
        return where(mask, value, self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with broadcasting over batch dimensions (``@``)."""
        other = _as_tensor_like(other, self)
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError("matmul: both arguments need at least 1 dimension, got a scalar")
        k_self = self.shape[-1]
        k_other = other.shape[0] if other.ndim == 1 else other.shape[-2]
        if k_self != k_other:
            raise RuntimeError(
                f"matmul: shapes {self.shape} and {other.shape} cannot be multiplied "
                f"({k_self} != {k_other})"
            )
        a, b = _promote_pair(self, other)
        return Tensor._apply(linalg.MatMul, a, b)

    mm = matmul
    bmm = matmul

    # ------------------------------------------------------------------ activations
    def relu(self) -> Tensor:
        """``max(x, 0)`` elementwise."""
        return Tensor._apply(activation.ReLU, self)

    def sigmoid(self) -> Tensor:
        """``1 / (1 + exp(-x))`` elementwise, computed without overflow."""
        return Tensor._apply(activation.Sigmoid, self._float())

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return Tensor._apply(activation.Tanh, self._float())

    def softmax(self, dim: int) -> Tensor:
        """Softmax along ``dim``."""
        return Tensor._apply(activation.Softmax, self._float(), dim=_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        """Log of softmax along ``dim``, computed stably."""
        return Tensor._apply(
            activation.LogSoftmax, self._float(), dim=_dim(dim, self.ndim, "log_softmax")
        )

    # ------------------------------------------------------------------ reductions
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple, or None for all elements)."""
        source = self.to(dtype) if dtype is not None else self
        return Tensor._apply(reduce.Sum, source, dim=_dims(dim, self.ndim, "sum"),
                             keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        """Mean over ``dim`` (floating-point tensors only, as in PyTorch)."""
        source = self.to(dtype) if dtype is not None else self
        if source._data.dtype.kind != "f":
            raise RuntimeError(
                f"mean: input dtype should be floating point, got {source.dtype}; "
                "use .float().mean() or mean(dtype=juanji.float32)"
            )
        return Tensor._apply(reduce.Mean, source, dim=_dims(dim, self.ndim, "mean"),
                             keepdim=keepdim)

    def var(self, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None) -> Tensor:
        """Variance over ``dim`` with Bessel's correction by default (``correction=1``)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims = _dims(dim, self.ndim, "var")
        count = self.numel() if dims is None else int(np.prod([self.shape[d] for d in dims]))
        centred = self - self.mean(dim=dims, keepdim=True)
        return (centred * centred).sum(dim=dims, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None) -> Tensor:
        """Standard deviation: the square root of ``var``."""
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element, or ``(values, indices)`` along ``dim``, or ``maximum(other)``."""
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element, or ``(values, indices)`` along ``dim``, or ``minimum(other)``."""
        return self._extreme(dim, keepdim, largest=False)

    def _extreme(self, dim: Any, keepdim: bool, largest: bool) -> Any:
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        name = "max" if largest else "min"
        if self._data.size == 0:
            raise RuntimeError(f"{name}(): expected a non-empty tensor")
        if dim is None:
            return Tensor._apply(reduce.MaxAll, self, largest=largest)
        values, indices = Tensor._apply(
            reduce.MaxDim, self, dim=_dim(dim, self.ndim, name), keepdim=keepdim, largest=largest
        )
        return MaxResult(values, indices)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Largest values over ``dim`` (values only)."""
        if dim is None:
            return self.max()
        dims = _dims(dim, self.ndim, "amax")
        out = self
        for d in sorted(dims, reverse=True):
            out = out.max(d, keepdim=keepdim).values
        return out

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, "argmin")

    def _arg(self, dim: int | None, keepdim: bool, name: str) -> Tensor:
        data = self._data
        if dim is None:
            out = getattr(data.reshape(-1), name)()
            return Tensor(xp_of(data).asarray(out, dtype=np.int64).reshape(
                (1,) * data.ndim if keepdim else ()))
        axis = _dim(dim, data.ndim, name)
        out = getattr(data, name)(axis=axis, keepdims=keepdim)
        return Tensor(out.astype(np.int64, copy=False))

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``dim``, without overflow."""
        return Tensor._apply(reduce.LogSumExp, self._float(),
                             dim=_dims(dim, self.ndim, "logsumexp"), keepdim=keepdim)

    def norm(self, p: Scalar = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The p-norm over ``dim`` (p = 1, 2 or any positive number)."""
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == 2:
            return (self * self).sum(dim, keepdim).sqrt()
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def all(self, dim: int | None = None) -> Tensor:
        """True where every element is non-zero (over ``dim`` or all)."""
        axis = None if dim is None else _dim(dim, self.ndim, "all")
        return Tensor(xp_of(self._data).asarray(self._data.astype(bool).all(axis=axis)))

    def any(self, dim: int | None = None) -> Tensor:
        """True where some element is non-zero (over ``dim`` or all)."""
        axis = None if dim is None else _dim(dim, self.ndim, "any")
        return Tensor(xp_of(self._data).asarray(self._data.astype(bool).any(axis=axis)))

    # ------------------------------------------------------------------ comparisons
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(xp_of(self._data).asarray(self._data == _operand(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(xp_of(self._data).asarray(self._data != _operand(other)))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor(xp_of(self._data).asarray(self._data < _operand(other)))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(xp_of(self._data).asarray(self._data <= _operand(other)))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(xp_of(self._data).asarray(self._data > _operand(other)))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(xp_of(self._data).asarray(self._data >= _operand(other)))

    __hash__ = object.__hash__

    def eq(self, other: Any) -> Tensor:
        """Elementwise ``==`` as a bool tensor."""
        return self == other

    def ne(self, other: Any) -> Tensor:
        """Elementwise ``!=`` as a bool tensor."""
        return self != other

    def lt(self, other: Any) -> Tensor:
        """Elementwise ``<`` as a bool tensor."""
        return self < other

    def le(self, other: Any) -> Tensor:
        """Elementwise ``<=`` as a bool tensor."""
        return self <= other

    def gt(self, other: Any) -> Tensor:
        """Elementwise ``>`` as a bool tensor."""
        return self > other

    def ge(self, other: Any) -> Tensor:
        """Elementwise ``>=`` as a bool tensor."""
        return self >= other

    def equal(self, other: Tensor) -> builtins.bool:
        """True if both tensors have the same shape and elements."""
        return self.shape == other.shape and builtins.bool((self._data == other._data).all())

    def allclose(self, other: Tensor, rtol: builtins.float = 1e-5, atol: builtins.float = 1e-8,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        """True if ``|self - other| <= atol + rtol * |other|`` everywhere."""
        return builtins.bool(xp_of(self._data).allclose(
            self._data, _operand(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    # ------------------------------------------------------------------ shape and movement
    def reshape(self, *shape: Any) -> Tensor:
        """Same elements in a new shape; one dimension may be -1."""
        target = _shape_args(shape, "reshape")
        return Tensor._apply(movement.Reshape, self, shape=_resolve_shape(target, self, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        """Same as ``reshape`` (juanji copies when NumPy cannot make a view)."""
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, tuple, list)):
            return self.to(shape[0])  # view(dtype) is not a reinterpretation here: a cast
        return self.reshape(*shape)

    def view_as(self, other: Tensor) -> Tensor:
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start = _dim(start_dim, self.ndim, "flatten")
        end = _dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ValueError(
                f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})"
            )
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        if start == end:
            return self
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[start + 1:])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes``."""
        d = _dim(dim, self.ndim, "unflatten")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def permute(self, *dims: Any) -> Tensor:
        """Reorder dimensions."""
        order = tuple(_dim(d, self.ndim, "permute") for d in _shape_args(dims, "permute"))
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims must be a permutation of 0..{self.ndim - 1}, got {order}"
            )
        return Tensor._apply(movement.Permute, self, dims=order)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dimensions."""
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return Tensor._apply(movement.Permute, self, dims=tuple(order))

    def t(self) -> Tensor:
        """Transpose a matrix (0-D and 1-D tensors are returned as they are)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """All dimensions reversed."""
        return Tensor._apply(movement.Permute, self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dimensions swapped."""
        return self.transpose(-2, -1)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove dimensions of size 1 (all, or only ``dim``)."""
        if dim is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            dims = _dims(dim, self.ndim, "squeeze") or ()
            shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dimension of size 1 at ``dim``."""
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to a larger shape without copying; -1 keeps a dimension."""
        target = _shape_args(sizes, "expand")
        lead = len(target) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {target}")
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(target)
        )
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {tuple(target)}") from None
        return Tensor._apply(movement.Expand, self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return self.expand(other.shape)

    def repeat(self, *repeats: Any) -> Tensor:
        """Tile the tensor ``repeats[i]`` times along dimension i."""
        reps = _shape_args(repeats, "repeat")
        if len(reps) < self.ndim:
            raise ValueError(
                f"repeat: number of repeats ({len(reps)}) can not be smaller than the number "
                f"of dimensions ({self.ndim})"
            )
        return Tensor._apply(movement.Repeat, self, repeats=reps)

    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of elements along ``dims``."""
        axes = tuple(_dim(d, self.ndim, "flip") for d in _shape_args(dims, "flip"))
        return Tensor._apply(movement.Flip, self, dims=axes)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``chunks`` nearly equal pieces along ``dim``."""
        d = _dim(dim, self.ndim, "chunk")
        size = -(-self.shape[d] // chunks)
        return self.split(size, d)

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        """Split into pieces of ``split_size`` (or the given sizes) along ``dim``."""
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size, builtins.int):
            sizes = [min(split_size, n - s) for s in range(0, n, split_size)]
        else:
            sizes = list(split_size)
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def __getitem__(self, index: Any) -> Tensor:
        return Tensor._apply(movement.Index, self, _index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        self._data[_index(index)] = _operand(value)

    # ------------------------------------------------------------------ in place
    def _check_inplace(self, name: str) -> None:
        if grad_mode._enabled and self.requires_grad:
            kind = "a leaf Variable that requires grad" if self._ctx is None else (
                "a tensor that is part of a recorded graph")
            raise RuntimeError(
                f"{name}: {kind} is being used in an in-place operation; wrap it in "
                "juanji.no_grad() or use the out-of-place form"
            )

    def _inplace(self, name: str, result: Any) -> Tensor:
        self._check_inplace(name)
        self._data[...] = result
        return self

    def add_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """In-place ``self += alpha * other``."""
        self._check_inplace("add_")
        value = _operand(other)
        if alpha != 1:
            value = value * alpha
        xp_of(self._data).add(self._data, value, out=self._data, casting="unsafe")
        return self

    def sub_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """In-place ``self -= alpha * other``."""
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Tensor:
        """In-place ``self *= other``."""
        self._check_inplace("mul_")
        xp_of(self._data).multiply(self._data, _operand(other), out=self._data, casting="unsafe")
        return self

    def div_(self, other: Any) -> Tensor:
        """In-place ``self /= other``."""
        self._check_inplace("div_")
        xp_of(self._data).divide(self._data, _operand(other), out=self._data, casting="unsafe")
        return self

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, value: Scalar = 1) -> Tensor:
        """In-place ``self += value * tensor1 * tensor2``."""
        return self.add_(_operand(tensor1) * _operand(tensor2), alpha=value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, value: Scalar = 1) -> Tensor:
        """In-place ``self += value * tensor1 / tensor2``."""
        return self.add_(_operand(tensor1) / _operand(tensor2), alpha=value)

    def lerp_(self, end: Tensor, weight: Scalar) -> Tensor:
        """In-place ``self += weight * (end - self)``."""
        return self.add_(_operand(end) - self._data, alpha=weight)

    def pow_(self, exponent: Scalar) -> Tensor:
        """In-place ``self **= exponent``."""
        return self._inplace("pow_", self._data**exponent)

    def sqrt_(self) -> Tensor:
        """In-place square root."""
        return self._inplace("sqrt_", xp_of(self._data).sqrt(self._data))

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:  # noqa: A002
        """In-place clamp."""
        return self._inplace("clamp_", xp_of(self._data).clip(self._data, min, max))

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self._inplace("zero_", 0)

    def fill_(self, value: Scalar) -> Tensor:
        """Fill with ``value`` in place."""
        return self._inplace("fill_", _operand(value))

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src``'s values into this tensor (broadcasting, casting)."""
        return self._inplace("copy_", _operand(src))

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0, generator: Any = None) -> Tensor:
        """Fill with samples from U(a, b)."""
        from juanji.random import numpy_rng  # noqa: PLC0415 - random sits below tensor

        values = numpy_rng(generator).uniform(a, b, size=self.shape)
        return self._inplace("uniform_", values)

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator: Any = None) -> Tensor:
        """Fill with samples from N(mean, std**2)."""
        from juanji.random import numpy_rng  # noqa: PLC0415

        values = numpy_rng(generator).normal(mean, std, size=self.shape)
        return self._inplace("normal_", values)

    # ------------------------------------------------------------------ Python protocols
    def __len__(self) -> builtins.int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous"
            )
        return builtins.bool(self._data.reshape(()))

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = as_numpy(self._data)
        return array if dtype is None else array.astype(dtype)

    def __format__(self, spec: str) -> str:
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._ctx is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support deepcopy"
            )
        copy = type(self).__new__(type(self))
        Tensor.__init__(copy, self._data.copy(), requires_grad=self.requires_grad)
        copy.grad = None if self.grad is None else Tensor(self.grad._data.copy())
        copy.__dict__.update(self.__dict__)
        memo[id(self)] = copy
        return copy

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (type(self), as_numpy(self._data), self.requires_grad))

    def __repr__(self) -> str:
        return _format_tensor(self)

    # ------------------------------------------------------------------ helpers
    def _float(self) -> Tensor:
        """This tensor, cast to the default float dtype if it is an integer tensor."""
        if self._data.dtype.kind == "f":
            return self
        return self.to(_dtype.get_default_dtype())


class _Clone(movement.Contiguous):
    """Copy (always), identity gradient."""

    def forward(self, a: Any) -> Any:
        return a.copy()


def _rebuild(cls: type, array: np.ndarray, requires_grad: bool) -> Tensor:
    t = cls.__new__(cls)
    Tensor.__init__(t, array, requires_grad=requires_grad)
    return t


# ---------------------------------------------------------------------- module-level helpers
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "bool": "BoolTensor",
               "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor"}


def _to_array(data: Any, dtype: Any) -> Any:
    """Turn Python data into an array, with PyTorch's dtype inference (floats -> float32)."""
    if isinstance(data, Tensor):
        array = data._data
    elif hasattr(data, "__cuda_array_interface__"):
        array = data
    else:
        source_is_array = isinstance(data, (np.ndarray, np.generic))
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise ValueError(f"tensor: could not make a tensor of {type(data).__name__}: "
                             f"{error}") from None
        if array.dtype == object or array.dtype.kind in "USc":
            raise TypeError(
                f"tensor: expected numbers (nested lists or an array), got elements of type "
                f"{array.dtype}"
            )
        if not source_is_array:
            if array.dtype.kind == "f":
                array = array.astype(_dtype.get_default_dtype().np_dtype, copy=False)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64, copy=False)
    if dtype is not None:
        array = array.astype(_dtype.as_dtype(dtype, "tensor").np_dtype, copy=False)
    return array


def _operand(value: Any) -> Any:
    """The raw array or Python scalar behind a binary-op operand."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.generic):
        return value.item()
    return value


def _category(kind: str) -> builtins.int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(kind, 2)


def _promote_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Cast two tensors to their common dtype by PyTorch's rule (0-d tensors act as scalars)."""
    da, db = a._data.dtype, b._data.dtype
    if da == db:
        return a, b
    if (a.ndim == 0) != (b.ndim == 0) and _category(da.kind) == _category(db.kind):
        target = db if a.ndim == 0 else da
    elif (a.ndim == 0) != (b.ndim == 0) and _category(da.kind) != _category(db.kind):
        # the higher category wins; a 0-d float joining an int tensor gives the default float
        high, high_is_scalar = (da, a.ndim == 0) if _category(da.kind) > _category(db.kind) \
            else (db, b.ndim == 0)
        target = _dtype.get_default_dtype().np_dtype if high_is_scalar and high.kind == "f" \
            else high
    else:
        target = _dtype.promote(da, db)
    return (a if da == target else a.to(target)), (b if db == target else b.to(target))


def _as_tensor_like(value: Any, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(_to_array(value, None))


def _binary(fn_cls: type, a: Tensor, b: Any, reverse: bool = False) -> Any:
    """Apply a binary elementwise op with PyTorch's dtype promotion; ``reverse`` swaps sides."""
    if isinstance(b, np.generic):
        b = b.item()
    if isinstance(b, _PY_SCALARS):
        target = _dtype.scalar_result(a._data.dtype, b)
        if target != a._data.dtype:
            a = a.to(target)
        if a._data.dtype.kind == "f" and not isinstance(b, builtins.float):
            b = builtins.float(b)  # keeps NumPy from ever upcasting float16/32
        return Tensor._apply(fn_cls, b, a) if reverse else Tensor._apply(fn_cls, a, b)
    if not isinstance(b, Tensor):
        if isinstance(b, (list, tuple, np.ndarray)):
            b = Tensor(_to_array(b, None))
        else:
            return NotImplemented
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        left, right = (b, a) if reverse else (a, b)
        raise RuntimeError(
            f"{fn_cls.__name__.lower()}: shapes {left.shape} and {right.shape} do not "
            "broadcast (sizes must match or be 1, aligned from the right)"
        ) from None
    a, b = _promote_pair(a, b)
    return Tensor._apply(fn_cls, b, a) if reverse else Tensor._apply(fn_cls, a, b)


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input if condition else other``; either branch may be a scalar."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(_to_array(input, None))
    like = input if isinstance(input, Tensor) else other
    a = input if isinstance(input, Tensor) else Tensor(
        xp_of(like._data).asarray(input, dtype=_dtype.scalar_result(like._data.dtype, input)))
    b = other if isinstance(other, Tensor) else Tensor(
        xp_of(like._data).asarray(other, dtype=_dtype.scalar_result(like._data.dtype, other)))
    a, b = _promote_pair(a, b)
    return Tensor._apply(elementwise.Where, cond, a, b)


def _dim(dim: Any, ndim: builtins.int, fn: str) -> builtins.int:
    """Normalise one dimension index, with PyTorch's error for out-of-range values."""
    if isinstance(dim, Tensor):
        dim = dim.item()
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__}")
    low, high = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(
            f"{fn}: Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})"
        )
    return builtins.int(dim) % max(ndim, 1)


def _dims(dim: Any, ndim: builtins.int, fn: str) -> tuple[builtins.int, ...] | None:
    """Normalise ``None``, an int, or a sequence of ints to a sorted tuple of axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        axes = tuple(sorted({_dim(d, ndim, fn) for d in dim}))
        return axes if axes else None
    return (_dim(dim, ndim, fn),)


def _shape_args(args: tuple, fn: str) -> tuple[builtins.int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` like PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for n in args:
        if isinstance(n, Tensor):
            n = n.item()
        if not isinstance(n, (builtins.int, np.integer)) or isinstance(n, builtins.bool):
            raise TypeError(f"{fn}: sizes must be ints, got {n!r}")
        out.append(builtins.int(n))
    return tuple(out)


def _resolve_shape(shape: tuple[builtins.int, ...], tensor: Tensor, fn: str) -> tuple:
    """Fill in one -1 and check that the element count matches."""
    size = tensor.numel()
    if shape.count(-1) > 1:
        raise ValueError(f"{fn}: only one dimension can be inferred (-1), got shape {shape}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(
                f"{fn}: shape {list(shape)} is invalid for input of size {size}"
            )
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif known != size:
        raise RuntimeError(f"{fn}: shape {list(shape)} is invalid for input of size {size}")
    return shape


def _index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays (int64 or bool)."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index


def _format_tensor(t: Tensor) -> str:
    """PyTorch-like repr: ``tensor([1., 2.], requires_grad=True)``."""
    data = as_numpy(t._data)
    kind = data.dtype.kind
    if kind == "f" and data.size:
        finite = data[np.isfinite(data)]
        whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and (np.abs(finite).max() >= 1e8 or
                               (np.abs(finite[finite != 0]).min() < 1e-4 if
                                (finite != 0).any() else False))
        if big:
            formatter = {"float_kind": lambda v: f"{v:.4e}"}
        elif whole:
            formatter = {"float_kind": lambda v: f"{v:.0f}."}
        else:
            formatter = {"float_kind": lambda v: f"{v:.4f}"}
    else:
        formatter = None
    body = np.array2string(data, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=1000, edgeitems=3, max_line_width=80)
    if kind == "b":
        body = body.replace("True", "True").replace("False", "False")
    extras = []
    if data.dtype not in (_dtype.get_default_dtype().np_dtype, np.int64, np.bool_) or (
        data.size == 0 and data.dtype != _dtype.get_default_dtype().np_dtype
    ):
        extras.append(f"dtype={t.dtype}")
    if t._ctx is not None:
        extras.append(f"grad_fn={t._ctx!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
