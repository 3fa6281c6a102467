"""``MaxUnpool1d/2d/3d`` and ``LPPool1d/2d/3d`` layers.

The arithmetic is in ``F.max_unpool2d`` and ``F.lp_pool2d`` (``juanji.nn.functional.unpool``).
"""

from __future__ import annotations

from typing import Any

from juanji.nn.functional import unpool as F_unpool
from juanji.nn.functional._checks import int_tuple
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class _MaxUnpoolNd(Module):
    _spatial_dims: int

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._spatial_dims
        self.kernel_size = int_tuple(owner, "kernel_size", kernel_size, n)
        self.stride = int_tuple(owner, "stride", kernel_size if stride is None else stride, n)
        self.padding = int_tuple(owner, "padding", padding, n, minimum=0)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        """Scatter ``input`` back to ``indices``; ``output_size`` as in ``F.max_unpool2d``."""
        fn = getattr(F_unpool, f"max_unpool{self._spatial_dims}d")
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of ``MaxPool1d(return_indices=True)``; see ``F.max_unpool2d``.

    Example:
        >>> MaxUnpool1d(2)
        MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    _spatial_dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of ``MaxPool2d(return_indices=True)``; see ``F.max_unpool2d``.

    Example:
        >>> import juanji
        >>> import juanji.nn as nn
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> y, i = pool(juanji.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]))
        >>> unpool(y, i).tolist()
        [[[[0.0, 0.0], [4.0, 0.0]]]]
    """

    _spatial_dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of ``MaxPool3d(return_indices=True)``; see ``F.max_unpool2d``.

    Example:
        >>> MaxUnpool3d(2, stride=1)
        MaxUnpool3d(kernel_size=(2, 2, 2), stride=(1, 1, 1), padding=(0, 0, 0))
    """

    _spatial_dims = 3


class _LPPoolNd(Module):
    _spatial_dims: int

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Pool ``input`` (see ``F.lp_pool2d``)."""
        fn = getattr(F_unpool, f"lp_pool{self._spatial_dims}d")
        return fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling over 1 spatial dim; see ``F.lp_pool2d``.

    Example:
        >>> LPPool1d(2, 3)
        LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
    """

    _spatial_dims = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over 2 spatial dims; see ``F.lp_pool2d``.

    Example:
        >>> import juanji
        >>> LPPool2d(2, 2)(juanji.ones(1, 1, 4, 4)).tolist()
        [[[[2.0, 2.0], [2.0, 2.0]]]]
    """

    _spatial_dims = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3 spatial dims; see ``F.lp_pool2d``.

    Example:
        >>> import juanji
        >>> LPPool3d(1, 2)(juanji.ones(1, 1, 2, 2, 2)).tolist()
        [[[[[8.0]]]]]
    """

    _spatial_dims = 3
