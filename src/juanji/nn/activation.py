"""Activation modules: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``.

Each wraps the function of the same name in ``juanji.nn.functional``, where the formulas are;
they have no parameters.
"""

from __future__ import annotations

from juanji.nn.functional import activation as F
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class ReLU(Module):
    """``max(x, 0)`` elementwise; see ``juanji.nn.functional.relu``.

    Args:
        inplace: overwrite the input when no graph needs it. Default: False.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> ReLU()(juanji.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere; see ``F.leaky_relu``.

    Args:
        negative_slope: slope for negative inputs. Default: 0.01.
        inplace: overwrite the input when no graph needs it. Default: False.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> LeakyReLU(0.2)
        LeakyReLU(negative_slope=0.2)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise; see ``F.sigmoid``.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> Sigmoid()(juanji.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent elementwise; see ``F.tanh``.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> Tanh()(juanji.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.tanh(input)


class Softmax(Module):
    """Softmax along ``dim``; see ``F.softmax``.

    Args:
        dim: the dimension that sums to 1. Give it (None uses PyTorch's deprecated implicit
            rule, with a warning).

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> Softmax(dim=1)(juanji.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log of softmax along ``dim``; see ``F.log_softmax``.

    Args:
        dim: as ``Softmax``.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> LogSoftmax(dim=1)(juanji.zeros(1, 2)).exp()
        tensor([[0.5000, 0.5000]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"dim={self.dim}"
