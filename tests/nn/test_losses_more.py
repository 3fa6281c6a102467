"""BCE (with logits), L1, smooth L1, Huber and KL-divergence losses against PyTorch."""

import contextlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3)
dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**16)
reductions = st.sampled_from(["mean", "sum", "none"])


def _randn(shape, dtype, seed, scale=2.0):
    return np.asarray(scale * np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


def _uniform(shape, dtype, seed, low=0.02, high=0.98):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, shape), dtype=dtype)


@given(shape=shapes, dtype=dtypes, seed=seeds, reduction=reductions, weighted=st.booleans())
def test_binary_cross_entropy_matches_torch(shape, dtype, seed, reduction, weighted):
    x, t = _uniform(shape, dtype, seed), _uniform(shape, dtype, seed + 1, 0, 1)
    w = _uniform(shape[-1:], dtype, seed + 2) if weighted else None
    compare_op(
        lambda x, t: F.binary_cross_entropy(
            x, t, None if w is None else juanji.tensor(w), reduction=reduction
        ),
        lambda x, t: TF.binary_cross_entropy(
            x, t, None if w is None else torch.tensor(w), reduction=reduction
        ),
        [x, t],
    )


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    dtype=dtypes,
    seed=seeds,
    reduction=reductions,
    weighted=st.booleans(),
    positive=st.booleans(),
)
def test_bce_with_logits_matches_torch_incl_weight_and_pos_weight(
    shape, dtype, seed, reduction, weighted, positive
):
    x, t = _randn(shape, dtype, seed, scale=6.0), _uniform(shape, dtype, seed + 1, 0, 1)
    w = _uniform(shape, dtype, seed + 2) if weighted else None
    p = _uniform(shape[-1:], dtype, seed + 3, 0.2, 3.0) if positive else None
    inputs = [x, t] + ([p] if positive else [])

    def call(lib, fn):
        def run(x, t, *pos):
            weight = None if w is None else lib.tensor(w)
            return fn(x, t, weight, reduction=reduction, pos_weight=pos[0] if pos else None)

        return run

    # PyTorch does not differentiate pos_weight (juanji does; gradcheck covers it below).
    compare_op(
        call(juanji, F.binary_cross_entropy_with_logits),
        call(torch, TF.binary_cross_entropy_with_logits),
        inputs,
        grads=[0, 1],
    )


def test_bce_with_logits_is_finite_for_huge_logits():
    x = juanji.tensor([-1000.0, 1000.0, -80.0, 80.0], requires_grad=True)
    t = juanji.tensor([1.0, 0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1000, 1000, 80, 80], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1, 1, -1, 1], rtol=1e-6)


def test_bce_clamps_log_at_minus_100_like_torch():
    # The target's gradient there is juanji's finite derivative of the clamped loss (PyTorch
    # gives inf); the loss and the input's gradient are PyTorch's.
    x, t = np.array([0.0, 1.0, 0.0, 1.0], np.float32), np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    compare_op(
        lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
        lambda x, t: TF.binary_cross_entropy(x, t, reduction="none"),
        [x, t],
        grads=[0],
    )
    t_grad = juanji.tensor(t, requires_grad=True)
    F.binary_cross_entropy(juanji.tensor(x), t_grad, reduction="sum").backward()
    np.testing.assert_allclose(t_grad.grad.numpy(), [100, -100, 100, -100])


REGRESSION = {
    "l1": (
        lambda x, y, r: F.l1_loss(x, y, reduction=r),
        lambda x, y, r: TF.l1_loss(x, y, reduction=r),
    ),
    "smooth_l1": (
        lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r),
        lambda x, y, r: TF.smooth_l1_loss(x, y, reduction=r),
    ),
    "smooth_l1_beta": (
        lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.4),
        lambda x, y, r: TF.smooth_l1_loss(x, y, reduction=r, beta=0.4),
    ),
    "smooth_l1_beta0": (
        lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
        lambda x, y, r: TF.smooth_l1_loss(x, y, reduction=r, beta=0.0),
    ),
    "huber": (lambda x, y, r: F.huber_loss(x, y, r), lambda x, y, r: TF.huber_loss(x, y, r)),
    "huber_delta": (
        lambda x, y, r: F.huber_loss(x, y, r, 2.5),
        lambda x, y, r: TF.huber_loss(x, y, r, 2.5),
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@given(shape=shapes, dtype=dtypes, seed=seeds, reduction=reductions)
def test_regression_losses_match_torch(name, shape, dtype, seed, reduction):
    ours, theirs = REGRESSION[name]
    compare_op(
        lambda x, y: ours(x, y, reduction),
        lambda x, y: theirs(x, y, reduction),
        [_randn(shape, dtype, seed), _randn(shape, dtype, seed + 1)],
    )


@pytest.mark.parametrize("name", ["l1", "huber"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_l1_and_huber_match_torch_2_13(name, reduction, dtype):
    w = _uniform((3, 4), dtype, 5)
    fn = {"l1": (F.l1_loss, TF.l1_loss), "huber": (F.huber_loss, TF.huber_loss)}[name]
    compare_op(
        lambda x, y: fn[0](x, y, reduction=reduction, weight=juanji.tensor(w)),
        lambda x, y: fn[1](x, y, reduction=reduction, weight=torch.tensor(w)),
        [_randn((3, 4), dtype, 1), _randn((3, 4), dtype, 2)],
    )


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    dtype=dtypes,
    seed=seeds,
    reduction=st.sampled_from(["mean", "sum", "none", "batchmean"]),
    log_target=st.booleans(),
)
def test_kl_div_matches_torch(shape, dtype, seed, reduction, log_target):
    x = np.log(_uniform(shape, dtype, seed))
    t = _uniform(shape, dtype, seed + 1)
    t = np.log(t) if log_target else t
    with pytest.warns(UserWarning) if reduction == "mean" else contextlib.nullcontext():
        compare_op(
            lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
            lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
            [x, t],
        )


def test_kl_div_zero_target_contributes_zero():
    x = juanji.tensor([-1.0, -2.0])
    out = F.kl_div(x, juanji.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(out.numpy(), [0.0, 2.0])


def test_hand_values_and_gradcheck():
    # BCE of p = 0.8 against t = 1: -log(0.8); with logits 0 and pos_weight 3: 3 log 2.
    np.testing.assert_allclose(
        F.binary_cross_entropy(juanji.tensor([0.8]), juanji.tensor([1.0])).item(),
        -math.log(0.8),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(
            juanji.tensor([0.0]), juanji.tensor([1.0]), pos_weight=juanji.tensor([3.0])
        ).item(),
        3 * math.log(2),
        rtol=1e-6,
    )
    # smooth L1 with beta 1 at d = 0.5 and 3: 0.125 and 2.5, mean 1.3125.
    np.testing.assert_allclose(
        F.smooth_l1_loss(juanji.tensor([0.5, 3.0]), juanji.zeros(2)).item(), 1.3125
    )
    rng = np.random.default_rng(0)

    def t(*shape, low=None):
        values = rng.uniform(0.1, 0.9, shape) if low else rng.standard_normal(shape)
        return juanji.tensor(values, requires_grad=True)

    p, y = t(2, 3, low=True), t(2, 3, low=True)
    assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y), (p, y))
    x, pw = t(2, 3), t(3, low=True)
    assert gradcheck(
        lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), (x, y, pw)
    )
    a, b = (
        juanji.tensor(
            [[0.3, -1.7, 2.4], [-0.6, 1.2, 0.05]], dtype=juanji.float64, requires_grad=True
        ),
        t(2, 3),
    )
    b = juanji.tensor(b.detach().numpy() * 0.01, requires_grad=True)  # |a - b| away from kinks
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        assert gradcheck(fn, (a, b))
    assert gradcheck(lambda x, y: F.kl_div(x, y, reduction="batchmean"), (t(2, 3), p))


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (nn.BCELoss(), torch.nn.BCELoss()),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
        (nn.L1Loss(), torch.nn.L1Loss()),
        (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5)),
        (nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5)),
        (nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean")),
    ],
)
def test_loss_modules_match_torch(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = _uniform((3, 4), np.float64, 0)
    x = np.log(x) if isinstance(ours, nn.KLDivLoss) else x
    compare_op(ours, theirs, [x, _uniform((3, 4), np.float64, 1)])


def test_weighted_bce_modules_keep_weights_as_buffers():
    w, p = juanji.tensor([1.0, 2.0]), juanji.tensor([3.0, 1.0])
    ours = nn.BCEWithLogitsLoss(w, pos_weight=p)
    theirs = torch.nn.BCEWithLogitsLoss(
        torch.tensor([1.0, 2.0]), pos_weight=torch.tensor([3.0, 1.0])
    )
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "pos_weight"]
    compare_op(ours, theirs, [_randn((3, 2), np.float32, 0), _uniform((3, 2), np.float32, 1)])


def test_loss_errors():
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: all elements of input should "
        r"be between 0 and 1",
    ):
        F.binary_cross_entropy(juanji.tensor([1.5]), juanji.tensor([1.0]))
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: target shape \(2,\) differs "
        r"from input shape \(2, 1\)",
    ):
        F.binary_cross_entropy(juanji.full((2, 1), 0.5), juanji.zeros(2))
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy_with_logits: pos_weight of shape "
        r"\(3,\) does not broadcast",
    ):
        F.binary_cross_entropy_with_logits(
            juanji.zeros(2, 2), juanji.zeros(2, 2), pos_weight=juanji.ones(3)
        )
    with pytest.raises(ValueError, match=r"l1_loss: weight of shape \(3,\) does not broadcast"):
        F.l1_loss(juanji.zeros(2, 2), juanji.zeros(2, 2), weight=juanji.ones(3))
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be a number >= 0, got -1"):
        F.smooth_l1_loss(juanji.zeros(2), juanji.zeros(2), beta=-1)
    with pytest.raises(ValueError, match=r"huber_loss: delta must be a number > 0, got 0"):
        F.huber_loss(juanji.zeros(2), juanji.zeros(2), delta=0)
    with pytest.raises(
        ValueError,
        match=r"kl_div: reduction must be one of 'none', 'mean', "
        r"'sum', 'batchmean', got 'avg'",
    ):
        F.kl_div(juanji.zeros(2), juanji.zeros(2), reduction="avg")
    with pytest.raises(TypeError, match=r"l1_loss: target must be a floating-point tensor"):
        F.l1_loss(juanji.zeros(2), juanji.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"KLDivLoss: reduction must be one of"):
        nn.KLDivLoss(reduction="avg")
