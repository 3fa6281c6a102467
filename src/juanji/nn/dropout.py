"""``Dropout`` (+ channel-wise 1d/2d/3d, AlphaDropout): zero activations in training only."""

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
        check_probability(type(self).__name__, "p", p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Dropout):
    """Shared by the channel-wise dropouts and AlphaDropout: only ``forward`` differs."""

    _function = staticmethod(F.dropout)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return type(self)._function(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` / ``(C, L)`` input in training; see ``F.dropout1d``.

    Args as ``Dropout``. Useful after 1-D convolutions, whose neighbouring values are
    correlated so that elementwise dropout barely regularises.

    Example:
        >>> Dropout1d(0.2)
        Dropout1d(p=0.2, inplace=False)
    """

    _function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of ``(N, C, H, W)`` input in training; see ``F.dropout2d``.

    Example:
        >>> import juanji
        >>> Dropout2d().eval()(juanji.ones(1, 1, 1, 2))
        tensor([[[[1., 1.]]]])
    """

    _function = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole volumes of ``(N, C, D, H, W)`` / ``(C, D, H, W)``; see ``F.dropout3d``.

    Example:
        >>> Dropout3d()
        Dropout3d(p=0.5, inplace=False)
    """

    _function = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's mean 0 and variance 1; see ``F.alpha_dropout``.

    Example:
        >>> AlphaDropout(0.1)
        AlphaDropout(p=0.1, inplace=False)
    """

    _function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels; see ``F.feature_alpha_dropout``.

    Example:
        >>> FeatureAlphaDropout(0.2)
        FeatureAlphaDropout(p=0.2, inplace=False)
    """

    _function = staticmethod(F.feature_alpha_dropout)
