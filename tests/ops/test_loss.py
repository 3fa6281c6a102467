"""Numerics of the loss ops (``juanji._ops.loss``) through their public functions.

Oracles: PyTorch (forward and input gradients over hypothesis-generated layouts, weights,
ignore_index, label smoothing and reductions), float64 finite differences, and hand-computed
values.
"""

import math
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


@st.composite
def class_case(draw):
    """A classification layout: input (C,), (N, C) or (N, C, d...), and its options."""
    layout = draw(st.sampled_from(["single", "batch", "spatial"]))
    classes = draw(st.integers(1, 6))
    batch = draw(st.integers(1, 5))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    shape = {
        "single": (classes,),
        "batch": (batch, classes),
        "spatial": (batch, classes, *spatial),
    }[layout]
    return {
        "shape": shape,
        "classes": classes,
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "reduction": draw(st.sampled_from(["mean", "sum", "none"])),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1, 0.45, 1.0])),
        "weighted": draw(st.booleans()),
        "ignore": draw(st.sampled_from([None, "default", "class"])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _arrays(case):
    rng = np.random.default_rng(case["seed"])
    shape, classes, dtype = case["shape"], case["classes"], case["dtype"]
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = rng.integers(0, classes, target_shape)
    ignore_index = -100
    if case["ignore"] == "class":
        ignore_index = int(rng.integers(0, classes))
    elif case["ignore"] == "default" and target.ndim:
        target.reshape(-1)[0] = -100  # some entries ignored (not all, to avoid 0/0)
    weight = (rng.random(classes) + 0.1).astype(dtype) if case["weighted"] else None
    return x, target, weight, ignore_index


def _some_kept(target, ignore_index):
    return bool((np.asarray(target) != ignore_index).any())


@given(class_case())
def test_cross_entropy_class_indices_match_torch(xp, case):
    x, target, weight, ignore_index = _arrays(case)
    options = {
        "ignore_index": ignore_index,
        "reduction": case["reduction"],
        "label_smoothing": case["label_smoothing"],
    }
    if case["reduction"] == "mean" and not _some_kept(target, ignore_index):
        return  # 0/0: covered by test_cross_entropy_all_ignored_is_nan
    compare_op(
        lambda a, t, w: F.cross_entropy(a, t, w, **options),
        lambda a, t, w: TF.cross_entropy(a, t, w, **options),
        [x, target, weight],
        grads=[0],
        xp=xp,
    )


@given(class_case())
def test_cross_entropy_probabilities_match_torch(xp, case):
    x, _, weight, _ = _arrays(case)
    rng = np.random.default_rng(case["seed"] + 1)
    sample_shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else None
    probabilities = rng.dirichlet(np.ones(case["classes"]), size=sample_shape)  # (..., C)
    probabilities = np.moveaxis(probabilities, -1, 1 if x.ndim > 1 else 0).astype(x.dtype)
    options = {"reduction": case["reduction"], "label_smoothing": case["label_smoothing"]}
    compare_op(
        lambda a, t, w: F.cross_entropy(a, t, w, **options),
        lambda a, t, w: TF.cross_entropy(a, t, w, **options),
        [x, probabilities, weight],
        grads=[0, 1],
        xp=xp,
    )


@given(class_case())
def test_nll_loss_matches_torch(xp, case):
    x, target, weight, ignore_index = _arrays(case)
    if case["reduction"] == "mean" and not _some_kept(target, ignore_index):
        return
    log_probabilities = torch.log_softmax(torch.from_numpy(x), 1 if x.ndim > 1 else 0).numpy()
    options = {"ignore_index": ignore_index, "reduction": case["reduction"]}
    compare_op(
        lambda a, t, w: F.nll_loss(a, t, w, **options),
        lambda a, t, w: TF.nll_loss(a, t, w, **options),
        [log_probabilities, target, weight],
        grads=[0],
        xp=xp,
    )


@given(
    st.lists(st.integers(1, 4), min_size=0, max_size=3),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from(["mean", "sum", "none"]),
    st.integers(0, 2**16),
)
def test_mse_loss_matches_torch(xp, shape, dtype, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    compare_op(
        lambda a, b: F.mse_loss(a, b, reduction=reduction),
        lambda a, b: TF.mse_loss(a, b, reduction=reduction),
        [x, y],
        xp=xp,
    )


def _double(array, requires_grad=True):
    return juanji.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_gradcheck(reduction, smoothing, rng):
    x = _double(rng.standard_normal((3, 4, 2)))
    target = juanji.tensor([[0, 3], [-100, 1], [2, 2]])
    weight = _double(rng.random(4) + 0.5, requires_grad=False)

    def fn(a):
        return F.cross_entropy(a, target, weight, reduction=reduction, label_smoothing=smoothing)

    assert gradcheck(fn, (x,))


def test_cross_entropy_probabilities_gradcheck(rng):
    x = _double(rng.standard_normal((3, 4)))
    y = _double(rng.dirichlet(np.ones(4), size=3))
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), (x, y))


def test_nll_loss_and_mse_loss_gradcheck(rng):
    x = _double(rng.standard_normal((4, 3)))
    target = juanji.tensor([0, 2, -100, 1])
    assert gradcheck(lambda a: F.nll_loss(a, target, reduction="sum"), (x,))
    y = _double(rng.standard_normal((4, 3)))
    assert gradcheck(lambda a, b: F.mse_loss(a, b), (x, y))
    big_x = _double(rng.standard_normal((16, 10, 5)))
    big_target = juanji.tensor(rng.integers(0, 10, (16, 5)))
    assert gradcheck(
        lambda a: F.cross_entropy(a, big_target, label_smoothing=0.3), (big_x,), mode="random"
    )


def test_cross_entropy_uniform_logits_hand_example():
    # All logits equal: softmax is 1/C everywhere, the loss is log(C) for any target, and the
    # gradient of the mean is (1/C - onehot) / N.
    x = juanji.zeros(2, 4, requires_grad=True)
    loss = F.cross_entropy(x, juanji.tensor([1, 3]))
    assert loss.item() == pytest.approx(math.log(4), rel=1e-6)
    loss.backward()
    expected = np.full((2, 4), 0.25 / 2, dtype=np.float32)
    expected[0, 1] -= 0.5
    expected[1, 3] -= 0.5
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-7)


def test_cross_entropy_smoothing_and_weight_hand_example():
    # Two classes, logits (0, 0): logp = (-log 2, -log 2). Target 0, eps = 0.5, w = (1, 3):
    # loss = -(w0 * (0.75) + w1 * 0.25) * (-log 2) = 1.5 log 2; mean divides by w_t = w0 = 1.
    x = juanji.zeros(1, 2)
    loss = F.cross_entropy(x, juanji.tensor([0]), juanji.tensor([1.0, 3.0]), label_smoothing=0.5)
    assert loss.item() == pytest.approx(1.5 * math.log(2), rel=1e-6)


def test_nll_loss_hand_example():
    logp = juanji.tensor([[-0.5, -1.0], [-2.0, -0.25]])
    assert F.nll_loss(logp, juanji.tensor([0, 1])).item() == pytest.approx(0.375)
    weighted = F.nll_loss(logp, juanji.tensor([0, 1]), juanji.tensor([1.0, 3.0]))
    assert weighted.item() == pytest.approx((0.5 + 3 * 0.25) / 4)


def test_cross_entropy_equals_nll_of_log_softmax(rng):
    x = juanji.tensor(rng.standard_normal((6, 5)))
    target = juanji.tensor(rng.integers(0, 5, 6))
    fused = F.cross_entropy(x, target)
    composed = F.nll_loss(F.log_softmax(x, dim=1), target)
    assert fused.item() == pytest.approx(composed.item(), rel=1e-6)


def test_cross_entropy_is_one_graph_node():
    x = juanji.randn(4, 10, requires_grad=True)
    loss = F.cross_entropy(x, juanji.tensor([1, 2, 3, 4]))
    assert loss.grad_fn.name() == "CrossEntropyBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_cross_entropy_is_stable_for_huge_logits(xp):
    x = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], dtype=np.float32)
    target = np.array([1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compare_op(F.cross_entropy, TF.cross_entropy, [x, target], grads=[0], xp=xp)
    assert np.isfinite(out[0].item())


def test_all_ignored_mean_is_nan_without_warnings():
    x = juanji.randn(3, 4, requires_grad=True)
    target = juanji.tensor([-100, -100, -100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, target)
        empty = F.cross_entropy(juanji.zeros(0, 4), juanji.zeros(0, dtype=juanji.int64))
        mse_empty = F.mse_loss(juanji.zeros(0), juanji.zeros(0))
    assert math.isnan(loss.item()) and math.isnan(empty.item()) and math.isnan(mse_empty.item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0


@pytest.mark.parametrize("dtype", [juanji.float32, juanji.float64])
def test_losses_preserve_dtype(dtype):
    x = juanji.randn(3, 4, dtype=dtype, requires_grad=True)
    target = juanji.tensor([0, 1, 3])
    losses = [
        F.cross_entropy(x, target, label_smoothing=0.1),
        F.nll_loss(x, target),
        F.mse_loss(x, juanji.zeros(3, 4, dtype=dtype)),
        F.cross_entropy(x, juanji.full((3, 4), 0.25, dtype=dtype)),
    ]
    for loss in losses:
        assert loss.dtype == dtype
        x.grad = None
        loss.backward()
        assert x.grad.dtype == dtype


def test_loss_noncontiguous_input_matches_torch(xp, rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)  # transposed to (3, 5): a strided view
    target = np.array([0, 4, 2])
    compare_op(
        lambda a, t: F.cross_entropy(a.transpose(0, 1), t, label_smoothing=0.2),
        lambda a, t: TF.cross_entropy(a.transpose(0, 1), t, label_smoothing=0.2),
        [x, target],
        grads=[0],
        xp=xp,
    )
    y = rng.standard_normal((3, 5)).astype(np.float32)
    compare_op(
        lambda a, b: F.mse_loss(a.transpose(0, 1), b),
        lambda a, b: TF.mse_loss(a.transpose(0, 1), b),
        [x, y],
        xp=xp,
    )


def test_probability_target_gradient_only_where_requested(rng):
    x = juanji.tensor(rng.standard_normal((2, 3)).astype(np.float32))  # no grad
    y = juanji.tensor(rng.dirichlet(np.ones(3), size=2).astype(np.float32), requires_grad=True)
    F.cross_entropy(x, y).backward()
    assert x.grad is None and y.grad.shape == (2, 3)
