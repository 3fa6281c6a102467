"""matmul (all rank combinations, broadcasting) and the fused linear op vs PyTorch; gradcheck."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji._ops.linalg import Linear
from juanji.testing import gradcheck
from reference import compare_op, torch

PAIRS = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@given(seed=st.integers(0, 2**16))
def test_matmul_matches_torch(xp, shapes, seed):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
        compare_op(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], xp=xp)


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
def test_matmul_gradcheck(shapes):
    rng = np.random.default_rng(6)
    a, b = (juanji.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    assert gradcheck(lambda x, y: x @ y, (a, b))


@given(
    lead=st.lists(st.integers(1, 3), max_size=2).map(tuple),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_linear_op_matches_torch(xp, lead, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + (5,)).astype(np.float32)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    if bias:
        compare_op(
            lambda x, w, b: juanji.Tensor._apply(Linear, x, w, b),
            torch.nn.functional.linear,
            [x, w, b],
            xp=xp,
        )
    else:
        compare_op(
            lambda x, w: juanji.Tensor._apply(Linear, x, w),
            torch.nn.functional.linear,
            [x, w],
            xp=xp,
        )


def test_linear_op_gradcheck():
    rng = np.random.default_rng(7)
    x, w, b = (
        juanji.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 3, 5), (4, 5), (4,)]
    )
    assert gradcheck(lambda x, w, b: juanji.Tensor._apply(Linear, x, w, b), (x, w, b))
