"""Movement ops vs PyTorch, gradcheck, and views."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji.testing import gradcheck
from reference import compare_op, torch

CASES = {
    "reshape": (lambda t: t.reshape(4, -1), lambda t: t.reshape(4, -1)),
    "permute": (lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    "transpose": (lambda t: t.transpose(0, 2), lambda t: t.transpose(0, 2)),
    "flatten": (lambda t: t.flatten(1), lambda t: t.flatten(1)),
    "expand": (lambda t: t[:, :1].expand(5, 2, 3, 4), lambda t: t[:, :1].expand(5, 2, 3, 4)),
    "index_basic": (lambda t: t[1, ::2, 1:], lambda t: t[1, ::2, 1:]),
    "index_advanced": (lambda t: t[[0, 1, 1], [2, 0, 2]], lambda t: t[[0, 1, 1], [2, 0, 2]]),
    "index_none_ellipsis": (lambda t: t[None, ..., -1], lambda t: t[None, ..., -1]),
    "flip": (lambda t: t.flip(0, 2), lambda t: t.flip(0, 2)),
    "repeat": (lambda t: t.repeat(1, 2, 1, 2), lambda t: t.repeat(1, 2, 1, 2)),
    "squeeze_unsqueeze": (lambda t: t.unsqueeze(1).squeeze(1), lambda t: t.unsqueeze(1).squeeze(1)),
    "split": (lambda t: t.split(2, dim=2), lambda t: t.split(2, dim=2)),
    "chunk": (lambda t: t.chunk(2, dim=1), lambda t: t.chunk(2, dim=1)),
    "contiguous": (
        lambda t: t.transpose(0, 1).contiguous(),
        lambda t: t.transpose(0, 1).contiguous(),
    ),
    "cat": (lambda t: juanji.cat([t, t * 2], 1), lambda t: torch.cat([t, t * 2], 1)),
    "stack": (lambda t: juanji.stack([t, t + 1], -1), lambda t: torch.stack([t, t + 1], -1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@given(seed=st.integers(0, 2**16))
def test_movement_matches_torch(xp, name, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, 4))
    compare_op(*CASES[name], [x], xp=xp)
    compare_op(*CASES[name], [x.astype(np.float32)], xp=xp)


@pytest.mark.parametrize("name", sorted(CASES))
def test_movement_gradcheck(name):
    x = juanji.tensor(np.random.default_rng(5).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: CASES[name][0](t), (x,))


def test_cat_with_subset_requiring_grad_and_dtype_promotion():
    a = juanji.ones(2, requires_grad=True)
    b = juanji.zeros(3, dtype=juanji.float64)
    c = juanji.cat([a, b])
    assert c.dtype == juanji.float64
    (c * juanji.arange(5)).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0] and b.grad is None


def test_cat_and_stack_errors():
    with pytest.raises(RuntimeError, match="sizes of tensors must match except in dimension 0"):
        juanji.cat([juanji.zeros(2, 3), juanji.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        juanji.stack([juanji.zeros(2), juanji.zeros(3)])
    with pytest.raises(TypeError, match="expected a list or tuple"):
        juanji.cat(juanji.zeros(2))


def test_reshape_of_contiguous_is_a_view():
    x = juanji.zeros(2, 3)
    y = x.view(6)
    y[0] = 1.0
    assert x[0, 0].item() == 1.0
