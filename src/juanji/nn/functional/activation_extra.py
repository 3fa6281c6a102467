"""The rest of PyTorch's activations: shrinkage, thresholds, RReLU, Gumbel-softmax, ``*_`` names.

::

    hardshrink(x) = x if |x| > lambd else 0
    softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0
    threshold(x)  = x if x > threshold else value
    rrelu(x)      = x if x >= 0 else a * x,  a ~ U(lower, upper) per element in training,
                    a = (lower + upper) / 2 in evaluation

Compositions of differentiable Tensor operations; the gradient is 1 where the input passes
through (and ``a`` for RReLU's negative part). The ``relu_``-style names are the in-place
forms, ``fn(input, ..., inplace=True)``, with the in-place rules of ``functional.activation``.
"""

from __future__ import annotations

from collections.abc import Callable

from juanji.autograd.grad_mode import is_grad_enabled, no_grad
from juanji.nn.functional import activation as A
from juanji.nn.functional._checks import check_float, check_tensor
from juanji.random import Generator
from juanji.tensor.creation import empty_like
from juanji.tensor.tensor import Tensor, where

__all__ = [
    "celu_",
    "elu_",
    "gumbel_softmax",
    "hardshrink",
    "hardtanh_",
    "leaky_relu_",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu_",
    "softshrink",
    "threshold",
    "threshold_",
]


def _written(fn: str, input: Tensor, compute: Callable[[Tensor], Tensor], inplace: bool) -> Tensor:
    """``compute(input)``, written into ``input`` when ``inplace`` (recorded in the graph too).

    The rules of ``functional.activation``'s in-place forms: a leaf that requires grad is
    refused, as PyTorch refuses it.
    """
    if not inplace:
        return compute(input)
    if is_grad_enabled() and input.requires_grad:
        if input.is_leaf:
            raise RuntimeError(
                f"{fn}: inplace=True on a leaf tensor that requires grad is not allowed (its "
                "old values are needed for the gradient); use inplace=False"
            )
        return input._inplace_graph(fn, compute)
    with no_grad():
        result = compute(input)
    return input._inplace(fn, result._data)


def _checked(fn: str, input: Tensor) -> None:
    check_tensor(fn, "input", input)
    check_float(fn, "input", input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0.

    Example:
        >>> import juanji
        >>> hardshrink(juanji.tensor([-1.0, 0.2, 0.6]))
        tensor([-1.0000,  0.0000,  0.6000])
    """
    _checked("hardshrink", input)
    return where(input.abs() > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` moved ``lambd`` towards 0, and 0 within ``[-lambd, lambd]``.

    Raises:
        ValueError: ``lambd < 0``.

    Example:
        >>> import juanji
        >>> softshrink(juanji.tensor([-1.0, 0.2, 0.75]))
        tensor([-0.5000,  0.0000,  0.2500])
    """
    _checked("softshrink", input)
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be in range [0, inf), but found {lambd}")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``.

    Example:
        >>> import juanji
        >>> threshold(juanji.tensor([0.5, 2.0]), 1.0, -3.0)
        tensor([-3.,  2.])
    """
    _checked("threshold", input)
    return _written("threshold", input, lambda x: where(x > threshold, x, value), inplace)


_threshold = threshold  # the function, which threshold_'s argument of the same name hides


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return _threshold(input, threshold, value, inplace=True)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Randomised leaky ReLU: negative inputs times a slope drawn from U(lower, upper).

    In evaluation (``training=False``, the default) the slope is ``(lower + upper) / 2``. The
    slopes are drawn from ``generator`` (default: the global one), so they differ from
    PyTorch's for the same seed; the law is the same.

    Example:
        >>> import juanji
        >>> rrelu(juanji.tensor([-2.0, 1.0]), 0.25, 0.75)
        tensor([-1.,  1.])
    """
    _checked("rrelu", input)
    if not training:
        return A.leaky_relu(input, (lower + upper) / 2, inplace)
    with no_grad():
        slopes = empty_like(input).uniform_(lower, upper, generator=generator)
        slopes = where(input >= 0, 1.0, slopes)
    return _written("rrelu", input, lambda x: x * slopes, inplace)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, inplace=True)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return A.relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return A.elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return A.leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return A.hardtanh(input, min_val, max_val, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return A.selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return A.celu(input, alpha, inplace=True)


def gumbel_softmax(
    logits: Tensor,
    tau: float = 1,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """A differentiable sample of a categorical distribution: ``softmax((logits + g) / tau)``.

    ``g`` is Gumbel(0, 1) noise, ``-log(E)`` with ``E ~ Exp(1)``. With ``hard``, the result is
    the one-hot vector of the largest entry in value, with the soft sample's gradient
    (the straight-through estimator). ``eps`` is unused, as in PyTorch.

    Example:
        >>> import juanji
        >>> _ = juanji.manual_seed(0)
        >>> sample = gumbel_softmax(juanji.zeros(2, 5), hard=True)
        >>> sample.sum(-1).tolist(), sorted(set(sample.flatten().tolist()))
        ([1.0, 1.0], [0.0, 1.0])
    """
    del eps
    _checked("gumbel_softmax", logits)
    with no_grad():
        uniform = empty_like(logits).uniform_(0, 1, generator=generator)
        gumbels = -(-(1 - uniform).log()).log()  # 1 - U lies in (0, 1], so -log is finite
    soft = A.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    with no_grad():  # a tie between two maxima has probability 0
        one_hot = (soft == soft.amax(dim, keepdim=True)).to(soft.dtype)
    return one_hot - soft.detach() + soft
