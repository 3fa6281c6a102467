"""``Parameter``: a Tensor that a ``Module`` registers as trainable when assigned to it."""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji import _dtype
from juanji.backend import as_device, to_device
from juanji.tensor.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``requires_grad=True`` by default.

    Assigning a Parameter to an attribute of a ``Module`` (``self.weight = Parameter(...)``)
    registers it, so it appears in ``parameters()`` and ``state_dict()``. It shares memory with
    the tensor it wraps, as in PyTorch.

    Args:
        data: the initial values (a Tensor or array); None gives an empty float tensor.
        requires_grad: whether gradients are computed for it. Default: True.

    Example:
        >>> import juanji
        >>> Parameter(juanji.ones(2))
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=_dtype.get_default_dtype().np_dtype)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _uninitialised(shape: tuple[int, ...], dtype: Any, device: Any, owner: str) -> Parameter:
    """A zero-filled Parameter of ``shape`` for a layer to initialise in ``reset_parameters``.

    ``dtype`` (default: the default float dtype) must be floating point, since parameters are
    trained by gradients.
    """
    kind = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype, owner)
    if not kind.is_floating_point:
        raise TypeError(f"{owner}: dtype must be a floating-point dtype, got {kind}")
    array = np.zeros(shape, dtype=kind.np_dtype)
    if device is not None:
        array = to_device(array, as_device(device))
    return Parameter(array)


_UNINITIALISED = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
    "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
    "one. Call `forward` to initialize the parameters before accessing their attributes."
)


class _UninitializedMixin:
    """A placeholder tensor of a lazy module: no shape until ``materialize`` gives it one.

    It holds an empty array of its future dtype and device (so ``module.double()`` before the
    first forward still decides the dtype). ``materialize`` fills in the array and turns the
    object into ``cls_to_become`` in place, so an optimiser built before the first forward
    holds the very object that gets trained, as in PyTorch.
    """

    cls_to_become: type = Tensor
    _data: Any

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        """Give the tensor an (uninitialised) array of ``shape`` and its final class."""
        array = self._data
        kind = array.dtype if dtype is None else _dtype.as_dtype(dtype, "materialize").np_dtype
        new = np.empty(tuple(shape), dtype=kind)
        if device is not None:
            new = to_device(new, as_device(device))
        self._data = new
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> tuple[int, ...]:
        raise RuntimeError(_UNINITIALISED)

    def size(self, dim: int | None = None) -> Any:
        raise RuntimeError(_UNINITIALISED)

    def numel(self) -> int:
        raise RuntimeError(_UNINITIALISED)

    def detach(self) -> Any:
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A ``Parameter`` whose shape is not known yet (lazy modules); see ``LazyLinear``.

    Example:
        >>> UninitializedParameter()
        <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        kind = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype, "lazy")
        array = np.empty((0,), dtype=kind.np_dtype)
        if device is not None:
            array = to_device(array, as_device(device))
        super().__init__(array, requires_grad=requires_grad)


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is not known yet (lazy modules); becomes a plain Tensor.

    Example:
        >>> UninitializedBuffer()
        <UninitializedBuffer>
    """

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        kind = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype, "lazy")
        array = np.empty((0,), dtype=kind.np_dtype)
        if device is not None:
            array = to_device(array, as_device(device))
        super().__init__(array, requires_grad=requires_grad)


def is_lazy(value: Any) -> bool:
    """Whether ``value`` is an uninitialised parameter or buffer (PyTorch's ``is_lazy``)."""
    return isinstance(value, _UninitializedMixin)


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for the tensors ``Buffer(...)`` returns."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Mark a tensor as a buffer: assigned to a module attribute, it is registered as one.

    ``Buffer(data)`` returns a detached Tensor carrying the mark and ``persistent`` (whether
    ``state_dict`` saves it), as PyTorch's ``nn.Buffer`` does; ``self.x = Buffer(t)`` is then
    ``self.register_buffer("x", t, persistent)``.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> m = nn.Module()
        >>> m.counts = Buffer(juanji.zeros(3))
        >>> m.cache = Buffer(juanji.zeros(1), persistent=False)
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['counts', 'cache'], ['counts'])
    """

    def __new__(cls, data: Any = None, *, persistent: bool = True) -> Any:  # noqa: D102
        if data is None:
            data = np.zeros((0,), dtype=_dtype.get_default_dtype().np_dtype)
        tensor = data.detach() if isinstance(data, Tensor) else Tensor(data)
        tensor._is_buffer = True
        tensor.persistent = persistent
        return tensor
