"""Activations: ``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``.

All are elementwise except softmax and log-softmax, which normalise along ``dim``::

    relu(x)        = max(x, 0)                 (gradient 0 at x = 0, as in PyTorch)
    leaky_relu(x)  = x if x > 0 else slope * x
    sigmoid(x)     = 1 / (1 + exp(-x))         (computed from exp(-|x|): never overflows)
    tanh(x)        = (e^x - e^-x) / (e^x + e^-x)
    softmax(x)_i   = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j (for stability)
    log_softmax(x) = x_i - m - log(sum_j exp(x_j - m))

``inplace=True`` overwrites the input when no gradient is being recorded for it. When the input
is part of a recorded graph, juanji computes out of place instead (its autograd does not track
in-place changes), and a leaf that requires grad is refused, as PyTorch refuses it.
"""

from __future__ import annotations

import warnings
from typing import Any

from juanji._ops import activation
from juanji.autograd.grad_mode import is_grad_enabled, no_grad
from juanji.nn.functional._checks import check_float, check_tensor
from juanji.tensor.tensor import Tensor


def _in_place(fn: str, input: Tensor, fn_cls: type, **params: Any) -> Tensor:
    """Apply ``fn_cls`` and write the result into ``input`` when no graph needs the old values."""
    if is_grad_enabled() and input.requires_grad:
        if input.is_leaf:
            raise RuntimeError(
                f"{fn}: inplace=True on a leaf tensor that requires grad is not allowed (its "
                "old values are needed for the gradient); use inplace=False"
            )
        return Tensor._apply(fn_cls, input, **params)
    with no_grad():
        result = Tensor._apply(fn_cls, input, **params)
    input._data[...] = result._data
    return input


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
