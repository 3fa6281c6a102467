"""Activations: ``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``.

All are elementwise except softmax and log-softmax, which normalise along ``dim``::

    relu(x)        = max(x, 0)                 (gradient 0 at x = 0, as in PyTorch)
    leaky_relu(x)  = x if x > 0 else slope * x
    sigmoid(x)     = 1 / (1 + exp(-x))         (computed from exp(-|x|): never overflows)
    tanh(x)        = (e^x - e^-x) / (e^x + e^-x)
    softmax(x)_i   = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j (for stability)
    log_softmax(x) = x_i - m - log(sum_j exp(x_j - m))

``inplace=True`` overwrites the input, as in PyTorch: inside a recorded graph the write is
recorded too (the tensor's version counter catches a node that still needed the old values),
and a leaf that requires grad is refused, as PyTorch refuses it.
"""

from __future__ import annotations

import warnings
from typing import Any

from juanji._ops import activation
from juanji.autograd.grad_mode import is_grad_enabled, no_grad
from juanji.nn.functional._checks import check_float, check_same_dtype, check_tensor
from juanji.tensor.tensor import Tensor


def _in_place(fn: str, input: Tensor, fn_cls: type, **params: Any) -> Tensor:
    """Apply ``fn_cls`` and write the result into ``input``, recording the write in the graph."""
    if is_grad_enabled() and input.requires_grad:
        if input.is_leaf:
            raise RuntimeError(
                f"{fn}: inplace=True on a leaf tensor that requires grad is not allowed (its "
                "old values are needed for the gradient); use inplace=False"
            )
        return input._inplace_graph(fn, lambda old: Tensor._apply(fn_cls, old, **params))
    with no_grad():
        result = Tensor._apply(fn_cls, input, **params)
    return input._inplace(fn, result._data)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit, ``max(x, 0)``, elementwise.

    Args:
        input: any shape.
        inplace: overwrite ``input`` (see the module docstring).

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> import juanji
        >>> relu(juanji.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    check_tensor("relu", "input", input)
    if inplace:
        return _in_place("relu", input, activation.ReLU)
    return Tensor._apply(activation.ReLU, input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        input: floating point, any shape.
        negative_slope: slope for negative inputs. Default: 0.01.
        inplace: overwrite ``input`` (see the module docstring).

    Example:
        >>> import juanji
        >>> leaky_relu(juanji.tensor([-2.0, 3.0]), 0.5)
        tensor([-1.,  3.])
    """
    check_tensor("leaky_relu", "input", input)
    check_float("leaky_relu", "input", input)
    if not isinstance(negative_slope, (int, float)) or isinstance(negative_slope, bool):
        raise TypeError(
            f"leaky_relu: negative_slope must be a number, got {type(negative_slope).__name__}"
        )
    slope = float(negative_slope)
    if inplace:
        return _in_place("leaky_relu", input, activation.LeakyReLU, negative_slope=slope)
    return Tensor._apply(activation.LeakyReLU, input, negative_slope=slope)


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``, elementwise (integer input gives float32).

    Example:
        >>> import juanji
        >>> sigmoid(juanji.tensor([0.0]))
        tensor([0.5000])
    """
    check_tensor("sigmoid", "input", input)
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise (integer input gives float32).

    Example:
        >>> import juanji
        >>> tanh(juanji.tensor([0.0]))
        tensor([0.])
    """
    check_tensor("tanh", "input", input)
    return input.tanh()


def _softmax_input(fn: str, input: Tensor, dim: int | None, dtype: Any) -> tuple[Tensor, int]:
    check_tensor(fn, "input", input)
    x = input if dtype is None else input.to(dtype)
    check_float(fn, "input", x)
    if dim is None:
        # PyTorch's deprecated implicit choice, kept for portability: dim 0 for 0-, 1- and 3-D
        # input, else dim 1.
        dim = 0 if x.ndim in (0, 1, 3) else 1
        warnings.warn(
            f"Implicit dimension choice for {fn} has been deprecated. Change the call to include "
            f"dim={dim} as an argument.",
            UserWarning,
            stacklevel=3,
        )
    return x, dim


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """Normalise ``exp(x)`` along ``dim`` so that it sums to 1.

    Args:
        input: floating point, any shape.
        dim: the dimension to normalise. Give it: without it PyTorch's deprecated implicit rule
            (dim 0 for 0-, 1- and 3-D input, else 1) is used, with a warning.
        dtype: cast the input to this dtype first.

    Example:
        >>> import juanji
        >>> softmax(juanji.tensor([[0.0, 0.0]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    x, dim = _softmax_input("softmax", input, dim, dtype)
    return x.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed without overflow or log(0).

    Arguments as ``softmax``.

    Example:
        >>> import juanji
        >>> log_softmax(juanji.tensor([[0.0, 0.0]]), dim=1).exp()
        tensor([[0.5000, 0.5000]])
    """
    x, dim = _softmax_input("log_softmax", input, dim, dtype)
    return x.log_softmax(dim)


# ---------------------------------------------------------------------- the pointwise family
def _pointwise(fn: str, input: Tensor, op: type, inplace: bool = False, **params: Any) -> Tensor:
    check_tensor(fn, "input", input)
    check_float(fn, "input", input)
    for name, value in params.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    params = {name: float(value) for name, value in params.items()}
    if inplace:
        return _in_place(fn, input, op, **params)
    return Tensor._apply(op, input, **params)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clip(x, min_val, max_val)``; the gradient is 1 strictly inside the range, else 0.

    Example:
        >>> import juanji
        >>> hardtanh(juanji.tensor([-2.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if (
        isinstance(min_val, (int, float))
        and isinstance(max_val, (int, float))
        and (max_val < min_val)
    ):
        raise ValueError(f"hardtanh: max_val ({max_val}) must not be less than min_val ({min_val})")
    return _pointwise(
        "hardtanh", input, activation.Hardtanh, inplace, min_val=min_val, max_val=max_val
    )


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)``.

    Example:
        >>> import juanji
        >>> relu6(juanji.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    return _pointwise("relu6", input, activation.Hardtanh, inplace, min_val=0.0, max_val=6.0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example:
        >>> import juanji
        >>> gelu(juanji.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _pointwise("gelu", input, activation.GELU, approximate=int(approximate == "tanh"))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> import juanji
        >>> silu(juanji.tensor([0.0]))
        tensor([0.])
    """
    return _pointwise("silu", input, activation.SiLU, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``.

    Example:
        >>> import juanji
        >>> mish(juanji.tensor([0.0]))
        tensor([0.])
    """
    return _pointwise("mish", input, activation.Mish, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNetV3).

    Example:
        >>> import juanji
        >>> hardswish(juanji.tensor([-4.0, 3.0]))
        tensor([-0.,  3.])
    """
    return _pointwise("hardswish", input, activation.Hardswish, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``.

    Example:
        >>> import juanji
        >>> hardsigmoid(juanji.tensor([0.0]))
        tensor([0.5000])
    """
    return _pointwise("hardsigmoid", input, activation.Hardsigmoid, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Example:
        >>> import juanji
        >>> elu(juanji.tensor([1.0, 0.0]))
        tensor([1., 0.])
    """
    return _pointwise(
        "elu", input, activation.ELU, inplace, alpha=alpha, scale=1.0, input_scale=1.0
    )


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants (1.0507..., 1.6732...).

    Example:
        >>> import juanji
        >>> selu(juanji.tensor([1.0]))
        tensor([1.0507])
    """
    return _pointwise(
        "selu",
        input,
        activation.ELU,
        inplace,
        alpha=_SELU_ALPHA,
        scale=_SELU_SCALE,
        input_scale=1.0,
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import juanji
        >>> celu(juanji.tensor([2.0]))
        tensor([2.])
    """
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    return _pointwise(
        "celu",
        input,
        activation.ELU,
        inplace,
        alpha=alpha,
        scale=1.0,
        input_scale=1.0 / alpha if isinstance(alpha, (int, float)) else alpha,
    )


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``.

    Example:
        >>> import juanji
        >>> softplus(juanji.tensor([0.0]))
        tensor([0.6931])
    """
    return _pointwise("softplus", input, activation.Softplus, beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> import juanji
        >>> softsign(juanji.tensor([1.0]))
        tensor([0.5000])
    """
    return _pointwise("softsign", input, activation.Softsign)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, finite for every x.

    Example:
        >>> import juanji
        >>> logsigmoid(juanji.tensor([-200.0]))
        tensor([-200.])
    """
    return _pointwise("logsigmoid", input, activation.LogSigmoid)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    Example:
        >>> import juanji
        >>> tanhshrink(juanji.tensor([0.0]))
        tensor([0.])
    """
    return _pointwise("tanhshrink", input, activation.Tanhshrink)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``softmax(-x)`` along ``dim``; arguments as ``softmax``.

    Example:
        >>> import juanji
        >>> softmin(juanji.tensor([[0.0, 0.0]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    x, dim = _softmax_input("softmin", input, dim, dtype)
    return (-x).softmax(dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the halves of ``input`` along ``dim``.

    Example:
        >>> import juanji
        >>> glu(juanji.tensor([2.0, 0.0]))
        tensor([1.])
    """
    check_tensor("glu", "input", input)
    check_float("glu", "input", input)
    if input.ndim == 0:
        raise ValueError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for a {input.ndim}-D input")
    axis = dim % input.ndim
    if input.shape[axis] % 2:
        raise ValueError(
            f"glu: halving dimension must be even, but dimension {axis} is size {input.shape[axis]}"
        )
    return Tensor._apply(activation.GLU, input, dim=axis)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere, one weight per channel (dimension 1).

    ``weight`` has one element (shared) or ``input.shape[1]`` elements.

    Example:
        >>> import juanji
        >>> prelu(juanji.tensor([[-2.0, 3.0]]), juanji.tensor([0.25]))
        tensor([[-0.5000,  3.0000]])
    """
    check_tensor("prelu", "input", input)
    check_tensor("prelu", "weight", weight)
    check_float("prelu", "input", input)
    check_same_dtype("prelu", input=input, weight=weight)
    count = weight.numel()
    if count != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.ndim != 1 or count != channels:
            raise ValueError(
                f"prelu: mismatch of parameter numbers and input channel size: "
                f"weight has {count} elements and input has {channels} channels "
                f"(dimension 1 of shape {input.shape})"
            )
    return Tensor._apply(activation.PReLU, input, weight)
