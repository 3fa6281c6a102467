"""``Fold`` and ``Unfold``: the modules of ``F.fold`` (col2im) and ``F.unfold`` (im2col)."""

from __future__ import annotations

from typing import Any

from juanji.nn.functional.conv import fold, unfold
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class Fold(Module):
    """Sum sliding-window columns back into an image: ``(N, C*prod(k), L) -> (N, C, *size)``.

    Example:
        >>> import juanji
        >>> Fold(output_size=(3, 3), kernel_size=2)(juanji.ones(1, 4, 4))
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """

    def __init__(
        self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
        stride: Any = 1,
    ) -> None:  # fmt: skip
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )


class Unfold(Module):
    """Extract sliding windows as columns: ``(N, C, *size) -> (N, C*prod(k), L)``.

    Example:
        >>> import juanji
        >>> Unfold(kernel_size=2)(juanji.zeros(1, 3, 4, 4)).shape
        (1, 12, 9)
    """

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = (
            kernel_size, dilation, padding, stride,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )
