"""``linear``, ``flatten`` and ``dropout`` (API): PyTorch comparison, gradcheck, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch


@given(
    lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    in_features=st.integers(1, 6),
    out_features=st.integers(1, 6),
    bias=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_linear_matches_torch(xp, lead, in_features, out_features, bias, dtype, seed):
    rng = np.random.default_rng(seed)
    x = np.asarray(rng.standard_normal((*lead, in_features)), dtype=dtype)
    weight = rng.standard_normal((out_features, in_features)).astype(dtype)
    inputs = [x, weight] + ([rng.standard_normal(out_features).astype(dtype)] if bias else [])
    compare_op(F.linear, torch.nn.functional.linear, inputs, xp=xp)


def test_linear_gradcheck(rng):
    x = juanji.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    weight = juanji.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    bias = juanji.tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(F.linear, (x, weight, bias))


def test_linear_hand_example():
    out = F.linear(
        juanji.tensor([[1.0, 2.0]]),
        juanji.tensor([[1.0, 0.0], [1.0, 1.0]]),
        juanji.tensor([0.5, -1.0]),
    )
    assert out.tolist() == [[1.5, 2.0]]


def test_linear_gradient_only_where_requested(rng):
    x = juanji.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    weight = juanji.tensor(rng.standard_normal((2, 4)).astype(np.float32))
    F.linear(x, weight).sum().backward()
    assert x.grad.shape == (3, 4) and weight.grad is None


def test_linear_errors():
    x = juanji.zeros(2, 3)
    with pytest.raises(
        ValueError,
        match=r"linear: input has 3 features in its last dimension "
        r"but weight expects 4 \(in_features\)",
    ):
        F.linear(x, juanji.zeros(5, 4))
    with pytest.raises(
        ValueError,
        match=r"linear: weight must be 2-D \(out_features, "
        r"in_features\), got 3-D",
    ):
        F.linear(x, juanji.zeros(1, 5, 3))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(5,\)"):
        F.linear(x, juanji.zeros(5, 3), juanji.zeros(4))
    with pytest.raises(TypeError, match=r"linear: expected all tensors to have the same dtype"):
        F.linear(x, juanji.zeros(5, 3, dtype=juanji.float64))
    with pytest.raises(TypeError, match=r"linear: input must be a floating-point tensor"):
        F.linear(juanji.tensor([[1, 2, 3]]), juanji.zeros(5, 3))
    with pytest.raises(TypeError, match=r"linear: weight must be a Tensor, got ndarray"):
        F.linear(x, np.zeros((5, 3), dtype=np.float32))


@pytest.mark.parametrize("start, end", [(0, -1), (1, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(xp, start, end, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    compare_op(
        lambda t: F.flatten(t, start, end), lambda t: torch.flatten(t, start, end), [x], xp=xp
    )


def test_flatten_errors():
    with pytest.raises(RuntimeError, match=r"flatten: start_dim .* cannot come after end_dim"):
        F.flatten(juanji.zeros(2, 3, 4), 2, 1)
    with pytest.raises(TypeError, match=r"flatten: input must be a Tensor"):
        F.flatten([1, 2])


def test_dropout_api():
    juanji.manual_seed(0)
    x = juanji.ones(10)
    assert F.dropout(x, 0.5, training=False) is x
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and set(x.tolist()) <= {0.0, 2.0}
    with pytest.raises(
        ValueError,
        match=r"dropout: p must be a probability between 0 and 1, "
        r"got 1.5",
    ):
        F.dropout(x, 1.5)
    with pytest.raises(TypeError, match=r"dropout: input must be a floating-point tensor"):
        F.dropout(juanji.tensor([1, 2]), 0.5)
    leaf = juanji.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"dropout: inplace=True on a leaf"):
        F.dropout(leaf, 0.5, inplace=True)
