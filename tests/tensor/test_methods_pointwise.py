"""Elementwise Tensor methods (``_pointwise.py``) run on juanji and on PyTorch: same values,
dtype and shape, the same gradient for the differentiable ones, and the same kind of error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import juanji

torch = pytest.importorskip("torch")

V = [[0.3, -1.2, 2.5], [-0.0, 0.7, -3.5]]
P = [[0.2, 0.5, 0.9], [0.05, 0.7, 0.35]]  # in (0, 1)
BIG = [[1.5, 2.0, 3.25], [1.1, 4.0, 7.5]]  # above 1
INTS = [[3, -2, 0], [7, 1, -5]]


def t(L: Any, v: Any, dtype: str = "float64", grad: bool = False) -> Any:
    return L.tensor(v, dtype=getattr(L, dtype), requires_grad=grad)


# (id, function of the library, input values, differentiable)
CASES: list[tuple[str, Callable[[Any, Any], Any], Any, bool]] = [
    ("expm1", lambda L, x: x.expm1(), V, True),
    ("log1p", lambda L, x: x.log1p(), P, True),
    ("log2", lambda L, x: x.log2(), BIG, True),
    ("log10", lambda L, x: x.log10(), BIG, True),
    ("exp2", lambda L, x: x.exp2(), V, True),
    ("asinh", lambda L, x: x.asinh() + x.arcsinh(), V, True),
    ("acosh", lambda L, x: x.acosh() + x.arccosh(), BIG, True),
    ("atanh", lambda L, x: x.atanh() + x.arctanh(), P, True),
    ("reciprocal", lambda L, x: x.reciprocal(), BIG, True),
    ("deg2rad", lambda L, x: x.deg2rad() + x.rad2deg(), V, True),
    ("logit", lambda L, x: x.logit(), P, True),
    ("logit_eps", lambda L, x: x.logit(eps=0.3), P, True),
    ("xlogy", lambda L, x: x.xlogy(x.abs() + 1) + (x * 0).xlogy(x + 5), V, True),
    ("atan2", lambda L, x: x.atan2(x.flip(0)) + x.arctan2(-x), V, True),
    ("hypot", lambda L, x: x.hypot(x * 2 + 1), V, True),
    ("logaddexp", lambda L, x: x.logaddexp(x.flip(1) * 3), V, True),
    ("logaddexp2", lambda L, x: x.logaddexp2(x.flip(1) * 3), V, True),
    ("sinc", lambda L, x: x.sinc(), V, True),
    ("floor", lambda L, x: x.floor() + x.ceil() + x.trunc() + x.fix(), V, True),
    ("round", lambda L, x: x.round() + x.round(decimals=1) + (x * 100).round(decimals=-1), V, True),
    ("frac", lambda L, x: x.frac(), V, True),
    ("clamp_min_max", lambda L, x: x.clamp_min(0.0) + x.clamp_max(0.5), V, True),
    (
        "aliases",
        lambda L, x: x.multiply(x).subtract(x, alpha=2).divide(x + 9).true_divide(2),
        V,
        True,
    ),
    ("neg_abs", lambda L, x: x.negative() + x.absolute() + x.positive() + x.sgn(), V, True),
    (
        "nan_to_num",
        lambda L, x: (x / 0).nan_to_num() + (x / 0).nan_to_num(1.0, 2.0, -3.0),
        V,
        False,
    ),
    (
        "isnan",
        lambda L, x: L.stack(
            [
                (x / 0).isnan(),
                (x / 0).isinf(),
                (x / 0).isposinf(),
                (x / 0).isneginf(),
                (x / 0).isfinite(),
                x.signbit(),
            ]
        ),
        V,
        False,
    ),
    (
        "compare",
        lambda L, x: L.stack(
            [x.greater(0), x.greater_equal(0.3), x.less(0), x.less_equal(0.3), x.not_equal(0.3)]
        ),
        V,
        False,
    ),
    ("logical_xor", lambda L, x: x.logical_xor(x > 0), V, False),
    ("int_floor", lambda L, x: L.stack([x.floor(), x.ceil(), x.round(), x.trunc()]), INTS, False),
    ("int_float", lambda L, x: L.stack([x.expm1(), x.exp2(), x.reciprocal()]), INTS, False),
]

INPLACE = [
    "sin_", "cos_", "tan_", "sinh_", "cosh_", "asin_", "acos_", "atan_", "arcsin_", "arccos_",
    "arctan_", "asinh_", "arcsinh_", "atanh_", "arctanh_", "expm1_", "log1p_", "exp2_",
    "reciprocal_", "rsqrt_", "deg2rad_", "rad2deg_", "logit_", "sinc_", "floor_", "ceil_",
    "trunc_", "fix_", "round_", "frac_", "square_", "sign_", "sgn_", "negative_", "absolute_",
    "nan_to_num_", "log2_", "log10_", "logical_not_",
]  # fmt: skip
# PyTorch has no derivative for these in-place forms (juanji's equals the out-of-place one)
NO_TORCH_GRAD = {"asinh_", "arcsinh_", "atanh_", "arctanh_"}
INPLACE_ARG = [
    ("clamp_min_", 0.4), ("clamp_max_", 0.4), ("xlogy_", 2.0), ("multiply_", 3.0),
    ("subtract_", 1.5), ("divide_", 4.0), ("true_divide_", 4.0), ("eq_", 0.5), ("ne_", 0.5),
    ("logical_and_", [[0.0, 1.0, 2.0]]), ("logical_or_", [[0.0, 0.0, 2.0]]),
    ("logical_xor_", [[0.0, 1.0, 0.0]]), ("lt_", 0.5), ("le_", 0.5), ("gt_", 0.5), ("ge_", 0.5),
    ("greater_", 0.5), ("greater_equal_", 0.5), ("less_", 0.5), ("less_equal_", 0.5),
    ("not_equal_", 0.5), ("clip_", 0.4), ("hypot_", [[1.0, 2.0, 0.5]]),
    ("atan2_", [[1.0, -2.0, 0.5]]), ("arctan2_", [[-1.0, 2.0, 0.5]]),
]  # fmt: skip


def _same(a: Any, b: Any) -> None:
    if b.dtype.is_floating_point:
        b = b + 0  # PyTorch's zero gradients are storage-less "zero tensors"
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(
        np.asarray(a.tolist(), float), np.asarray(b.tolist(), float), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize(("f", "values", "grad"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch(f: Callable, values: Any, grad: bool) -> None:
    dtype = "int64" if isinstance(values[0][0], int) else "float64"
    outs = []
    for L in (juanji, torch):
        x = t(L, values, dtype, grad=grad)
        y = f(L, x)
        if grad:
            y.backward(L.ones_like(y))
        outs.append((y.detach(), x.grad))
    _same(outs[0][0], outs[1][0])
    if grad:
        _same(outs[0][1], outs[1][1])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_matches_torch(name: str) -> None:
    values = P if name not in ("logical_not_",) else V
    outs = []
    for L in (juanji, torch):
        leaf = t(L, values, grad=True)
        x = leaf * 1
        out = getattr(x, name)()
        assert out is x
        if name in NO_TORCH_GRAD:
            outs.append((x.detach(), None))
            continue
        x.backward(L.ones_like(x))
        outs.append((x.detach(), leaf.grad))
    _same(outs[0][0], outs[1][0])
    if name not in NO_TORCH_GRAD:
        _same(outs[0][1], outs[1][1])


@pytest.mark.parametrize(("name", "arg"), INPLACE_ARG)
def test_inplace_with_argument_matches_torch(name: str, arg: Any) -> None:
    outs = []
    for L in (juanji, torch):
        leaf = t(L, P, grad=True)
        x = leaf * 1
        getattr(x, name)(arg if isinstance(arg, float) else t(L, arg))
        x.backward(L.ones_like(x))
        outs.append((x.detach(), leaf.grad))
    _same(outs[0][0], outs[1][0])
    _same(outs[0][1], outs[1][1])


@pytest.mark.parametrize("name", ["expm1_", "sin_", "reciprocal_", "frac_"])
def test_float_result_into_int_tensor_raises_like_torch(name: str) -> None:
    for L in (juanji, torch):
        with pytest.raises(RuntimeError):
            getattr(t(L, INTS, "int64"), name)()


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    for L in (juanji, torch):
        with pytest.raises(RuntimeError):
            t(L, P, grad=True).floor_()


def test_no_grad_inplace_and_hand_values() -> None:
    x = juanji.tensor([0.25, -1.75, 2.5])
    x.floor_()
    assert x.tolist() == [0.0, -2.0, 2.0]
    assert juanji.tensor([2.5, 3.5, -0.5]).round().tolist() == [2.0, 4.0, -0.0]
    y = juanji.tensor([1.0, 2.0, 3.0])
    y.gt_(1.5)
    assert y.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["atan2", "logical_xor"])
def test_needs_a_tensor_like_torch(name: str) -> None:
    for L in (juanji, torch):
        with pytest.raises(TypeError):
            getattr(t(L, V), name)(2.0)
