"""Margin, embedding, Poisson and Gaussian losses (functional and modules) against PyTorch."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import compare_op, torch

TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])


@pytest.fixture
def pair(rng):
    return rng.standard_normal((4, 5)), rng.standard_normal((4, 5))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
def test_cosine_embedding_loss_matches_torch(pair, reduction, margin):
    compare_op(
        lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        lambda a, b, t: TF.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        [*pair, SIGNS],
        grads=[0, 1],
    )


def test_cosine_embedding_loss_one_sample_and_float32(pair):
    a, b = (x[0].astype(np.float32) for x in pair)
    target = np.array(-1.0, dtype=np.float32)
    compare_op(F.cosine_embedding_loss, TF.cosine_embedding_loss, [a, b, target], grads=[0, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_hinge_embedding_match_torch(pair, reduction):
    a, b = pair[0][:, 0].copy(), pair[1][:, 0].copy()
    compare_op(
        lambda a, b, t: F.margin_ranking_loss(a, b, t, 0.3, reduction=reduction),
        lambda a, b, t: TF.margin_ranking_loss(a, b, t, 0.3, reduction=reduction),
        [a, b, SIGNS],
        grads=[0, 1],
    )
    compare_op(
        lambda a, t: F.hinge_embedding_loss(a, t, 0.7, reduction=reduction),
        lambda a, t: TF.hinge_embedding_loss(a, t, 0.7, reduction=reduction),
        [np.abs(a), SIGNS],
        grads=[0],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_losses_match_torch(rng, pair, reduction):
    signs = np.sign(rng.standard_normal((4, 5)))
    compare_op(
        lambda a, t: F.soft_margin_loss(a, t, reduction=reduction),
        lambda a, t: TF.soft_margin_loss(a, t, reduction=reduction),
        [pair[0], signs],
        grads=[0],
    )
    labels = (rng.uniform(size=(4, 5)) > 0.5).astype(np.float64)
    weight = rng.uniform(size=5)
    compare_op(
        lambda a, t, w: F.multilabel_soft_margin_loss(a, t, w, reduction=reduction),
        lambda a, t, w: TF.multilabel_soft_margin_loss(a, t, w, reduction=reduction),
        [pair[0], labels, weight],
        grads=[0],
    )


MULTILABEL = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [0, 1, 2, 3, 4], [-1, 1, 1, 1, 1]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_matches_torch(pair, reduction):
    compare_op(
        lambda a: F.multilabel_margin_loss(a, juanji.tensor(MULTILABEL), reduction=reduction),
        lambda a: TF.multilabel_margin_loss(a, torch.tensor(MULTILABEL), reduction=reduction),
        [pair[0]],
    )
    compare_op(
        lambda a: F.multilabel_margin_loss(a, juanji.tensor(MULTILABEL[0]), reduction=reduction),
        lambda a: TF.multilabel_margin_loss(a, torch.tensor(MULTILABEL[0]), reduction=reduction),
        [pair[0][0]],
    )


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_torch(rng, pair, p, reduction, weighted):
    labels = np.array([1, 4, 0, 4])
    weight = rng.uniform(0.5, 2, 5) if weighted else None
    compare_op(
        lambda a: F.multi_margin_loss(
            a, juanji.tensor(labels), p, 0.8, None if weight is None else juanji.tensor(weight),
            reduction=reduction,
        ),
        lambda a: TF.multi_margin_loss(
            a, torch.tensor(labels), p, 0.8, None if weight is None else torch.tensor(weight),
            reduction=reduction,
        ),
        [pair[0]],
    )  # fmt: skip


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss_matches_torch(rng, pair, p, swap, reduction):
    negative = rng.standard_normal((4, 5))
    compare_op(
        lambda a, b, c: F.triplet_margin_loss(a, b, c, 1.5, p, 1e-6, swap, reduction=reduction),
        lambda a, b, c: TF.triplet_margin_loss(a, b, c, 1.5, p, 1e-6, swap, reduction=reduction),
        [*pair, negative],
    )


def test_triplet_margin_with_distance_loss_matches_torch(rng, pair):
    negative = rng.standard_normal((4, 5))
    compare_op(
        lambda a, b, c: F.triplet_margin_with_distance_loss(a, b, c, swap=True, margin=2.0),
        lambda a, b, c: TF.triplet_margin_with_distance_loss(a, b, c, swap=True, margin=2.0),
        [*pair, negative],
    )
    compare_op(
        lambda a, b, c: F.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y)
        ),
        lambda a, b, c: TF.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda x, y: 1 - TF.cosine_similarity(x, y)
        ),
        [*pair, negative],
    )


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss_matches_torch(rng, log_input, full, reduction):
    rate = rng.standard_normal((4, 5)) if log_input else rng.uniform(0.1, 3, (4, 5))
    counts = rng.poisson(3, (4, 5)).astype(np.float64)
    compare_op(
        lambda x, t: F.poisson_nll_loss(x, t, log_input, full, reduction=reduction),
        lambda x, t: TF.poisson_nll_loss(x, t, log_input, full, reduction=reduction),
        [rate, counts],
        grads=[0] if full else True,  # torch's target gradient is nan at t = 0 with full
    )


@pytest.mark.parametrize("var_shape", [(4, 5), (4,), (4, 1)])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss_matches_torch(rng, pair, var_shape, full, reduction):
    var = rng.uniform(0.2, 2, var_shape)
    compare_op(
        lambda x, t, v: F.gaussian_nll_loss(x, t, v, full, 1e-6, reduction),
        lambda x, t, v: TF.gaussian_nll_loss(x, t, v, full, 1e-6, reduction),
        [*pair, var],
    )


def test_gaussian_nll_loss_clamps_the_value_not_the_gradient(pair):
    var = np.full((4, 5), 0.5)
    var[0, 0] = 1e-9
    compare_op(
        lambda x, t, v: F.gaussian_nll_loss(x, t, v, eps=1e-3),
        lambda x, t, v: TF.gaussian_nll_loss(x, t, v, eps=1e-3),
        [*pair, var],
        rtol=1e-9,
    )
    out = F.gaussian_nll_loss(juanji.tensor([1.0]), juanji.tensor([3.0]), 2.0, reduction="none")
    assert out.item() == pytest.approx(0.5 * (np.log(2) + 2))


def test_loss_modules_match_functional(rng, pair):
    a, b = (juanji.tensor(x) for x in pair)
    c = juanji.tensor(rng.standard_normal((4, 5)))
    t = juanji.tensor(SIGNS)
    labels = juanji.tensor([1, 4, 0, 4])
    d, pos = (b > 0).double(), b.abs()
    rows = juanji.tensor(MULTILABEL)
    cases = [
        (nn.CosineEmbeddingLoss(0.2), (a, b, t), lambda *x: F.cosine_embedding_loss(*x, 0.2)),
        (nn.MarginRankingLoss(0.1), (a[:, 0], b[:, 0], t),
         lambda *x: F.margin_ranking_loss(*x, 0.1)),
        (nn.HingeEmbeddingLoss(2.0), (a[:, 0], t), lambda *x: F.hinge_embedding_loss(*x, 2.0)),
        (nn.SoftMarginLoss(reduction="sum"), (a, b.sign()),
         lambda *x: F.soft_margin_loss(*x, reduction="sum")),
        (nn.MultiLabelSoftMarginLoss(), (a, d), F.multilabel_soft_margin_loss),
        (nn.MultiLabelMarginLoss(), (a, rows), F.multilabel_margin_loss),
        (nn.MultiMarginLoss(p=2), (a, labels), lambda *x: F.multi_margin_loss(*x, 2)),
        (nn.TripletMarginLoss(swap=True), (a, b, c),
         lambda *x: F.triplet_margin_loss(*x, swap=True)),
        (nn.TripletMarginWithDistanceLoss(margin=3.0), (a, b, c),
         lambda *x: F.triplet_margin_with_distance_loss(*x, margin=3.0)),
        (nn.PoissonNLLLoss(full=True), (a, pos), lambda *x: F.poisson_nll_loss(*x, full=True)),
        (nn.GaussianNLLLoss(full=True), (a, b, c.abs()), lambda *x: F.gaussian_nll_loss(*x, True)),
        (nn.NLLLoss2d(), (a.log_softmax(1), labels), F.nll_loss),
    ]  # fmt: skip
    for module, args, functional in cases:
        expected = functional(*args).numpy()
        np.testing.assert_array_equal(module(*args).numpy(), expected, err_msg=repr(module))
        torch_name = type(module).__name__
        assert hasattr(torch.nn, torch_name)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.multi_margin_loss(juanji.zeros(2, 3), juanji.tensor([0, 1]), p=3), ValueError,
         "only p == 1 and p == 2 supported"),
        (lambda: nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2 supported"),
        (lambda: nn.TripletMarginWithDistanceLoss(margin=0), ValueError,
         "expected margin to be greater than 0"),
        (lambda: F.margin_ranking_loss(juanji.zeros(2), juanji.zeros(2), juanji.zeros(1, 2)),
         ValueError, "All input tensors should have same dimension"),
        (lambda: F.triplet_margin_loss(juanji.zeros(2, 3), juanji.zeros(3), juanji.zeros(2, 3)),
         ValueError, "same number of dimensions"),
        (lambda: F.gaussian_nll_loss(juanji.zeros(2, 3), juanji.zeros(2, 3), juanji.ones(3, 2)),
         ValueError, "var is of incorrect size"),
        (lambda: F.gaussian_nll_loss(juanji.zeros(2), juanji.zeros(2), -juanji.ones(2)),
         ValueError, "var has negative entry"),
        (lambda: F.multi_margin_loss(juanji.zeros(2, 3), juanji.tensor([0, 3])), IndexError,
         r"target values must be in \[0, 3\)"),
        (lambda: F.soft_margin_loss(juanji.zeros(2), juanji.zeros(2), reduction="avg"),
         ValueError, "reduction must be one of"),
    ],
)  # fmt: skip
def test_loss_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
