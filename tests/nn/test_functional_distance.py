"""``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``pdist`` and their modules."""

import math

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
P_VALUES = [2.0, 1.0, 3.0, 0.5, math.inf]


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("dim", [1, 0, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_matches_torch(rng, p, dim, dtype):
    x = rng.standard_normal((3, 4, 2)).astype(dtype)
    compare_op(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), [x])


def test_normalize_keeps_zero_vectors_at_zero():
    out = F.normalize(juanji.zeros(2, 3))
    np.testing.assert_array_equal(out.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize(
    ("shape1", "shape2", "dim"),
    [((4, 5), (4, 5), 1), ((4, 5), (1, 5), 1), ((3, 4, 2), (3, 4, 2), 2), ((5,), (5,), 0)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cosine_similarity_matches_torch(rng, shape1, shape2, dim, dtype):
    x1 = rng.standard_normal(shape1).astype(dtype)
    x2 = rng.standard_normal(shape2).astype(dtype)
    compare_op(
        lambda a, b: F.cosine_similarity(a, b, dim),
        lambda a, b: TF.cosine_similarity(a, b, dim),
        [x1, x2],
    )


def test_cosine_similarity_eps_floor_matches_torch_gradient(rng):
    """Tiny vectors: the value uses eps, the gradient flows through the unclamped norm."""
    x1 = rng.standard_normal((3, 4)) * 1e-3
    x2 = rng.standard_normal((3, 4))
    compare_op(
        lambda a, b: F.cosine_similarity(a, b, eps=0.1),
        lambda a, b: TF.cosine_similarity(a, b, eps=0.1),
        [x1, x2],
    )


def test_cosine_similarity_hand_case():
    out = F.cosine_similarity(juanji.tensor([[1.0, 0.0], [1.0, 1.0]]), juanji.tensor([[0.0, 1.0]]))
    np.testing.assert_allclose(out.numpy(), [0.0, 1 / math.sqrt(2)], rtol=1e-6)


@pytest.mark.parametrize("p", [*P_VALUES, 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(rng, p, keepdim):
    x1, x2 = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    compare_op(
        lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim),
        lambda a, b: TF.pairwise_distance(a, b, p, 1e-6, keepdim),
        [x1, x2],
        grads=p != 0.0,
    )


def test_pairwise_distance_one_dimensional_and_broadcast(rng):
    x1, x2 = rng.standard_normal(5), rng.standard_normal((3, 5))
    compare_op(F.pairwise_distance, TF.pairwise_distance, [x1, x1[::-1].copy()])
    compare_op(F.pairwise_distance, TF.pairwise_distance, [x1, x2])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
def test_pdist_matches_torch(rng, p):
    x = rng.standard_normal((5, 3))
    compare_op(lambda x: F.pdist(x, p), lambda x: TF.pdist(x, p), [x])


def test_distance_gradcheck(rng):
    x1 = juanji.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x2 = juanji.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), [x1, x2])
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0), [x1, x2])


def test_distance_modules_match_functional(rng):
    a, b = juanji.tensor(rng.standard_normal((3, 4))), juanji.tensor(rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(
        nn.CosineSimilarity(dim=0, eps=1e-4)(a, b).numpy(),
        F.cosine_similarity(a, b, 0, 1e-4).numpy(),
    )
    np.testing.assert_array_equal(
        nn.PairwiseDistance(p=1.0, keepdim=True)(a, b).numpy(),
        F.pairwise_distance(a, b, 1.0, keepdim=True).numpy(),
    )
    assert nn.PairwiseDistance(p=3.0).norm == torch.nn.PairwiseDistance(p=3.0).norm


def test_distance_errors():
    with pytest.raises(ValueError, match="do not broadcast"):
        F.cosine_similarity(juanji.zeros(2, 3), juanji.zeros(4, 3))
    with pytest.raises(TypeError, match="cosine_similarity: x1 must be a floating-point"):
        F.cosine_similarity(juanji.zeros(2, 3, dtype=juanji.int64), juanji.zeros(2, 3))
    with pytest.raises(ValueError, match="pdist: input must be 2-D"):
        F.pdist(juanji.zeros(3))
    with pytest.raises(ValueError, match="p must be >= 0"):
        F.pairwise_distance(juanji.zeros(2), juanji.zeros(2), p=-1.0)
