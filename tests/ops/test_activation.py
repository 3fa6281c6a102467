"""Numerics of the activation ops (``juanji._ops.activation``) through their public functions.

Oracles: PyTorch over hypothesis-generated shapes (forward and input gradient, float32 and
float64), float64 finite differences, and hand-computed values.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional

ELEMENTWISE = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    "leaky_relu_default": (F.leaky_relu, TF.leaky_relu),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
}

shapes = st.lists(st.integers(1, 5), min_size=0, max_size=4)
dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**16)


def _input(shape, dtype, seed, scale=3.0):
    return np.asarray(scale * np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_elementwise_activation_matches_torch(xp, name, shape, dtype, seed):
    ours, theirs = ELEMENTWISE[name]
    compare_op(ours, theirs, [_input(shape, dtype, seed)], xp=xp)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    dtype=dtypes,
    seed=seeds,
    data=st.data(),
)
def test_softmax_family_matches_torch(xp, name, shape, dtype, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ours, theirs = getattr(F, name), getattr(TF, name)
    compare_op(
        lambda x: ours(x, dim=dim),
        lambda x: theirs(x, dim=dim),
        [_input(shape, dtype, seed)],
        xp=xp,
    )


@pytest.mark.parametrize(
    "fn",
    [
        F.relu,
        lambda x: F.leaky_relu(x, 0.3),
        F.sigmoid,
        F.tanh,
        lambda x: F.softmax(x, dim=1),
        lambda x: F.log_softmax(x, 0),
    ],
)
def test_activation_gradcheck(fn, rng):
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kinks of relu / leaky_relu
    assert gradcheck(fn, (juanji.tensor(x, requires_grad=True),))


def test_hand_examples():
    x = juanji.tensor([-2.0, 0.0, 3.0])
    assert F.relu(x).tolist() == [0.0, 0.0, 3.0]
    assert F.leaky_relu(x, 0.5).tolist() == [-1.0, 0.0, 3.0]
    assert F.sigmoid(juanji.tensor([0.0])).item() == 0.5
    assert F.tanh(juanji.tensor([0.0])).item() == 0.0
    np.testing.assert_allclose(
        F.softmax(juanji.tensor([[0.0, np.log(3.0)]]), 1).numpy(), [[0.25, 0.75]], rtol=1e-6
    )


def test_relu_gradient_at_zero_is_zero():
    x = juanji.tensor([0.0, 1.0], requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]


def test_saturating_inputs_are_stable(xp):
    x = np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare_op(F.sigmoid, torch.sigmoid, [x], xp=xp)
        compare_op(F.tanh, torch.tanh, [x], xp=xp)
        compare_op(lambda t: F.softmax(t, 0), lambda t: TF.softmax(t, 0), [x], xp=xp)
        compare_op(lambda t: F.log_softmax(t, 0), lambda t: TF.log_softmax(t, 0), [x], xp=xp)


@pytest.mark.parametrize("dtype", [juanji.float32, juanji.float64])
def test_activations_preserve_dtype(dtype):
    x = juanji.randn(2, 3, dtype=dtype)
    for out in (
        F.relu(x),
        F.leaky_relu(x),
        F.sigmoid(x),
        F.tanh(x),
        F.softmax(x, 1),
        F.log_softmax(x, 1),
    ):
        assert out.dtype == dtype


def test_noncontiguous_input_matches_torch(xp, rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    for ours, theirs in [
        (F.relu, TF.relu),
        (F.sigmoid, torch.sigmoid),
        (lambda t: F.softmax(t, 1), lambda t: TF.softmax(t, 1)),
    ]:
        compare_op(
            lambda t, f=ours: f(t.transpose(0, 1)),
            lambda t, f=theirs: f(t.transpose(0, 1)),
            [x],
            xp=xp,
        )
