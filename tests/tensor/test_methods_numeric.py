"""Bitwise, number and counting Tensor methods (``_numeric.py``), the fused in-place products
and the in-place transposes, run on juanji and on PyTorch: same values, dtype, shape, gradients
for the differentiable ones, and the same kind of error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import juanji

torch = pytest.importorskip("torch")

NAN = float("nan")
INTS = [5, -3, 12, 0, 7]
OTHER = [3, 6, 4, 7, 2]
FLOATS = [1.5, -2.0, NAN, 0.0, -0.0, 3.25]


def _same(a: Any, b: Any) -> None:
    if isinstance(a, tuple | list):
        for x, y in zip(a, b, strict=True):
            _same(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(
        np.asarray(a.tolist(), float), np.asarray(b.tolist(), float), rtol=1e-6, atol=1e-9
    )


def i64(L: Any, v: Any, dtype: str = "int64") -> Any:
    return L.tensor(v, dtype=getattr(L, dtype))


CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("and", lambda L: i64(L, INTS).bitwise_and(i64(L, OTHER))),
    ("or", lambda L: i64(L, INTS).bitwise_or(3)),
    ("xor", lambda L: i64(L, INTS, "int32").bitwise_xor(i64(L, OTHER))),
    ("not", lambda L: i64(L, INTS).bitwise_not()),
    ("not_bool", lambda L: (i64(L, INTS) > 0).bitwise_not()),
    ("and_bool", lambda L: (i64(L, INTS) > 0).bitwise_and(i64(L, OTHER) > 3)),
    ("shift_left", lambda L: i64(L, INTS).bitwise_left_shift(i64(L, [0, 1, 2, 3, 1]))),
    ("shift_right", lambda L: i64(L, INTS).bitwise_right_shift(1)),
    ("gcd", lambda L: i64(L, INTS).gcd(i64(L, OTHER))),
    ("lcm", lambda L: i64(L, INTS).lcm(i64(L, OTHER))),
    ("isclose", lambda L: L.tensor(FLOATS).isclose(L.tensor(FLOATS) + 1e-6)),
    ("isclose_nan", lambda L: L.tensor(FLOATS).isclose(L.tensor(FLOATS), equal_nan=True)),
    ("heaviside", lambda L: L.tensor(FLOATS).heaviside(L.tensor([0.5]))),
    ("nonzero", lambda L: i64(L, [[1, 0, 2], [0, 0, 3]]).nonzero()),
    ("nonzero_tuple", lambda L: i64(L, [[1, 0, 2], [0, 0, 3]]).nonzero(as_tuple=True)),
    ("nonzero_0d", lambda L: i64(L, 4).nonzero()),
    ("nonzero_0d_zero", lambda L: i64(L, 0).nonzero()),
    ("nonzero_0d_tuple", lambda L: i64(L, 4).nonzero(as_tuple=True)),
    ("argwhere", lambda L: L.tensor(FLOATS).argwhere()),
    ("bincount", lambda L: i64(L, [1, 1, 3, 0]).bincount()),
    ("bincount_min", lambda L: i64(L, [1, 1, 3]).bincount(minlength=6)),
    ("bincount_w", lambda L: i64(L, [1, 1, 3]).bincount(L.tensor([0.5, 1.0, 2.0]))),
    ("bincount_wi", lambda L: i64(L, [1, 1, 3]).bincount(i64(L, [1, 2, 3]))),
    ("histc", lambda L: L.tensor([1.0, -2.0, 0.0, 3.0, 4.5]).histc(4)),
    ("histc_range", lambda L: L.tensor([1.0, -2.0, 0.0, 3.0, 2.0]).histc(3, 0, 2)),
    ("fmax", lambda L: L.tensor(FLOATS).fmax(L.tensor([0.0, NAN, 1.0, -1.0, NAN, 4.0]))),
    ("fmin", lambda L: L.tensor(FLOATS).fmin(L.tensor([0.0, NAN, NAN, -1.0, 2.0, 4.0]))),
    ("fmax_int", lambda L: i64(L, INTS).fmax(i64(L, OTHER))),
    ("float_power_int", lambda L: i64(L, INTS).float_power(2)),
    ("gcd_", lambda L: i64(L, INTS).gcd_(i64(L, OTHER))),
    ("bitwise_or_", lambda L: i64(L, INTS).bitwise_or_(i64(L, OTHER))),
    ("bitwise_not_", lambda L: i64(L, INTS).bitwise_not_()),
    ("shift_", lambda L: i64(L, INTS).bitwise_left_shift_(1).bitwise_right_shift_(2)),
    ("xor_and_", lambda L: i64(L, INTS).bitwise_xor_(5).bitwise_and_(i64(L, OTHER))),
    ("lcm_", lambda L: i64(L, INTS).lcm_(i64(L, OTHER))),
    ("heaviside_", lambda L: L.tensor(FLOATS).heaviside_(L.tensor([0.5]))),
]


@pytest.mark.parametrize("f", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch(f: Callable) -> None:
    _same(f(juanji), f(torch))


GRAD_CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("copysign", lambda L, x: x.copysign(x.flip(0)) + x.copysign(-1.0)),
    ("fmax", lambda L, x: x.fmax(x.flip(0) * 2) + x.fmin(x.flip(0) * 2)),
    ("float_power", lambda L, x: x.float_power(2) + x.abs().float_power(x.flip(0))),
    ("ldexp", lambda L, x: x.ldexp(L.tensor([1, 0, 3, 2]))),
    ("addmm_", lambda L, x: x.outer(x).addmm_(x.outer(x), x.outer(x).t(), beta=2)),
    ("addmv_", lambda L, x: (x * 1).addmv_(x.outer(x), x, alpha=0.5)),
    ("addr_", lambda L, x: x.outer(x).addr_(x, x.flip(0))),
    ("addbmm_", lambda L, x: x.outer(x).addbmm_(x.reshape(1, 4, 1), x.reshape(1, 1, 4))),
    ("baddbmm_", lambda L, x: x.outer(x)[None].baddbmm_(x.reshape(1, 4, 1), x.reshape(1, 1, 4))),
    ("copysign_", lambda L, x: (x * 1).copysign_(x.flip(0))),
    ("ldexp_", lambda L, x: (x * 1).ldexp_(L.tensor([1, 0, 3, 2]))),
    ("float_power_", lambda L, x: (x * 1).to(L.float64).float_power_(2)),
    ("t_", lambda L, x: x.outer(x * 2).t_() * L.arange(4.0)),
    ("transpose_", lambda L, x: x.outer(x)[None].transpose_(0, 2) * L.arange(4.0)),
    ("swapaxes_", lambda L, x: x.outer(x * 3).swapaxes_(0, 1) * L.arange(4.0)),
    ("swapdims_", lambda L, x: x.outer(x * 3).swapdims_(1, 0) * L.arange(4.0)),
]


@pytest.mark.parametrize("f", [c[1] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_torch(f: Callable) -> None:
    outs = []
    for L in (juanji, torch):
        x = L.tensor([0.5, -1.5, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        y = f(L, x)
        y.backward(L.linspace(0.5, 1.5, y.numel(), dtype=y.dtype).reshape(y.shape))
        outs.append((y.detach(), x.grad))
    _same(*[o[0] for o in outs])
    _same(*[o[1] for o in outs])


ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("and_float", lambda L: L.tensor(FLOATS).bitwise_and(L.tensor(FLOATS))),
    ("not_float", lambda L: L.tensor(FLOATS).bitwise_not()),
    ("gcd_float", lambda L: L.tensor(FLOATS).gcd(L.tensor(FLOATS))),
    ("isclose_dtype", lambda L: L.tensor(FLOATS).isclose(L.tensor(FLOATS).double())),
    ("heaviside_dtype", lambda L: L.tensor(FLOATS).heaviside(L.tensor([1.0]).double())),
    ("bincount_2d", lambda L: i64(L, [[1]]).bincount()),
    ("bincount_neg", lambda L: i64(L, [1, -1]).bincount()),
    ("bincount_float", lambda L: L.tensor([1.0]).bincount()),
    ("histc_nan", lambda L: L.tensor(FLOATS).histc(4)),
    ("histc_int", lambda L: i64(L, INTS).histc()),
    ("histc_bins", lambda L: L.tensor(FLOATS).histc(0)),
    ("histc_range", lambda L: L.tensor([1.0]).histc(3, 2, 1)),
    ("t_3d", lambda L: L.zeros(2, 2, 2).t_()),
    ("float_power__f32", lambda L: L.ones(2).float_power_(2)),
    ("clamp_min__int", lambda L: i64(L, INTS).clamp_min_(0.5)),
    ("hypot__int", lambda L: i64(L, INTS).hypot_(i64(L, INTS))),
    ("addmm__dims", lambda L: L.zeros(2, 2).addmm_(L.zeros(2), L.zeros(2, 2))),
]


@pytest.mark.parametrize("f", [c[1] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_like_torch(f: Callable) -> None:
    kinds = []
    for L in (juanji, torch):
        with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)) as info:
            f(L)
        kinds.append(info.type)
    assert issubclass(kinds[0], kinds[1]) or issubclass(kinds[1], kinds[0]), kinds


def test_hand_values() -> None:
    assert juanji.tensor([12, 18]).gcd(juanji.tensor([8, 27])).tolist() == [4, 9]
    assert juanji.tensor([0.0, 2.0, 2.0]).histc(2).tolist() == [1.0, 2.0]
    x = juanji.arange(6.0).reshape(2, 3)
    assert x.t_() is x and x.shape == (3, 2) and x[0].tolist() == [0.0, 3.0]
