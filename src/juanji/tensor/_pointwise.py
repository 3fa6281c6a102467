"""Elementwise Tensor methods beyond the core set, and their in-place forms.

``expm1``, ``floor``, ``isnan``, PyTorch's aliases, ``cos_``, ``floor_``, ``eq_``...

Differentiable ones run a Function of ``_ops/pointwise.py`` or ``_ops/trig.py`` or compose
differentiable methods, so autograd needs nothing new. PyTorch's aliases (``multiply``,
``greater``, ``absolute``...) are the same functions under a second name. In-place forms are
made by ``_inplace_of`` from the out-of-place method, with PyTorch's refusal to store a float
result in an integer tensor.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji._ops import pointwise
from juanji.backend import xp_of
from juanji.tensor._checks import check_inplace_result
from juanji.tensor._inplace import InplaceMethods

if TYPE_CHECKING:
    from typing_extensions import Self

Scalar = int | float | bool


def _inplace_of(
    method: str,
    float_result: builtins.bool = False,
    zero_grad: builtins.bool = False,
    graph: builtins.bool = True,
) -> Any:
    """The in-place form of the out-of-place ``method`` (``floor_`` from ``floor``).

    ``zero_grad``: the result is not differentiable (``sign``); PyTorch still records the write,
    with a zero gradient to the old value. ``graph=False``: PyTorch leaves the graph as it was
    (``logical_and_``: the gradient flows on as if the write had not happened).
    """

    def inplace(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = f"{method}_"
        if float_result:  # refuse before computing: an integer tensor cannot hold the result
            check_inplace_result(name, self, 0, np.float32)
        others = [a for a in (*args, *kwargs.values()) if hasattr(a, "_ctx")]
        out = getattr(self._wrap(self._data), method)(*args, **kwargs)._data
        check_inplace_result(name, self, 0, out.dtype)  # PyTorch's rule: the result must fit
        out = out.astype(self._data.dtype, copy=False)
        if not (graph and self._records(*others)):
            return self._inplace(name, out)
        if zero_grad:
            return self._composed_(name, lambda old: old * 0 + self._wrap(out))
        return self._composed_(name, lambda old: getattr(old, method)(*args, **kwargs))

    inplace.__name__ = f"{method}_"
    inplace.__doc__ = f"In-place ``{method}``: writes the result into this tensor."
    return inplace


class PointwiseMethods(InplaceMethods):
    """Elementwise math, rounding, NaN tests, comparison aliases and their in-place forms."""

    __slots__ = ()

    def _composed_(self, name: str, compute: Any) -> Self:
        """Write ``compute(copy of self)`` here and join the graph.

        A copy, because composed methods save their inputs in nodes that ``_inplace_graph``
        does not look into.
        """
        self._check_inplace(name)
        result = compute(self._snapshot())
        self._data[...] = result._data
        return self._adopt(result)

    # ------------------------------------------------------------------ differentiable math
    def expm1(self) -> Self:
        """``exp(x) - 1``, precise for small ``x``."""
        return self._apply(pointwise.Expm1, self._float())

    def log1p(self) -> Self:
        """``log(1 + x)``, precise for small ``x``."""
        return self._apply(pointwise.Log1p, self._float())

    def log2(self) -> Self:
        """Base-2 logarithm."""
        return self._apply(pointwise.Log2, self._float())

    def log10(self) -> Self:
        """Base-10 logarithm."""
        return self._apply(pointwise.Log10, self._float())

    def exp2(self) -> Self:
        """``2 ** x``."""
        return self._apply(pointwise.Exp2, self._float())

    def asinh(self) -> Self:
        """Elementwise inverse hyperbolic sine."""
        return self._apply(pointwise.Asinh, self._float())

    def acosh(self) -> Self:
        """Elementwise inverse hyperbolic cosine (NaN below 1)."""
        return self._apply(pointwise.Acosh, self._float())

    def atanh(self) -> Self:
        """Elementwise inverse hyperbolic tangent (NaN outside [-1, 1])."""
        return self._apply(pointwise.Atanh, self._float())

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def reciprocal(self) -> Self:
        """``1 / x`` (a float tensor for integer input)."""
        return self._apply(pointwise.Reciprocal, self._float())

    def deg2rad(self) -> Self:
        """Degrees to radians."""
        return self._float() * (np.pi / 180.0)

    def rad2deg(self) -> Self:
        """Radians to degrees."""
        return self._float() * (180.0 / np.pi)

    def logit(self, eps: builtins.float | None = None) -> Self:
        """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``."""
        p = self._float()
        if eps is not None:
            p = p.clamp(eps, 1 - eps)
        return p.log() - (1 - p).log()

    def xlogy(self, other: Any) -> Self:
        """``x * log(y)``, and 0 where ``x`` is 0 (unless ``y`` is NaN)."""
        y = other if hasattr(other, "_ctx") else self._wrap(xp_of(self._data).asarray(other))
        x, y = self._float(), y._float()
        zero = (x == 0) & ~y.isnan()
        return x * y.masked_fill(zero, 1.0).log()  # log(1) = 0 where x is 0, with no 0 * inf

    def atan2(self, other: Any) -> Self:
        """The angle of the point ``(other, self)``, in ``(-pi, pi]``; differentiable."""
        if not hasattr(other, "_ctx"):
            raise TypeError(f"atan2: other must be a Tensor, got {type(other).__name__}")
        y, x = self._float(), other._float()
        value = self._wrap(xp_of(y._data).arctan2(y._data, x._data))  # quadrant-exact
        if not (y.requires_grad or x.requires_grad):
            return value
        # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2): carried by a term that is zero in value
        r2 = (y * y + x * x).detach()
        r2 = r2.masked_fill(r2 == 0, 1.0)  # at the origin the slope is 0, as in PyTorch
        term = (x.detach() * y - y.detach() * x) / r2
        return value + (term - term.detach())

    arctan2 = atan2

    def hypot(self, other: Any) -> Self:
        """``sqrt(self**2 + other**2)``."""
        return (self * self + other * other).sqrt()

    def logaddexp(self, other: Any) -> Self:
        """``log(exp(self) + exp(other))`` without overflow."""
        high = self.maximum(other)
        return high + (-(self - other).abs()).exp().log1p()

    def logaddexp2(self, other: Any) -> Self:
        """``log2(2**self + 2**other)`` without overflow."""
        high = self.maximum(other)
        return high + (-(self - other).abs()).exp2().log1p() / np.log(2.0)

    def sinc(self) -> Self:
        """``sin(pi x) / (pi x)``, 1 at 0."""
        x = self._float()
        zero = x == 0
        safe = x.masked_fill(zero, 1.0) * np.pi
        return (safe.sin() / safe).masked_fill(zero, 1.0)

    def hardshrink(self, lambd: builtins.float = 0.5) -> Self:
        """``x`` where ``|x| > lambd``, else 0."""
        return self.masked_fill(self.abs() <= lambd, 0)

    def prelu(self, weight: Any) -> Self:
        """``x`` where positive, else ``weight * x`` (one weight, or one per channel: dim 1)."""
        if weight.numel() != 1:
            channels = self.shape[1] if self.ndim >= 2 else -1
            if weight.ndim != 1 or weight.numel() != channels:
                raise RuntimeError(
                    f"prelu: mismatch in parameter count: weight has {weight.numel()} values "
                    f"and the input's channel size (dim 1) is {channels}"
                )
            weight = weight.reshape(-1, *(1,) * (self.ndim - 2))
        return self.where(self > 0, weight * self)

    # ------------------------------------------------------------------ rounding
    def _rounded(self, mode: str, decimals: builtins.int = 0) -> Self:
        if self._data.dtype.kind in "biu":
            return self.clone()
        return self._apply(pointwise.Rounded, self, mode=mode, decimals=decimals)

    def floor(self) -> Self:
        """Round down; integer tensors are returned as a copy."""
        return self._rounded("floor")

    def ceil(self) -> Self:
        """Round up; integer tensors are returned as a copy."""
        return self._rounded("ceil")

    def trunc(self) -> Self:
        """Round toward zero; integer tensors are returned as a copy."""
        return self._rounded("trunc")

    fix = trunc

    def round(self, decimals: builtins.int = 0) -> Self:
        """Round half to even, to ``decimals`` decimal places."""
        return self._rounded("round", decimals)

    def frac(self) -> Self:
        """``x - trunc(x)``; its gradient is 1."""
        if self._data.dtype.kind in "biu":
            raise RuntimeError(f"frac: not implemented for {self.dtype} (floats only)")
        return self - self.trunc()

    # ------------------------------------------------------------------ tests (bool results)
    def isnan(self) -> Self:
        """Where the value is NaN."""
        return self._wrap(xp_of(self._data).isnan(self._data))

    def isinf(self) -> Self:
        """Where the value is +inf or -inf."""
        return self._wrap(xp_of(self._data).isinf(self._data))

    def isposinf(self) -> Self:
        """Where the value is +inf."""
        return self._wrap(xp_of(self._data).isposinf(self._data))

    def isneginf(self) -> Self:
        """Where the value is -inf."""
        return self._wrap(xp_of(self._data).isneginf(self._data))

    def isfinite(self) -> Self:
        """Where the value is neither infinite nor NaN."""
        return self._wrap(xp_of(self._data).isfinite(self._data))

    def signbit(self) -> Self:
        """Where the sign bit is set (True for -0.0)."""
        return self._wrap(xp_of(self._data).signbit(self._data))

    def nan_to_num(
        self,
        nan: builtins.float = 0.0,
        posinf: builtins.float | None = None,
        neginf: builtins.float | None = None,
    ) -> Self:
        """NaN to ``nan``, infinities to ``posinf``/``neginf`` (default: the dtype's extremes)."""
        if self._data.dtype.kind != "f":
            return self.clone()
        info = np.finfo(self._data.dtype)
        hi = info.max if posinf is None else posinf
        lo = info.min if neginf is None else neginf
        out = self.masked_fill(self.isnan(), nan)
        return out.masked_fill(self.isposinf(), hi).masked_fill(self.isneginf(), lo)

    # ------------------------------------------------------------------ clamps and aliases
    def clamp_min(self, min: Scalar) -> Self:  # noqa: A002
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max: Scalar) -> Self:  # noqa: A002
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    def multiply(self, other: Any) -> Self:
        """``mul``'s alias."""
        return self.mul(other)

    def subtract(self, other: Any, *, alpha: Scalar = 1) -> Self:
        """``sub``'s alias."""
        return self.sub(other, alpha=alpha)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Self:
        """``div``'s alias."""
        return self.div(other, rounding_mode=rounding_mode)

    def true_divide(self, other: Any) -> Self:
        """``div`` without rounding."""
        return self.div(other)

    def negative(self) -> Self:
        """``neg``'s alias."""
        return self.neg()

    def absolute(self) -> Self:
        """``abs``'s alias."""
        return self.abs()

    def positive(self) -> Self:
        """This tensor itself (``+x``); refused for bool tensors as in PyTorch."""
        if self._data.dtype.kind == "b":
            raise TypeError("positive: not supported for bool tensors")
        return self

    def sgn(self) -> Self:
        """The sign (``sign`` for real tensors)."""
        return self.sign()

    def greater(self, other: Any) -> Self:
        """``gt``'s alias."""
        return self.gt(other)

    def greater_equal(self, other: Any) -> Self:
        """``ge``'s alias."""
        return self.ge(other)

    def less(self, other: Any) -> Self:
        """``lt``'s alias."""
        return self.lt(other)

    def less_equal(self, other: Any) -> Self:
        """``le``'s alias."""
        return self.le(other)

    def not_equal(self, other: Any) -> Self:
        """``ne``'s alias."""
        return self.ne(other)

    def logical_xor(self, other: Any) -> Self:
        """Elementwise XOR of truth values, as a bool tensor."""
        if not hasattr(other, "_ctx"):
            raise TypeError(f"logical_xor: other must be a Tensor, got {type(other).__name__}")
        return self._wrap(xp_of(self._data).logical_xor(self._data, getattr(other, "_data", other)))

    # ------------------------------------------------------------------ in-place forms
    sin_, cos_, tan_ = _inplace_of("sin", True), _inplace_of("cos", True), _inplace_of("tan", True)
    sinh_, cosh_ = _inplace_of("sinh", True), _inplace_of("cosh", True)
    asin_, acos_, atan_ = (_inplace_of(n, True) for n in ("asin", "acos", "atan"))
    arcsin_, arccos_, arctan_ = asin_, acos_, atan_
    asinh_, acosh_, atanh_ = (_inplace_of(n, True) for n in ("asinh", "acosh", "atanh"))
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_
    expm1_, log1p_, exp2_ = (_inplace_of(n, True) for n in ("expm1", "log1p", "exp2"))
    log2_, log10_ = _inplace_of("log2", True), _inplace_of("log10", True)
    reciprocal_, rsqrt_ = _inplace_of("reciprocal", True), _inplace_of("rsqrt", True)
    deg2rad_, rad2deg_ = _inplace_of("deg2rad", True), _inplace_of("rad2deg", True)
    logit_, sinc_ = _inplace_of("logit", True), _inplace_of("sinc", True)
    xlogy_, hypot_ = _inplace_of("xlogy", True), _inplace_of("hypot", True)
    atan2_ = _inplace_of("atan2", True)
    arctan2_ = atan2_
    floor_, ceil_, trunc_ = (_inplace_of(n) for n in ("floor", "ceil", "trunc"))
    fix_, round_, frac_ = trunc_, _inplace_of("round"), _inplace_of("frac")
    square_, sign_, sgn_ = (
        _inplace_of("square"),
        _inplace_of("sign", zero_grad=True),
        _inplace_of("sgn", zero_grad=True),
    )
    negative_, absolute_ = InplaceMethods.neg_, InplaceMethods.abs_
    nan_to_num_ = _inplace_of("nan_to_num")
    clamp_min_, clamp_max_ = _inplace_of("clamp_min"), _inplace_of("clamp_max")
    multiply_, subtract_ = InplaceMethods.mul_, InplaceMethods.sub_
    divide_, true_divide_ = InplaceMethods.div_, InplaceMethods.div_
    logical_and_, logical_or_, logical_xor_, logical_not_ = (
        _inplace_of(n, graph=False)
        for n in ("logical_and", "logical_or", "logical_xor", "logical_not")
    )

    def clip_(self, min: Scalar | None = None, max: Scalar | None = None) -> Self:  # noqa: A002
        """``clamp_``'s alias."""
        return self.clamp_(min, max)

    # comparisons in place: self becomes 1/0 in its own dtype; the gradient through them is 0
    def _compared_(self, name: str, method: str, other: Any) -> Self:
        hit = getattr(self, method)(other)._data.astype(self._data.dtype)
        if self._records(other):
            return self._composed_(name, lambda old: old * 0 + self._wrap(hit))
        return self._inplace(name, hit)

    def eq_(self, other: Any) -> Self:
        """In-place ``eq``: 1 where equal, else 0, in this tensor's dtype."""
        return self._compared_("eq_", "eq", other)

    def ne_(self, other: Any) -> Self:
        """In-place ``ne``."""
        return self._compared_("ne_", "ne", other)

    def lt_(self, other: Any) -> Self:
        """In-place ``lt``."""
        return self._compared_("lt_", "lt", other)

    def le_(self, other: Any) -> Self:
        """In-place ``le``."""
        return self._compared_("le_", "le", other)

    def gt_(self, other: Any) -> Self:
        """In-place ``gt``."""
        return self._compared_("gt_", "gt", other)

    def ge_(self, other: Any) -> Self:
        """In-place ``ge``."""
        return self._compared_("ge_", "ge", other)

    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
