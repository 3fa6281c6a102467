"""Weight initialisation, with PyTorch's names, signatures and formulas (``juanji.nn.init``).

Every function fills a tensor in place (without recording a graph) and returns it. The random
ones draw from ``generator`` or, when it is None, from the default generator that
``juanji.manual_seed`` resets. The bounds and standard deviations are PyTorch's; the random
streams are NumPy's, so the values differ from PyTorch's for the same seed.

Fans of a weight of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)`` (a Linear weight ``(out, in)`` has no kernel dimensions).

Formulas (``gain`` from ``calculate_gain``):

* ``kaiming_uniform_``: U(-b, b) with ``b = gain * sqrt(3 / fan)``;
* ``kaiming_normal_``: N(0, std^2) with ``std = gain / sqrt(fan)``;
* ``xavier_uniform_``: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``;
* ``xavier_normal_``: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

PyTorch's default for ``Linear`` and ``Conv*d`` is ``kaiming_uniform_(weight, a=sqrt(5))``,
which works out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from juanji.autograd.grad_mode import no_grad
from juanji.backend import xp_of
from juanji.random import Generator
from juanji.tensor.creation import empty_like, randperm
from juanji.tensor.tensor import Tensor, where

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "zeros_",
    "ones_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "eye_",
    "dirac_",
    "orthogonal_",
    "sparse_",
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_LINEAR_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for weights feeding ``nonlinearity``.

    ``linear``/``conv*``/``sigmoid``: 1; ``tanh``: 5/3; ``relu``: sqrt(2);
    ``leaky_relu``: sqrt(2 / (1 + slope^2)) with ``slope = param`` (default 0.01); ``selu``: 3/4.

    Example:
        >>> round(calculate_gain("relu"), 4), calculate_gain("tanh")
        (1.4142, 1.6666666666666667)
    """
    if nonlinearity in _LINEAR_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``(out, in, *kernel)``; needs at least 2 dimensions."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, "
            f"got shape {tensor.shape}"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(fn: str, tensor: Any) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: tensor must be a Tensor, got {type(tensor).__name__}")


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with samples from U(a, b).

    Example:
        >>> import juanji
        >>> w = uniform_(juanji.empty(100), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    _check("uniform_", tensor)
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with samples from N(mean, std^2).

    Example:
        >>> import juanji
        >>> _ = juanji.manual_seed(0)
        >>> normal_(juanji.empty(2, 3), std=0.01).shape
        (2, 3)
    """
    _check("normal_", tensor)
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with N(mean, std^2) samples truncated to ``[a, b]`` (absolute bounds).

    Values outside ``[a, b]`` are drawn again until none is left (a few vectorised rounds: at
    most 5 % of N(0, 1) falls outside +-2), which gives the truncated normal distribution;
    PyTorch draws it by the inverse CDF instead, so the numbers differ, not the distribution.

    Example:
        >>> import juanji
        >>> w = trunc_normal_(juanji.empty(1000), std=0.01, a=-0.02, b=0.02)
        >>> bool((w.abs() <= 0.02).all())
        True
    """
    _check("trunc_normal_", tensor)
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be below b, got a={a}, b={b}")
    with no_grad():
        tensor.normal_(mean, std, generator=generator)
        for _ in range(100):
            outside = tensor.clamp(a, b) != tensor
            if not bool(outside.any()):
                return tensor
            fresh = empty_like(tensor).normal_(mean, std, generator=generator)
            tensor.copy_(where(outside, fresh, tensor))
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] is too far in the tail of N({mean}, {std}^2)"
        )


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``.

    Example:
        >>> import juanji
        >>> constant_(juanji.empty(3), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    _check("constant_", tensor)
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros.

    Example:
        >>> import juanji
        >>> zeros_(juanji.ones(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones.

    Example:
        >>> import juanji
        >>> ones_(juanji.zeros(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def _kaiming_std(fn: str, tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """``gain / sqrt(fan)``, or None (after PyTorch's warning) for a tensor with no elements."""
    _check(fn, tensor)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He initialisation, uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``.

    Args:
        tensor: the weight, at least 2-D ``(out, in, *kernel)``.
        a: negative slope of the leaky ReLU that follows (used only with ``leaky_relu``).
        mode: ``"fan_in"`` keeps the forward variance, ``"fan_out"`` the backward one.
        nonlinearity: the activation that follows, for ``calculate_gain``.
        generator: source of randomness (default: the global one).

    Returns:
        ``tensor``, filled.

    Example:
        >>> import juanji
        >>> w = kaiming_uniform_(juanji.empty(6, 1, 5, 5), a=5 ** 0.5)   # PyTorch's default
        >>> bool((w.abs() <= 1 / 25 ** 0.5).all())
        True
    """
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He initialisation, normal: N(0, std^2) with ``std = gain / sqrt(fan)``.

    Arguments as ``kaiming_uniform_``.

    Example:
        >>> import juanji
        >>> kaiming_normal_(juanji.empty(16, 6, 5, 5), mode="fan_out", nonlinearity="relu").shape
        (16, 6, 5, 5)
    """
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator=generator)


def _xavier_std(fn: str, tensor: Tensor, gain: float) -> float:
    _check(fn, tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot initialisation, uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Example:
        >>> import juanji
        >>> w = xavier_uniform_(juanji.empty(3, 5))
        >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
        True
    """
    bound = math.sqrt(3.0) * _xavier_std("xavier_uniform_", tensor, gain)
    return uniform_(tensor, -bound, bound, generator=generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot initialisation, normal: N(0, s^2) with ``s = gain * sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> import juanji
        >>> xavier_normal_(juanji.empty(3, 5)).shape
        (3, 5)
    """
    return normal_(tensor, 0.0, _xavier_std("xavier_normal_", tensor, gain), generator=generator)


def eye_(tensor: Tensor) -> Tensor:
    """Fill the 2-D ``tensor`` with the identity matrix (ones on the diagonal of a rectangle).

    Raises:
        ValueError: ``tensor`` is not 2-D.

    Example:
        >>> import juanji
        >>> eye_(juanji.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        xp = xp_of(tensor._data)
        tensor.copy_(Tensor(xp.eye(*tensor.shape, dtype=tensor._data.dtype)))
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight so that the convolution copies its input channels.

    Each group's output channel ``d`` (for ``d < min(out_per_group, in)``) gets a one at input
    channel ``d`` in the centre tap of the kernel (``k // 2`` in each dimension); the rest is 0.

    Raises:
        ValueError: ``tensor`` is not 3-, 4- or 5-D, or its dim 0 does not divide by ``groups``.

    Example:
        >>> import juanji
        >>> dirac_(juanji.empty(2, 2, 3))[:, :, 1]
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check("dirac_", tensor)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    with no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(per_group, tensor.shape[1])):
                tensor[(g * per_group + d, d, *centre)] = 1
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013).

    The tensor is seen as a matrix of ``tensor.shape[0]`` rows; a normal random matrix of that
    shape goes through a QR decomposition, whose ``Q`` (signs fixed by ``R``'s diagonal, as
    PyTorch does) has orthonormal rows or columns, whichever there are fewer of.

    Raises:
        ValueError: ``tensor`` has fewer than 2 dimensions.

    Example:
        >>> import juanji
        >>> w = orthogonal_(juanji.empty(3, 5))
        >>> bool(((w @ w.t() - juanji.eye(3)).abs() < 1e-5).all())
        True
    """
    _check("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)._data
        xp = xp_of(flat)
        if rows < cols:
            flat = flat.T
        q, r = xp.linalg.qr(flat)
        q = q * xp.sign(xp.diagonal(r))
        if rows < cols:
            q = q.T
        tensor.copy_(Tensor(xp.ascontiguousarray(q * gain).reshape(tensor.shape)))
    return tensor


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """Fill the 2-D ``tensor`` from N(0, std^2) and zero ``ceil(sparsity * rows)`` per column.

    The zeroed rows of each column are drawn at random (Martens 2010).

    Raises:
        ValueError: ``tensor`` is not 2-D.

    Example:
        >>> import juanji
        >>> w = sparse_(juanji.empty(10, 4), sparsity=0.3)
        >>> (w == 0).sum(0).tolist()
        [3, 3, 3, 3]
    """
    _check("sparse_", tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            chosen = randperm(rows, generator=generator)[:zeros]
            tensor[chosen, col] = 0
    return tensor


def _deprecated(method: Any) -> Any:
    """The old name of ``method`` (without the trailing underscore), with PyTorch's warning."""
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return method(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"Deprecated: ``{new_name}`` under its old name (warns)."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)


def _default_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default for Linear and Conv layers.

    Weight: ``kaiming_uniform_(a=sqrt(5))``; bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0  # an empty layer: zeros, as PyTorch
        uniform_(bias, -bound, bound)
