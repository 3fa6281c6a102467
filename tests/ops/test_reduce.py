"""Reductions vs PyTorch over random shapes and dims, gradcheck, tie rules."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji.testing import gradcheck
from reference import compare_op


@st.composite
def shape_and_dim(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = draw(
        st.lists(
            st.integers(-len(shape), len(shape) - 1),
            min_size=1,
            max_size=2,
            unique_by=lambda d: d % len(shape),
        )
    )
    return shape, tuple(dims), draw(st.booleans()), draw(st.integers(0, 2**16))


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(case=shape_and_dim())
def test_reduction_matches_torch(xp, name, case):
    shape, dims, keepdim, seed = case
    if name in ("var", "std") and np.prod([shape[d] for d in dims]) < 2:
        return  # one element: variance is nan in both
    rng = np.random.default_rng(seed)
    f = REDUCTIONS[name]
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        compare_op(lambda t: f(t, dims, keepdim), lambda t: f(t, dims, keepdim), [x], xp=xp)


@given(case=shape_and_dim())
def test_max_min_dim_match_torch(xp, case):
    shape, dims, keepdim, seed = case
    x = np.random.default_rng(seed).standard_normal(shape)
    compare_op(lambda t: t.max(dims[0], keepdim), lambda t: t.max(dims[0], keepdim), [x], xp=xp)
    compare_op(lambda t: t.min(dims[0], keepdim), lambda t: t.min(dims[0], keepdim), [x], xp=xp)
    compare_op(lambda t: t.max(), lambda t: t.max(), [x], xp=xp)
    compare_op(
        lambda t: t.argmax(dims[0], keepdim),
        lambda t: t.argmax(dims[0], keepdim),
        [x],
        grads=False,
        xp=xp,
    )


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradcheck(name):
    x = juanji.tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: REDUCTIONS[name](t, (1,), False), (x,))
    assert gradcheck(lambda t: REDUCTIONS[name](t, (0, 1), True), (x,))


def test_max_dim_gradcheck():
    x = juanji.tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.max(1).values, (x,))
    assert gradcheck(lambda t: t.min(0, keepdim=True).values, (x,))


def test_sum_keeps_dtype_and_mean_of_int_is_refused():
    assert juanji.ones(3, dtype=juanji.float32).sum().dtype == juanji.float32
    assert juanji.tensor([1, 2]).sum().dtype == juanji.int64
    assert juanji.tensor([1, 2]).mean(dtype=juanji.float32).item() == 1.5
