"""``Dropout``: randomly zero activations in training (inverted dropout); identity in eval."""

from __future__ import annotations

from juanji.nn import functional as F
from juanji.nn.functional._checks import check_probability
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by 1 / (1 - p).

    In evaluation mode (``model.eval()``) it returns its input. The mask comes from the default
    generator (``juanji.manual_seed``); see ``juanji.nn.functional.dropout``.

    Args:
        p: probability of dropping an element, in [0, 1]. Default: 0.5.
        inplace: overwrite the input when no graph needs it. Default: False.

    Shape:
        - Input: ``(*)``, any shape
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> drop = Dropout(p=0.5).eval()
        >>> drop(juanji.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability("Dropout", "p", p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"p={self.p}, inplace={self.inplace}"
