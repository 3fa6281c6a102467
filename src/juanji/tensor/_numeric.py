"""Tensor methods on numbers and bits.

Bitwise operations and shifts, ``isclose``, ``copysign``, ``fmax``/``fmin``, ``float_power``,
``ldexp``, ``heaviside``, ``gcd``/``lcm``, ``nonzero``/``argwhere``, ``bincount``, ``histc``,
``unique``. The differentiable ones (``copysign``, ``fmax``, ``float_power``, ``ldexp``) compose
differentiable methods; the rest return integers or bools, which carry no gradient.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji.backend import xp_of
from juanji.random import sample
from juanji.tensor._args import dim_index
from juanji.tensor._base import TensorBase
from juanji.tensor._pointwise import _inplace_of

if TYPE_CHECKING:
    from typing_extensions import Self


def _raw(value: Any) -> Any:
    return value._data if hasattr(value, "_ctx") else value


def _with_extras(
    tensor: Any, values: Any, inverse: Any, counts: Any, with_inverse: bool, with_counts: bool
) -> Any:
    out = [tensor._wrap(np.ascontiguousarray(values))]
    if with_inverse:
        out.append(tensor._wrap(np.asarray(inverse, np.int64)))
    if with_counts:
        out.append(tensor._wrap(np.asarray(counts, np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


class NumericMethods(TensorBase):
    """Bits, NaN-aware extremes, exact comparisons, counting and uniqueness."""

    __slots__ = ()

    # ------------------------------------------------------------------ bits
    def _bits(self, other: Any, fn: str, ufunc: str) -> Self:
        b = _raw(other)
        kinds = (self._data.dtype.kind, getattr(b, "dtype", np.asarray(b).dtype).kind)
        if any(k not in "biu" for k in kinds):
            raise RuntimeError(f"{fn}: not implemented for floating-point tensors ({self.dtype})")
        out = getattr(xp_of(self._data), ufunc)(self._data, b)
        if not hasattr(other, "_ctx") and out.dtype != self._data.dtype and kinds[0] != "b":
            out = out.astype(self._data.dtype)  # a Python int keeps the tensor's dtype
        return self._wrap(out)

    def bitwise_and(self, other: Any) -> Self:
        """Elementwise AND of the bits (integer and bool tensors)."""
        return self._bits(other, "bitwise_and", "bitwise_and")

    def bitwise_or(self, other: Any) -> Self:
        """Elementwise OR of the bits."""
        return self._bits(other, "bitwise_or", "bitwise_or")

    def bitwise_xor(self, other: Any) -> Self:
        """Elementwise XOR of the bits."""
        return self._bits(other, "bitwise_xor", "bitwise_xor")

    def bitwise_left_shift(self, other: Any) -> Self:
        """``self << other``."""
        return self._bits(other, "bitwise_left_shift", "left_shift")

    def bitwise_right_shift(self, other: Any) -> Self:
        """``self >> other`` (arithmetic for signed integers)."""
        return self._bits(other, "bitwise_right_shift", "right_shift")

    def bitwise_not(self) -> Self:
        """Elementwise NOT of the bits (logical NOT for bool)."""
        if self._data.dtype.kind not in "biu":
            raise RuntimeError(f"bitwise_not: not implemented for {self.dtype}")
        return self._wrap(xp_of(self._data).invert(self._data))

    bitwise_and_, bitwise_or_ = _inplace_of("bitwise_and"), _inplace_of("bitwise_or")
    bitwise_xor_, bitwise_not_ = _inplace_of("bitwise_xor"), _inplace_of("bitwise_not")
    bitwise_left_shift_ = _inplace_of("bitwise_left_shift")
    bitwise_right_shift_ = _inplace_of("bitwise_right_shift")

    def gcd(self, other: Any) -> Self:
        """Greatest common divisor (integer tensors)."""
        return self._integers(other, "gcd")

    def lcm(self, other: Any) -> Self:
        """Least common multiple (integer tensors)."""
        return self._integers(other, "lcm")

    def _integers(self, other: Any, fn: str) -> Self:
        b = _raw(other)
        if self._data.dtype.kind not in "iu" or getattr(b, "dtype", np.dtype(int)).kind not in "iu":
            raise RuntimeError(f"{fn}: not implemented for {self.dtype} (integers only)")
        out = getattr(xp_of(self._data), fn)(self._data, b)
        return self._wrap(out.astype(np.result_type(self._data, b), copy=False))

    gcd_, lcm_ = _inplace_of("gcd"), _inplace_of("lcm")

    # ------------------------------------------------------------------ numbers
    def isclose(
        self,
        other: Any,
        rtol: builtins.float = 1e-05,
        atol: builtins.float = 1e-08,
        equal_nan: builtins.bool = False,
    ) -> Self:
        """Where ``|self - other| <= atol + rtol * |other|`` (bool)."""
        if self.dtype != other.dtype:
            raise RuntimeError(
                f"isclose: {self.dtype} did not match {other.dtype}; both must have one dtype"
            )
        out = np.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
        return self._wrap(np.asarray(out))

    def copysign(self, other: Any) -> Self:
        """``|self|`` with the sign (bit) of ``other``."""
        if hasattr(other, "_ctx"):
            negative = other.signbit()
        else:
            negative = self._wrap(xp_of(self._data).asarray(np.signbit(other)))
        magnitude = self._float().abs()
        return magnitude.where(~negative, -magnitude)

    def fmax(self, other: Any) -> Self:
        """Elementwise maximum that ignores NaN (NaN only where both are)."""
        return self._nan_aware(other, True)

    def fmin(self, other: Any) -> Self:
        """Elementwise minimum that ignores NaN (NaN only where both are)."""
        return self._nan_aware(other, False)

    def _nan_aware(self, other: Any, largest: builtins.bool) -> Self:
        pick = self.maximum(other) if largest else self.minimum(other)
        if not pick.is_floating_point():
            return pick
        out = pick.where(~self.isnan(), other)
        return out.where(~other.isnan(), self)

    def float_power(self, exponent: Any) -> Self:
        """``self ** exponent`` computed in float64."""
        base = self.to(np.float64)
        return base.pow(exponent.to(np.float64) if hasattr(exponent, "_ctx") else exponent)

    def ldexp(self, other: Any) -> Self:
        """``self * 2 ** other``."""
        return self._float() * (2.0 ** other._float() if hasattr(other, "_ctx") else 2.0**other)

    def heaviside(self, values: Any) -> Self:
        """0 below zero, 1 above, ``values`` at zero."""
        if self.dtype != values.dtype:
            raise RuntimeError(
                f"heaviside: input ({self.dtype}) and values ({values.dtype}) must have the "
                "same dtype"
            )
        xp = xp_of(self._data)
        step = xp.where(self._data == 0, values._data, self._data > 0)  # NaN gives 0
        return self._wrap(step.astype(self._data.dtype))

    def float_power_(self, exponent: Any) -> Self:
        """In-place ``float_power``: only a float64 tensor can hold its result."""
        if self._data.dtype != np.float64:
            raise RuntimeError(
                f"float_power_: the base has dtype {self.dtype} but the result requires float64"
            )
        return self._float_power_(exponent)

    _float_power_, ldexp_, copysign_ = (
        _inplace_of("float_power"),
        _inplace_of("ldexp", True),
        _inplace_of("copysign", True),
    )
    heaviside_ = _inplace_of("heaviside")

    # ------------------------------------------------------------------ counting
    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        """The indices of the nonzero elements: an ``(n, ndim)`` int64 tensor, or a tuple."""
        data = self._data if self.ndim else self._data.reshape(1)
        where = [self._wrap(w.astype(np.int64)) for w in np.nonzero(data)]
        if as_tuple:
            return tuple(where)
        if self.ndim == 0:
            return self._wrap(np.zeros((len(where[0]), 0), np.int64))
        return self._wrap(np.stack([w._data for w in where], 1))

    def argwhere(self) -> Self:
        """``nonzero()``: the indices of the nonzero elements, one row each."""
        return self.nonzero()

    def bincount(self, weights: Any = None, minlength: builtins.int = 0) -> Self:
        """How often each value of a 1-D non-negative integer tensor occurs."""
        if self.ndim != 1 or self._data.dtype.kind not in "iu":
            raise RuntimeError("bincount: expected a 1-D tensor of non-negative integers")
        if self.numel() and self._data.min() < 0:
            raise RuntimeError("bincount: input values must be non-negative")
        if minlength < 0:
            raise RuntimeError("bincount: minlength should be >= 0")
        w = None if weights is None else weights._data
        out = np.bincount(self._data, weights=w, minlength=minlength)
        if weights is None:
            return self._wrap(out.astype(np.int64))
        return self._wrap(out.astype(np.float64 if w.dtype.kind != "f" else w.dtype))

    def histc(
        self,
        bins: builtins.int = 100,
        min: Any = 0,
        max: Any = 0,  # noqa: A002
    ) -> Self:
        """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range if equal)."""
        if not self.is_floating_point():
            raise RuntimeError(f"histc: not implemented for {self.dtype}")
        if bins <= 0:
            raise RuntimeError(f"histc: bins must be > 0, got {bins}")
        data = self._data.reshape(-1)
        low, high = builtins.float(min), builtins.float(max)
        if low == high and data.size:
            low, high = builtins.float(data.min()), builtins.float(data.max())
        if low == high:
            low, high = low - 1, high + 1
        if not (np.isfinite(low) and np.isfinite(high)):
            raise RuntimeError(f"histc: range of [{low}, {high}] is not finite")
        if low > high:
            raise RuntimeError(f"histc: max ({max}) must be larger than min ({min})")
        inside = data[(data >= low) & (data <= high)]
        counts, _ = np.histogram(inside, bins=bins, range=(low, high))
        return self._wrap(counts.astype(self._data.dtype))

    def unique(
        self,
        sorted: builtins.bool = True,  # noqa: A002 - PyTorch's name
        return_inverse: builtins.bool = False,
        return_counts: builtins.bool = False,
        dim: int | None = None,
    ) -> Any:
        """The distinct values (sorted), or the distinct slices along ``dim``.

        With ``return_inverse``/``return_counts``, also where each element went and how often
        each value occurs.
        """
        data = np.asarray(self._data)
        if dim is None:
            values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
            inverse = inverse.reshape(self.shape)
        else:
            d = dim_index(dim, max(self.ndim, 1), "unique")
            values, inverse, counts = np.unique(
                data, return_inverse=True, return_counts=True, axis=d
            )
            inverse = inverse.reshape(-1)
        return _with_extras(self, values, inverse, counts, return_inverse, return_counts)

    def unique_consecutive(
        self,
        return_inverse: builtins.bool = False,
        return_counts: builtins.bool = False,
        dim: int | None = None,
    ) -> Any:
        """Drop each element (slice along ``dim``) equal to the one before it."""
        data = np.asarray(self._data)
        if dim is None:
            flat = data.reshape(-1)
            starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else flat > 0
            values, shape = flat[starts], self.shape
        else:
            d = dim_index(dim, max(self.ndim, 1), "unique_consecutive")
            moved = np.moveaxis(data, d, 0).reshape(data.shape[d], -1)
            change = (moved[1:] != moved[:-1]).any(axis=1)
            starts = np.concatenate([[True], change]) if moved.shape[0] else change
            values = np.compress(starts, data, axis=d)
            shape = (data.shape[d],)
        inverse = (np.cumsum(starts) - 1).reshape(shape)
        counts = np.diff(np.append(np.flatnonzero(starts), starts.size))
        return _with_extras(self, values, inverse, counts, return_inverse, return_counts)

    # ------------------------------------------------------------------ random fills
    def _draw(self, name: str, method: str, **kwargs: Any) -> Any:
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"{name}: not implemented for {self.dtype} (floats only)")
        generator = kwargs.pop("generator", None)
        return sample(generator, method, self.shape, self._data.dtype, **kwargs)

    def exponential_(self, lambd: builtins.float = 1.0, *, generator: Any = None) -> Self:
        """Fill with samples of the exponential distribution of rate ``lambd``."""
        if lambd <= 0:
            raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
        values = self._draw("exponential_", "exponential", scale=1 / lambd, generator=generator)
        return self._put("exponential_", Ellipsis, values)

    def geometric_(self, p: builtins.float, *, generator: Any = None) -> Self:
        """Fill with the number of Bernoulli(``p``) trials up to the first success."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
        values = self._draw("geometric_", "geometric", p=p, generator=generator)
        return self._put("geometric_", Ellipsis, values)

    def log_normal_(
        self, mean: builtins.float = 1.0, std: builtins.float = 2.0, *, generator: Any = None
    ) -> Self:
        """Fill with ``exp`` of samples of N(``mean``, ``std**2``)."""
        if std <= 0:
            raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
        values = self._draw("log_normal_", "lognormal", mean=mean, sigma=std, generator=generator)
        return self._put("log_normal_", Ellipsis, values)

    def cauchy_(
        self, median: builtins.float = 0.0, sigma: builtins.float = 1.0, *, generator: Any = None
    ) -> Self:
        """Fill with samples of the Cauchy distribution around ``median`` of scale ``sigma``."""
        values = self._draw("cauchy_", "standard_cauchy", generator=generator)
        return self._put("cauchy_", Ellipsis, median + sigma * values)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Self:
        """Fill with 1 with probability ``p`` (a number or a tensor), else 0."""
        chance = p._data if hasattr(p, "_ctx") else p
        if np.any((np.asarray(chance) < 0) | (np.asarray(chance) > 1)):
            raise RuntimeError("bernoulli_: expects p to be in [0, 1]")
        u = sample(generator, "random", self.shape, np.float64)
        return self._put("bernoulli_", Ellipsis, (u < chance).astype(self._data.dtype))

    def bernoulli(self, *, generator: Any = None) -> Self:
        """0/1 samples with this tensor's values as the probabilities of 1."""
        return self.detach().clone().bernoulli_(self.detach(), generator=generator)

    def random_(self, from_: Any = 0, to: Any = None, *, generator: Any = None) -> Self:
        """Fill with integers uniform over ``[from, to)`` (``[0, from)`` if only one is given)."""
        low, high = (0, from_) if to is None and from_ != 0 else (from_, to)
        if high is None:
            kind = self._data.dtype
            high = 2 ** (np.finfo(kind).nmant + 1) if kind.kind == "f" else np.iinfo(kind).max
        if low >= high:
            raise RuntimeError(
                f"random_: expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        values = sample(generator, "integers", self.shape, np.int64, low=low, high=high)
        return self._put("random_", Ellipsis, values.astype(self._data.dtype))
