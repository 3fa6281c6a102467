"""``Bilinear``, ``ChannelShuffle``, ``Fold`` and ``Unfold`` (functional and modules) vs PyTorch."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional


@pytest.mark.parametrize("lead", [(4,), (2, 3), ()])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_matches_torch(rng, lead, bias, dtype):
    x1 = rng.standard_normal((*lead, 3)).astype(dtype)
    x2 = rng.standard_normal((*lead, 4)).astype(dtype)
    weight = rng.standard_normal((5, 3, 4)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    if bias:
        compare_op(F.bilinear, TF.bilinear, [x1, x2, weight, b])
    else:
        compare_op(F.bilinear, TF.bilinear, [x1, x2, weight])


def test_bilinear_hand_case_and_gradcheck(rng):
    weight = juanji.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    out = F.bilinear(juanji.tensor([[1.0, 2.0]]), juanji.tensor([[1.0, -1.0]]), weight)
    assert out.item() == pytest.approx((1 - 2) + 2 * (3 - 4))
    args = [juanji.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 3), (2, 2)]]
    w = juanji.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w), [*args, w])


def test_bilinear_module_init_and_repr():
    juanji.manual_seed(0)
    layer = nn.Bilinear(25, 30, 40)
    assert layer.weight.shape == (40, 25, 30) and layer.bias.shape == (40,)
    bound = 1 / 25**0.5
    assert float(layer.weight.abs().max()) <= bound
    assert float(layer.weight.abs().max()) > 0.95 * bound
    assert repr(layer) == repr(torch.nn.Bilinear(25, 30, 40))
    assert repr(nn.Bilinear(1, 2, 3, bias=False)) == repr(torch.nn.Bilinear(1, 2, 3, bias=False))
    assert nn.Bilinear(1, 2, 3, bias=False).bias is None
    layer(juanji.zeros(7, 25), juanji.zeros(7, 30)).sum().backward()
    assert layer.weight.grad.shape == (40, 25, 30)


def test_bilinear_errors():
    with pytest.raises(ValueError, match="input2 size does not match weight size"):
        F.bilinear(juanji.zeros(2, 3), juanji.zeros(2, 4), juanji.zeros(5, 3, 3))
    with pytest.raises(ValueError, match="input batch dimensions do not match"):
        F.bilinear(juanji.zeros(2, 3), juanji.zeros(3, 4), juanji.zeros(5, 3, 4))
    with pytest.raises(ValueError, match="in1_features must be a positive integer"):
        nn.Bilinear(0, 2, 3)


@pytest.mark.parametrize(
    ("shape", "groups"), [((2, 6, 3, 3), 3), ((1, 4, 5), 2), ((1, 8, 2, 2, 2), 4)]
)
def test_channel_shuffle_matches_torch(rng, shape, groups):
    x = rng.standard_normal(shape)
    compare_op(lambda x: F.channel_shuffle(x, groups), lambda x: TF.channel_shuffle(x, groups), [x])
    ours = nn.ChannelShuffle(groups)(juanji.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, torch.nn.ChannelShuffle(groups)(torch.tensor(x)).numpy())
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


@pytest.mark.parametrize(
    ("shape", "groups", "message"),
    [
        ((1, 6, 2, 2), 4, "Number of channels must be divisible by groups"),
        ((1, 6, 2, 2), 0, "Number of groups to divide channels in must be positive"),
        ((6, 2), 2, "expects input with > 2 dims"),
    ],
)
def test_channel_shuffle_errors_as_torch(shape, groups, message):
    with pytest.raises(RuntimeError, match=message):
        TF.channel_shuffle(torch.zeros(shape), groups)
    with pytest.raises(ValueError, match=f"channel_shuffle: .*{message}"):
        F.channel_shuffle(juanji.zeros(*shape), groups)


def test_fold_and_unfold_modules_match_torch(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    options = {"kernel_size": (2, 3), "dilation": 1, "padding": 1, "stride": (2, 1)}
    unfold, t_unfold = nn.Unfold(**options), torch.nn.Unfold(**options)
    compare_op(unfold, t_unfold, [x])
    columns = unfold(juanji.tensor(x)).numpy()
    fold, t_fold = nn.Fold((6, 5), **options), torch.nn.Fold((6, 5), **options)
    compare_op(fold, t_fold, [columns])
    assert repr(unfold) == repr(t_unfold)
    assert repr(fold) == repr(t_fold)


LEGACY = {"size_average", "reduce"}
NEW_FUNCTIONS = [
    "affine_grid", "grid_sample", "bilinear", "channel_shuffle", "cosine_similarity", "normalize",
    "pairwise_distance", "pdist", "embedding", "one_hot", "poisson_nll_loss", "gaussian_nll_loss",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss",
]  # fmt: skip
NEW_MODULES = [
    "Bilinear", "ChannelShuffle", "CosineSimilarity", "PairwiseDistance", "Embedding", "Fold",
    "Unfold", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss",
    "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
]  # fmt: skip


def _names(fn, skip=0):
    import inspect

    return [n for n in list(inspect.signature(fn).parameters)[skip:] if n not in LEGACY]


# PyTorch's documented signatures of the ones that are C builtins (no inspectable signature)
DOCUMENTED = {
    "bilinear": ["input1", "input2", "weight", "bias"],
    "channel_shuffle": ["input", "groups"],
    "cosine_similarity": ["x1", "x2", "dim", "eps"],
    "pairwise_distance": ["x1", "x2", "p", "eps", "keepdim"],
    "pdist": ["input", "p"],
    "one_hot": ["tensor", "num_classes"],
}


@pytest.mark.parametrize("name", NEW_FUNCTIONS)
def test_new_functional_signatures_match_torch(name):
    theirs = DOCUMENTED.get(name) or _names(getattr(TF, name))
    assert _names(getattr(F, name)) == theirs


@pytest.mark.parametrize("name", NEW_MODULES)
def test_new_module_signatures_match_torch(name):
    ours = _names(getattr(nn, name).__init__, 1)
    theirs = _names(getattr(torch.nn, name).__init__, 1)
    assert ours == theirs
