"""Elementwise ops vs PyTorch (hypothesis over broadcastable shapes), gradcheck, hand cases."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import juanji
from juanji.testing import gradcheck
from reference import compare_op, torch

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b.abs() + 0.5), lambda a, b: a / (b.abs() + 0.5)),
    "pow": (lambda a, b: (a.abs() + 0.5) ** b, lambda a, b: (a.abs() + 0.5) ** b),
    "maximum": (lambda a, b: juanji.maximum(a, b), lambda a, b: torch.maximum(a, b)),
    "minimum": (lambda a, b: juanji.minimum(a, b), lambda a, b: torch.minimum(a, b)),
    "where": (
        lambda a, b: juanji.where(a > b, a, b * 2),
        lambda a, b: torch.where(a > b, a, b * 2),
    ),
}

UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "exp": (lambda a: a.exp(), lambda a: a.exp()),
    "log": (lambda a: (a.abs() + 0.1).log(), lambda a: (a.abs() + 0.1).log()),
    "sqrt": (lambda a: (a.abs() + 0.1).sqrt(), lambda a: (a.abs() + 0.1).sqrt()),
    "abs": (lambda a: a.abs(), lambda a: a.abs()),
    "clamp": (lambda a: a.clamp(-0.3, 0.4), lambda a: a.clamp(-0.3, 0.4)),
    "clamp_min": (lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1)),
    "scalar_pow": (lambda a: a**3, lambda a: a**3),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a),
    "rsub_rdiv": (lambda a: 1 - 2 / (a.abs() + 1), lambda a: 1 - 2 / (a.abs() + 1)),
    "square": (lambda a: a.square(), lambda a: a.square()),
    "masked_fill": (lambda a: a.masked_fill(a > 0.5, 0.0), lambda a: a.masked_fill(a > 0.5, 0.0)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_binary_matches_torch_with_broadcasting(xp, name, shapes, seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        a, b = (rng.standard_normal(s).astype(dtype) for s in shapes.input_shapes)
        compare_op(*BINARY[name], [a, b], xp=xp)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_unary_matches_torch(xp, name, shape, seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        compare_op(*UNARY[name], [rng.standard_normal(shape).astype(dtype)], xp=xp)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name):
    rng = np.random.default_rng(1)
    a = juanji.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    b = juanji.tensor(rng.standard_normal((1, 4)) + 0.01, requires_grad=True)
    assert gradcheck(BINARY[name][0], (a, b))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    rng = np.random.default_rng(2)
    a = juanji.tensor(rng.standard_normal((2, 3)) + 0.05, requires_grad=True)
    assert gradcheck(UNARY[name][0], (a,))


def test_ties_and_kinks_follow_pytorch():
    x = juanji.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = juanji.tensor([0.0, 3.0, 2.0], requires_grad=True)
    (juanji.maximum(x, y).sum() + x.abs().sum()).backward()
    assert x.grad.tolist() == [0.5, 1.0, 1.5]  # tie -> half; abs'(0) = 0
    assert y.grad.tolist() == [0.5, 1.0, 0.5]
    z = juanji.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    z.clamp(0.0, 1.0).sum().backward()
    assert z.grad.tolist() == [0.0, 1.0, 1.0]  # closed interval
    p = juanji.tensor([0.0, 2.0], requires_grad=True)
    (p**0).sum().backward()
    assert p.grad.tolist() == [0.0, 0.0]


def test_hand_computed_chain_rule():
    # y = (x*w + b)^2 at x=3, w=2, b=1 -> y=49, dy/dw = 2*7*3 = 42, dy/db = 14
    w = juanji.tensor(2.0, requires_grad=True)
    b = juanji.tensor(1.0, requires_grad=True)
    y = (3 * w + b) ** 2
    y.backward()
    assert (y.item(), w.grad.item(), b.grad.item()) == (49.0, 42.0, 14.0)
