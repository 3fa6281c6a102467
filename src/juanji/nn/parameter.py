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
