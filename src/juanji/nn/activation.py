"""Activation modules: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``.

Each wraps the function of the same name in ``juanji.nn.functional``, where the formulas are;
they have no parameters.
"""

from __future__ import annotations

from typing import Any

from juanji.nn import init as nn_init
from juanji.nn.functional import activation as F
from juanji.nn.functional import activation_extra as FX
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
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


# ---------------------------------------------------------------------- the pointwise family
class _Settings(Module):
    """A parameter-free activation: ``forward`` calls ``_function(input, *settings)``.

    ``_shown`` names the settings, in the functional's argument order; ``repr`` shows them as
    ``name=value`` and adds ``inplace=True`` when set, as PyTorch's modules do.
    """

    _shown: tuple[str, ...] = ()
    inplace = False

    @staticmethod
    def _function(input: Tensor, *args: Any) -> Tensor:  # noqa: A002
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        args = [getattr(self, name) for name in self._shown]
        if self.inplace:
            return type(self)._function(input, *args, inplace=True)
        return type(self)._function(input, *args)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        shown = [f"{name}={getattr(self, name)!r}" for name in self._shown]
        return ", ".join(shown + (["inplace=True"] if self.inplace else []))


class Hardtanh(_Settings):
    """``clip(x, min_val, max_val)``; see ``F.hardtanh``.

    Args:
        min_val: lower end of the linear range. Default: -1.
        max_val: upper end. Default: 1.
        inplace: overwrite the input when no graph needs it. Default: False.

    Shape:
        - Input: ``(*)``; Output: the same shape

    Example:
        >>> Hardtanh(-2.0, 2.0)
        Hardtanh(min_val=-2.0, max_val=2.0)
    """

    _shown = ("min_val", "max_val")
    _function = staticmethod(F.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val < min_val:
            raise ValueError(
                f"Hardtanh: max_val ({max_val}) must not be less than min_val ({min_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class ReLU6(_Settings):
    """``min(max(x, 0), 6)``; see ``F.relu6``.

    Args:
        inplace: overwrite the input when no graph needs it. Default: False.

    Example:
        >>> import juanji
        >>> ReLU6()(juanji.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    _function = staticmethod(F.relu6)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class GELU(_Settings):
    """Gaussian error linear unit; see ``F.gelu``.

    Args:
        approximate: ``'none'`` (exact, with erf) or ``'tanh'``. Default: ``'none'``.

    Example:
        >>> GELU("tanh")
        GELU(approximate='tanh')
    """

    _shown = ("approximate",)
    _function = staticmethod(F.gelu)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate


class SiLU(ReLU6):
    """``x * sigmoid(x)``; see ``F.silu``. Args as ``ReLU6``.

    Example:
        >>> SiLU()
        SiLU()
    """

    _function = staticmethod(F.silu)


class Mish(ReLU6):
    """``x * tanh(softplus(x))``; see ``F.mish``. Args as ``ReLU6``.

    Example:
        >>> Mish()
        Mish()
    """

    _function = staticmethod(F.mish)


class Hardswish(ReLU6):
    """``x * relu6(x + 3) / 6``; see ``F.hardswish``. Args as ``ReLU6``.

    Example:
        >>> Hardswish()
        Hardswish()
    """

    _function = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        """Nothing: PyTorch's repr does not show ``inplace`` for this layer."""
        return ""


class Hardsigmoid(ReLU6):
    """``relu6(x + 3) / 6``; see ``F.hardsigmoid``. Args as ``ReLU6``.

    Example:
        >>> Hardsigmoid()
        Hardsigmoid()
    """

    _function = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        """Nothing: PyTorch's repr does not show ``inplace`` for this layer."""
        return ""


class SELU(ReLU6):
    """Scaled ELU with the self-normalising constants; see ``F.selu``. Args as ``ReLU6``.

    Example:
        >>> SELU()
        SELU()
    """

    _function = staticmethod(F.selu)


class ELU(_Settings):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere; see ``F.elu``.

    Args:
        alpha: the negative saturation value. Default: 1.
        inplace: overwrite the input when no graph needs it. Default: False.

    Example:
        >>> ELU()
        ELU(alpha=1.0)
    """

    _shown = ("alpha",)
    _function = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; see ``F.celu``. Args as ``ELU``.

    Example:
        >>> CELU(0.5)
        CELU(alpha=0.5)
    """

    _function = staticmethod(F.celu)


class Softplus(_Settings):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``; see ``F.softplus``.

    Args:
        beta: sharpness. Default: 1.
        threshold: above ``beta * x > threshold`` the output is ``x``. Default: 20.

    Example:
        >>> Softplus()
        Softplus(beta=1.0, threshold=20.0)
    """

    _shown = ("beta", "threshold")
    _function = staticmethod(F.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold


class Softsign(_Settings):
    """``x / (1 + |x|)``; see ``F.softsign``.

    Example:
        >>> Softsign()
        Softsign()
    """

    _function = staticmethod(F.softsign)


class LogSigmoid(_Settings):
    """``log(sigmoid(x))``; see ``F.logsigmoid``.

    Example:
        >>> LogSigmoid()
        LogSigmoid()
    """

    _function = staticmethod(F.logsigmoid)


class Tanhshrink(_Settings):
    """``x - tanh(x)``; see ``F.tanhshrink``.

    Example:
        >>> Tanhshrink()
        Tanhshrink()
    """

    _function = staticmethod(F.tanhshrink)


class Softmin(Softmax):
    """``softmax(-x)`` along ``dim``; see ``F.softmin``. Args as ``Softmax``.

    Example:
        >>> Softmin(dim=1)
        Softmin(dim=1)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.softmin(input, self.dim)


class GLU(_Settings):
    """Gated linear unit over the halves of ``dim``; see ``F.glu``.

    Args:
        dim: the dimension to halve. Default: -1.

    Shape:
        - Input: ``(*, 2 M, *)``; Output: ``(*, M, *)``

    Example:
        >>> GLU()
        GLU(dim=-1)
    """

    _shown = ("dim",)
    _function = staticmethod(F.glu)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class PReLU(Module):
    """``x`` where positive, ``weight * x`` elsewhere, with a learned slope; see ``F.prelu``.

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of channels.
        init: the initial slope. Default: 0.25.
        device, dtype: of the parameter.

    Attributes:
        weight: ``(num_parameters,)``, filled with ``init``.

    Example:
        >>> PReLU(3)
        PReLU(num_parameters=3)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(
                f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}"
            )
        self.num_parameters = num_parameters
        self.init = init
        self.weight = _uninitialised((num_parameters,), dtype, device, "PReLU")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill ``weight`` with ``init``."""
        nn_init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"num_parameters={self.num_parameters}"


class Hardshrink(Module):
    """``x`` where ``|x| > lambd`` (default 0.5), else 0; see ``F.hardshrink``.

    Example:
        >>> Hardshrink()
        Hardshrink(0.5)
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return FX.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x`` moved ``lambd`` (default 0.5) towards 0, 0 in between; see ``F.softshrink``.

    Example:
        >>> Softshrink(1.0)
        Softshrink(1.0)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return FX.softshrink(input, self.lambd)


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``; see ``F.threshold``.

    Example:
        >>> Threshold(0.1, 20.0)
        Threshold(threshold=0.1, value=20.0)
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return FX.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class RReLU(Module):
    """Randomised leaky ReLU: slopes from U(lower, upper) in training, their mean in eval.

    See ``F.rrelu``.

    Example:
        >>> RReLU(0.1, 0.3)
        RReLU(lower=0.1, upper=0.3)
    """

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return FX.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"


class Softmax2d(Module):
    """Softmax over the channels of each pixel: ``(N, C, H, W)`` or ``(C, H, W)``.

    Raises:
        ValueError: input that is neither 3-D nor 4-D.

    Example:
        >>> import juanji
        >>> Softmax2d()(juanji.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)
