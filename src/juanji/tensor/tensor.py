"""``Tensor``: an n-dimensional array that records the operations applied to it.

A Tensor holds a NumPy (or CuPy) array in ``_data`` and, if it was produced by a recorded
operation, the graph node ``_ctx`` (a ``Function``) that made it. ``_apply`` (in ``_base.py``,
with the storage and metadata) is the one place where arrays become Tensors and graph edges are
recorded; every method below is a short delegation to it, so the list of what a Tensor can do is
written out here and in the method families ``_shape``, ``_reduce`` and ``_inplace``.

Semantics follow PyTorch: float32 by default; ``requires_grad`` tensors record a dynamic graph;
``backward()`` accumulates into ``.grad`` of leaves and frees the graph; in-place methods (``add_``)
are refused on leaves that require grad unless inside ``no_grad()``; ``numpy()`` shares memory and
refuses tensors that require grad; ``detach()`` shares memory and drops the graph.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Iterator
from typing import Any

import numpy as np

from juanji import _dtype
from juanji._ops import activation, elementwise, linalg, movement
from juanji.autograd import engine, version
from juanji.backend import as_numpy, to_device, xp_of
from juanji.tensor._args import (
    dim_index,
    operand,
    parse_to,
    to_array,
)
from juanji.tensor._checks import (
    bool_mask,
    broadcast_errors,
    check_broadcast,
    check_comparable,
    check_inplace_result,
    check_int_power,
    check_matmul,
    check_scalar_fits,
)
from juanji.tensor._compat import CompatMethods, dtype_of_type, type_name
from juanji.tensor._integer import IntegerMethods, check_rounding_mode, wrap_int_scalar
from juanji.tensor._layout import LayoutMethods
from juanji.tensor._numeric import NumericMethods
from juanji.tensor._printing import format_tensor
from juanji.tensor._products import ProductMethods
from juanji.tensor._reduce import ReduceMethods
from juanji.tensor._select import SelectMethods
from juanji.tensor._settings import check_memory_format
from juanji.tensor._shape import ShapeMethods

Scalar = int | float | bool
_PY_SCALARS = (builtins.int, builtins.float, builtins.bool)


class Tensor(  # each family inherits _base.TensorBase
    ShapeMethods,
    ReduceMethods,
    SelectMethods,
    LayoutMethods,
    NumericMethods,
    ProductMethods,
    CompatMethods,
    IntegerMethods,
):
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

    __slots__ = ()
    __array_ufunc__ = None  # numpy_array * tensor defers to Tensor.__rmul__

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
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
            seed = gradient._data if isinstance(gradient, Tensor) else to_array(gradient, None)
            if seed.shape != self._data.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {tuple(seed.shape)} but the tensor has shape "
                    f"{self.shape}"
                )
            seed = seed.astype(self._data.dtype, copy=False)
        engine.backward(self, seed, bool(retain_graph), Tensor)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` with this tensor's gradient during backward.

        A Tensor the hook returns replaces the gradient; ``remove()`` on the returned handle
        unregisters the hook.

        Example:
            >>> import juanji
            >>> x = juanji.tensor([1.0, 2.0], requires_grad=True)
            >>> handle = x.register_hook(lambda g: g * 10)
            >>> (x * x).sum().backward()
            >>> x.grad
            tensor([20., 40.])
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is None:
            hooks = self.__dict__.setdefault("_grad_hooks", {})
        else:
            if self._ctx._tensor_hooks is None:
                self._ctx._tensor_hooks = {}
            hooks = self._ctx._tensor_hooks.setdefault(self._output_index, {})
        return _HookHandle(hooks, hook)

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
        self._data = value._data if isinstance(value, Tensor) else to_array(value, None)

    # ------------------------------------------------------------------ metadata
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
        dtype, device, copy = parse_to(args, kwargs)
        out = self
        if device is not None and device != self.device:
            out = Tensor(to_device(self._data, device), requires_grad=self.requires_grad)
        if dtype is not None and dtype.np_dtype != out._data.dtype:
            out = Tensor._apply(elementwise.Cast, out, dtype=dtype.np_dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype: Any = None) -> Any:
        """With no argument, PyTorch's type name (``'torch.FloatTensor'``); else a cast.

        The name says ``torch.`` so that scripts comparing it with ``'torch.FloatTensor'`` keep
        working (docs/pytorch-differences.md); ``dtype`` may be a dtype, such a name, or a
        legacy class (``juanji.LongTensor``).
        """
        if dtype is None:
            return type_name(self._data.dtype)
        return self.to(dtype_of_type(dtype))

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

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if C-contiguous, else a contiguous copy (``memory_format`` accepted)."""
        check_memory_format(memory_format, "contiguous")
        return self if self._data.flags.c_contiguous else Tensor._apply(movement.Contiguous, self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        return _binary(elementwise.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(elementwise.Add, self, other, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        _check_not_bool("-", self, other)
        return _binary(elementwise.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        _check_not_bool("-", self, other)
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
        check_int_power(self, other)
        if _negative_int_exponent(self, other):
            return _int_power(self._data, other._data)
        return _binary(elementwise.Pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        if _negative_int_exponent(other, self):
            return _int_power(other, self._data)
        return _binary(elementwise.Pow, self, other, reverse=True)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor_like(other, self).matmul(self)

    def __neg__(self) -> Tensor:
        _check_not_bool("-", self, None)
        return Tensor._apply(elementwise.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    # In-place operators: in place, and recorded in the graph when one is involved (as add_).
    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.add, elementwise.Add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.subtract, elementwise.Sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.multiply, elementwise.Mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_or_new(np.divide, elementwise.Div, other)

    def _inplace_or_new(self, ufunc: Any, fn_cls: builtins.type, other: Any) -> Tensor:
        if self._records(other):
            name = f"__i{fn_cls.__name__.lower()}__"
            return self._inplace_graph(name, lambda old: _binary(fn_cls, old, other))
        name = f"__i{fn_cls.__name__.lower()}__"
        true_division = np.float32 if fn_cls is elementwise.Div else None
        check_inplace_result(name, self, other, true_division)
        self._check_inplace(name)
        xp = xp_of(self._data)
        with broadcast_errors(name):
            getattr(xp, ufunc.__name__)(self._data, operand(other), out=self._data)
        version.bump(self._data)
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

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other``; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient."""
        check_rounding_mode(rounding_mode, "div")
        if rounding_mode is None:
            return self / other
        return self._divided("div", other, rounding_mode)

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
        """Elementwise sign (-1, 0, 1; 0 for NaN, as PyTorch); not differentiable."""
        xp = xp_of(self._data)
        signs = xp.sign(self._data)
        return Tensor(xp.where(xp.isnan(signs), 0, signs) if signs.dtype.kind == "f" else signs)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum of two tensors (ties split the gradient)."""
        return _binary(elementwise.Maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum of two tensors (ties split the gradient)."""
        return _binary(elementwise.Minimum, self, other)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:  # noqa: A002
        """Clip every element into ``[min, max]``."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of min and max must be given")
        source = self
        if self._data.dtype.kind in "iub" and any(isinstance(v, float) for v in (min, max)):
            source = self.to(_dtype.get_default_dtype())  # a float bound gives a float result
        return Tensor._apply(elementwise.Clamp, source, min=min, max=max)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other``."""
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Scalar) -> Tensor:
        """Replace elements where the bool ``mask`` is True by ``value`` (number or 0-d tensor)."""
        bool_mask(mask, "masked_fill")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(
                    "masked_fill: only supports a 0-dimensional value tensor, but got tensor "
                    f"with {value.ndim} dimension(s)"
                )
        elif isinstance(value, (*_PY_SCALARS, np.generic)):
            check_scalar_fits("masked_fill", value, self._data.dtype)
            value = Tensor(xp_of(self._data).asarray(value).astype(self._data.dtype))
        else:
            raise TypeError(f"masked_fill: value must be a number, got {type(value).__name__}")
        return where(mask, value.to(self.dtype), self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with broadcasting over batch dimensions (``@``); dtypes must match."""
        return self._product("matmul", other)

    def mm(self, mat2: Any) -> Tensor:
        """Product of two matrices (2-D only, same dtype)."""
        return self._product("mm", mat2)

    def bmm(self, batch2: Any) -> Tensor:
        """Batched product of ``(B, n, m)`` and ``(B, m, p)`` tensors (3-D only, same dtype)."""
        return self._product("bmm", batch2)

    def _product(self, fn: str, other: Any) -> Tensor:
        if isinstance(other, (list, tuple)):
            raise TypeError(f"{fn}: other must be a Tensor, got {type(other).__name__}")
        other = _as_tensor_like(other, self)
        check_matmul(fn, self, other)
        return Tensor._apply(linalg.MatMul, self, other)

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

    def softmax(self, dim: builtins.int, dtype: Any = None) -> Tensor:
        """Softmax along ``dim`` of a float tensor (``dtype`` casts first)."""
        source = self._softmax_input(dtype, "softmax")
        return Tensor._apply(activation.Softmax, source, dim=dim_index(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: builtins.int, dtype: Any = None) -> Tensor:
        """Log of softmax along ``dim``, computed stably (``dtype`` casts first)."""
        source = self._softmax_input(dtype, "log_softmax")
        return Tensor._apply(
            activation.LogSoftmax, source, dim=dim_index(dim, self.ndim, "log_softmax")
        )

    def _softmax_input(self, dtype: Any, fn: str) -> Tensor:
        source = self if dtype is None else self.to(dtype)
        if source._data.dtype.kind != "f":  # PyTorch has no integer kernel either
            raise NotImplementedError(
                f"{fn}: not implemented for {source.dtype} tensors; pass dtype=juanji.float32 "
                "or call .float() first"
            )
        return source

    # ------------------------------------------------------------------ comparisons
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.ne)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, operator.ge)

    __hash__ = object.__hash__

    def _compare(self, other: Any, op: Any) -> Tensor:
        if isinstance(other, Tensor):
            check_broadcast(op.__name__, self.shape, other.shape)
        return Tensor(xp_of(self._data).asarray(op(self._data, operand(other))))

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

    def allclose(
        self,
        other: Tensor,
        rtol: builtins.float = 1e-5,
        atol: builtins.float = 1e-8,
        equal_nan: builtins.bool = False,
    ) -> builtins.bool:
        """True if ``|self - other| <= atol + rtol * |other|`` everywhere."""
        check_comparable("allclose", self, other)
        return builtins.bool(
            xp_of(self._data).allclose(
                self._data, operand(other), rtol=rtol, atol=atol, equal_nan=equal_nan
            )
        )

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
        return format_tensor(self)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _wrap(array: Any) -> Tensor:
        """A new Tensor (outside any graph) holding ``array``; for the method-group mixins."""
        return Tensor(array)

    def _float(self) -> Tensor:
        """This tensor, cast to the default float dtype if it is an integer tensor."""
        if self._data.dtype.kind == "f":
            return self
        return self.to(_dtype.get_default_dtype())


class _Clone(movement.Contiguous):
    """Copy (always), identity gradient."""

    def forward(self, a: Any) -> Any:
        return a.copy()


def _negative_int_exponent(base: Any, exponent: Any) -> builtins.bool:
    """An integer tensor exponent with a negative element, on an integer base (NumPy raises)."""
    base_kind = base._data.dtype.kind if isinstance(base, Tensor) else np.asarray(base).dtype.kind
    return (
        isinstance(exponent, Tensor)
        and exponent._data.dtype.kind in "iu"
        and base_kind in "iu"
        and builtins.bool((exponent._data < 0).any())
    )


def _int_power(base: Any, exponent: Any) -> Tensor:
    """``base ** exponent`` in integers, truncated toward zero as PyTorch (``2 ** -1 == 0``)."""
    xp = xp_of(exponent)
    target = xp.result_type(base, exponent)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        values = xp.trunc(xp.asarray(base, dtype=xp.float64) ** exponent.astype(xp.float64))
        return Tensor(xp.nan_to_num(values).astype(target))


def _check_not_bool(op: str, a: Tensor, b: Any) -> None:
    """PyTorch refuses ``-`` on bool tensors (subtraction of two, or negation of one)."""
    b_is_bool = (
        b is None
        or isinstance(b, builtins.bool)
        or (isinstance(b, Tensor) and b._data.dtype == builtins.bool)
    )
    if a._data.dtype == builtins.bool and b_is_bool:
        raise RuntimeError(
            f"{op}: the `-` operator on bool tensors is not supported; use `^` or "
            "logical_xor() to subtract, `~` or logical_not() to invert a mask"
        )


def _rebuild(cls: type[Tensor], array: np.ndarray, requires_grad: bool) -> Tensor:
    t = cls.__new__(cls)
    Tensor.__init__(t, array, requires_grad=requires_grad)
    return t


def _promote_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Cast two tensors to their common dtype by PyTorch's rule (0-d tensors act as scalars)."""
    da, db = a._data.dtype, b._data.dtype
    if da == db:
        return a, b
    target = _dtype.promote_tensors(da, a.ndim, db, b.ndim)
    return (a if da == target else a.to(target)), (b if db == target else b.to(target))


def _as_tensor_like(value: Any, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(to_array(value, None))


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
        elif a._data.dtype.kind in "iu" and isinstance(b, builtins.int):
            b = wrap_int_scalar(b, a._data.dtype, fn_cls.__name__.lower())
        return Tensor._apply(fn_cls, b, a) if reverse else Tensor._apply(fn_cls, a, b)
    if not isinstance(b, Tensor):
        if isinstance(b, (list, tuple, np.ndarray)):
            b = Tensor(to_array(b, None))
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


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """Elementwise ``input if condition else other``; either branch may be a scalar.

    ``where(condition)`` alone gives the indices of the True elements, one int64 tensor per
    dimension (``condition.nonzero(as_tuple=True)``), as PyTorch.
    """
    if input is None and other is None and isinstance(condition, Tensor):
        data = condition._data.reshape(-1) if condition.ndim == 0 else condition._data
        return tuple(Tensor(i.astype(np.int64)) for i in xp_of(data).nonzero(data))
    cond = bool_mask(condition, "where")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(to_array(input, None))
    like = input if isinstance(input, Tensor) else other
    xp = xp_of(like._data)
    a = (
        input
        if isinstance(input, Tensor)
        else Tensor(xp.asarray(input, dtype=_dtype.scalar_result(like._data.dtype, input)))
    )
    b = (
        other
        if isinstance(other, Tensor)
        else Tensor(xp.asarray(other, dtype=_dtype.scalar_result(like._data.dtype, other)))
    )
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"where: the condition {tuple(cond.shape)}, input {a.shape} and other {b.shape} "
            "do not broadcast"
        ) from None
    a, b = _promote_pair(a, b)
    return Tensor._apply(elementwise.Where, cond, a, b)


class _HookHandle:
    """``register_hook``'s handle, as ``torch.utils.hooks.RemovableHandle``."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Any], hook: Any) -> None:
        self.hooks, self.id = hooks, _HookHandle._next_id
        _HookHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
