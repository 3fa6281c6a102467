"""In-place writes inside a recorded graph (``x[i] = y``, ``copy_``, ``add_``...) against PyTorch.

Each case is one small function run twice, with ``torch`` and with ``juanji`` as ``lib``, on the
same arrays: the loss and the gradient of every input must agree (float64, 1e-10), so a write
that silently drops a gradient (the d2l ``corr2d`` bug) or routes it wrongly cannot pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reference import torch

import juanji
from juanji.testing import gradcheck


def _run(lib, program, arrays):
    inputs = [lib.tensor(np.array(a), requires_grad=True) for a in arrays]
    loss = program(lib, *inputs)
    loss.backward()
    return loss.item(), [t.grad.numpy() if t.grad is not None else None for t in inputs]


def _agree(program, *arrays):
    got_loss, got_grads = _run(juanji, program, arrays)
    want_loss, want_grads = _run(torch, program, arrays)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-10, atol=1e-10)
    for got, want in zip(got_grads, want_grads, strict=True):
        if want is None:
            assert got is None or not got.any()
        else:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def _weights(lib, t):
    return lib.arange(t.numel(), dtype=t.dtype).reshape(t.shape) + 1.0  # an uneven cotangent


def setitem_expr(lib, x, k):
    y = lib.zeros(3, 4, dtype=x.dtype)
    for i in range(3):
        for j in range(4):
            y[i, j] = (x[i : i + 2, j : j + 2] * k).sum()
    return (y * _weights(lib, y)).sum()


def setitem_into_graph(lib, x, v):
    y = x * 2
    y[1:3] = v.exp()
    return (y * _weights(lib, y)).sum()


def copy_into_view(lib, x, v):
    y = x.sin()
    row = y[0]
    row.copy_(v[0] * 3)
    return (y * _weights(lib, y)).sum() + row.sum()


def view_of_view_add(lib, x, v):
    y = x + 0
    y[1][2:].add_(v[1, 2:] ** 2)
    return (y * _weights(lib, y)).sum()


def fill_and_masked_fill(lib, x, v):
    y = x * v
    y[0].fill_(2.0)
    y.masked_fill_(x > 0.5, 0.0)
    return (y * _weights(lib, y)).sum()


def index_put(lib, x, v):
    y = x.cos()
    rows, cols = lib.tensor([0, 2, 0]), lib.tensor([1, 3, 1])
    y.index_put_((rows, cols), v[0, :3], accumulate=True)
    z = x * 1.0
    z.index_put_((lib.tensor([1]), lib.tensor([2])), v[2, 2:3])
    return (y * _weights(lib, y)).sum() + (z * z).sum()


def arithmetic_in_place(lib, x, v):
    y = x * 1.5
    y.mul_(v)
    y.div_(v + 3)
    y += v
    y.sub_(x, alpha=0.5)
    y.clamp_(-0.5, 2.0)
    y.pow_(2)
    return (y * _weights(lib, y)).sum()


def div_255_of_graph_input(lib, x, v):
    batch = x * 255.0  # a graph tensor, as after a differentiable preprocessing step
    batch.div_(255.0)
    return (batch * v).sum()


CASES = [
    (setitem_expr, (4, 5), (2, 2)),
    (setitem_into_graph, (4, 3), (2, 3)),
    (copy_into_view, (3, 4), (3, 4)),
    (view_of_view_add, (3, 4), (3, 4)),
    (fill_and_masked_fill, (3, 4), (3, 4)),
    (index_put, (3, 4), (3, 4)),
    (arithmetic_in_place, (3, 4), (3, 4)),
    (div_255_of_graph_input, (3, 4), (3, 4)),
]


@pytest.mark.parametrize(
    ("program", "x_shape", "v_shape"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_in_place_write_matches_torch(program, x_shape, v_shape):
    rng = np.random.default_rng(0)
    _agree(program, rng.uniform(0.1, 1.0, x_shape), rng.uniform(0.1, 1.0, v_shape))


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(2, 5),
    cols=st.integers(2, 5),
    data=st.data(),
)
def test_setitem_slice_of_graph_tensor_matches_torch(rows, cols, data):
    r0 = data.draw(st.integers(0, rows - 1))
    r1 = data.draw(st.integers(r0 + 1, rows))
    c0 = data.draw(st.integers(0, cols - 1))
    broadcast_row = data.draw(st.booleans())
    v_shape = (1 if broadcast_row else r1 - r0, cols - c0)

    def program(lib, x, v):
        y = x.tanh() * 1.5  # Mul by a constant saves its input, not its output
        y[r0:r1, c0:] = v * 2
        return (y * _weights(lib, y)).sum()

    rng = np.random.default_rng(rows * 10 + cols)
    _agree(program, rng.normal(size=(rows, cols)), rng.normal(size=v_shape))


def test_setitem_expr_gradcheck():
    rng = np.random.default_rng(1)
    x = juanji.tensor(rng.normal(size=(3, 3)), requires_grad=True)
    v = juanji.tensor(rng.normal(size=(2,)), requires_grad=True)

    def f(x, v):
        y = x * x
        y[0, 1:] = v * x[2, :2]
        return y

    assert gradcheck(f, (x, v))


def test_hand_computed_setitem():
    # y = [2a, 2b]; y[0] = c*c  ->  loss = c^2 + 2b; d/da = 0, d/db = 2, d/dc = 2c.
    a, b, c = (juanji.tensor(v, requires_grad=True) for v in (1.0, 2.0, 3.0))
    y = juanji.stack([a, b]) * 2
    y[0] = c * c
    y.sum().backward()
    assert (a.grad.item(), b.grad.item(), c.grad.item()) == (0.0, 2.0, 6.0)


def test_views_see_the_write_and_base_gets_the_graph():
    x = juanji.ones(2, 3, requires_grad=True)
    y = x * 1
    view = y[1]
    view.add_(juanji.full((3,), 4.0))
    assert y[1].tolist() == [5.0, 5.0, 5.0]
    assert y.grad_fn is not None and view.grad_fn is not None


def test_write_into_leaf_requiring_grad_is_refused():
    w = juanji.zeros(3, requires_grad=True)
    for write in (
        lambda: w.__setitem__(0, 1.0),
        lambda: w.add_(1.0),
        lambda: w.fill_(2.0),
        lambda: w.copy_(juanji.ones(3)),
    ):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            write()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[1:].fill_(0.0)
    with juanji.no_grad():
        w[0] = 5.0  # optimisers and initialisers do this
    assert w.tolist() == [5.0, 0.0, 0.0]


def test_write_into_saved_tensor_raises_at_backward():
    for lib in (torch, juanji):
        x = lib.ones(3, requires_grad=True)
        y = x.exp()  # Exp saves its output for backward
        y[0] = 0.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_write_not_needed_by_backward_is_fine():
    for lib in (torch, juanji):
        x = lib.ones(3, requires_grad=True)
        y = x * 3  # Mul by a constant keeps no copy of its output
        y.add_(1.0)
        y.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_masked_fill_mask_must_be_bool():
    with pytest.raises(RuntimeError, match="masked_fill_: expected a bool tensor"):  # as torch
        juanji.zeros(3).masked_fill_(juanji.tensor([1, 0, 1]), 1.0)


def test_index_put_needs_a_tuple():
    with pytest.raises(TypeError, match="index_put_: indices must be a tuple"):
        juanji.zeros(3).index_put_(juanji.tensor([0]), juanji.tensor(1.0))


def test_write_into_integer_tensor_is_a_plain_cast_as_in_torch():
    for lib in (torch, juanji):
        x = lib.ones(2, requires_grad=True)
        y = lib.zeros(3, dtype=lib.int64)
        y[0] = x.sum()
        assert y.tolist() == [2, 0, 0] and not y.requires_grad


@pytest.mark.parametrize("name", ["relu_", "sigmoid_", "tanh_", "exp_", "log_", "neg_", "abs_"])
def test_unary_in_place_matches_torch(name):
    def program(lib, x, v):
        y = x * v - 0.3
        if name == "log_":
            y = y * y + 0.1
        getattr(y, name)()
        return (y * _weights(lib, y)).sum()

    rng = np.random.default_rng(3)
    _agree(program, rng.uniform(-1, 1, (2, 3)), rng.uniform(0.5, 1.5, (2, 3)))
    plain = juanji.tensor([0.5, 2.0])
    assert getattr(plain, name)() is plain  # no graph: a true in-place write
    want = getattr(torch.tensor([0.5, 2.0]), name)()
    np.testing.assert_allclose(plain.numpy(), want.numpy(), rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 4),
    cols=st.integers(1, 4),
    picks=st.integers(1, 6),
    accumulate=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_index_put_and_mask_writes_match_torch(rows, cols, picks, accumulate, seed):
    rng = np.random.default_rng(seed)
    r = rng.integers(0, rows, picks)
    c = rng.integers(0, cols, picks)
    if not accumulate:  # repeated targets without accumulate are order-dependent in torch too
        _, first = np.unique(r * cols + c, return_index=True)
        r, c = r[first], c[first]
    mask = rng.random((rows, cols)) > 0.5

    def program(lib, x, v):
        y = x * 2.0
        y.index_put_((lib.tensor(r), lib.tensor(c)), v[: len(r)] * 3, accumulate=accumulate)
        z = x + 1.0
        z[lib.tensor(mask)] = v[0] ** 2
        return (y * _weights(lib, y)).sum() + (z * _weights(lib, z)).sum()

    _agree(program, rng.normal(size=(rows, cols)), rng.normal(size=(6,)))
