"""``F.embedding``, ``nn.Embedding`` and ``F.one_hot`` against PyTorch."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import compare_op, torch

TF = torch.nn.functional
INDICES = np.array([[1, 2, 5], [2, 2, 0]])


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"padding_idx": 2},
        {"padding_idx": -1},
        {"scale_grad_by_freq": True},
        {"padding_idx": 2, "scale_grad_by_freq": True},
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_matches_torch(rng, options, dtype):
    weight = rng.standard_normal((6, 3)).astype(dtype)
    compare_op(
        lambda w: F.embedding(juanji.tensor(INDICES), w, **options),
        lambda w: TF.embedding(torch.tensor(INDICES), w, **options),
        [weight],
    )


@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (1.5, 1.0), (0.5, 3.0)])
def test_embedding_max_norm_renormalises_rows_as_torch(rng, max_norm, norm_type):
    weight = rng.standard_normal((6, 3)) * 2
    ours, theirs = juanji.tensor(weight.copy()), torch.tensor(weight.copy())
    out = F.embedding(juanji.tensor(INDICES), ours, max_norm=max_norm, norm_type=norm_type)
    expected = TF.embedding(torch.tensor(INDICES), theirs, max_norm=max_norm, norm_type=norm_type)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)  # the rows, in place
    np.testing.assert_array_equal(ours.numpy()[3], weight[3])  # a row not read stays


def test_embedding_module_init_padding_and_repr():
    juanji.manual_seed(0)
    table = nn.Embedding(1000, 8, padding_idx=0)
    assert table.weight.shape == (1000, 8)
    np.testing.assert_array_equal(table.weight.detach().numpy()[0], np.zeros(8))
    assert np.std(table.weight.detach().numpy()[1:]) == pytest.approx(1.0, rel=0.05)
    assert repr(table) == repr(torch.nn.Embedding(1000, 8, padding_idx=0))
    options = {"max_norm": 2.0, "norm_type": 1.0, "scale_grad_by_freq": True}
    assert repr(nn.Embedding(5, 2, **options)) == repr(torch.nn.Embedding(5, 2, **options))
    table(juanji.tensor([[0, 3]])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy()[0], np.zeros(8))
    np.testing.assert_array_equal(table.weight.grad.numpy()[3], np.ones(8))


def test_embedding_from_pretrained():
    vectors = juanji.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(vectors)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(juanji.tensor([1, 0])).numpy(), [[3, 4], [1, 2]])
    assert nn.Embedding.from_pretrained(vectors, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(juanji.zeros(3))


def test_embedding_errors():
    weight = juanji.zeros(3, 2)
    with pytest.raises(IndexError):
        TF.embedding(torch.tensor([3]), torch.zeros(3, 2))
    with pytest.raises(IndexError, match="embedding: index out of range"):
        F.embedding(juanji.tensor([3]), weight)
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(juanji.tensor([-1]), weight)
    with pytest.raises(TypeError, match="embedding: input must hold integer indices"):
        F.embedding(juanji.tensor([1.0]), weight)
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(juanji.tensor([1]), weight, sparse=True)


def test_one_hot_matches_torch():
    labels = np.array([[0, 3], [1, 1]])
    for classes in (-1, 5):
        ours = F.one_hot(juanji.tensor(labels), classes)
        theirs = TF.one_hot(torch.tensor(labels), classes)
        assert ours.dtype == juanji.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="Class values must be smaller than num_classes"):
        F.one_hot(juanji.tensor([3]), 3)
    with pytest.raises(ValueError, match="Class values must be non-negative"):
        F.one_hot(juanji.tensor([-1]))


BAG_CASES = [
    (np.array([1, 2, 3, 5, 0, 2]), np.array([0, 2, 2, 4]), False),  # with an empty bag
    (np.array([[1, 2, 3], [5, 0, 2]]), None, False),
    (np.array([1, 2, 3, 5, 0, 2]), np.array([0, 3, 6]), True),
]


@pytest.mark.parametrize(("indices", "offsets", "last"), BAG_CASES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_matches_torch(rng, indices, offsets, last, mode, padding_idx):
    weight = rng.standard_normal((6, 3))
    options = {"mode": mode, "padding_idx": padding_idx, "include_last_offset": last}

    def bags(library, w):
        as_tensor = library.tensor
        return library.nn.functional.embedding_bag(
            as_tensor(indices), w, None if offsets is None else as_tensor(offsets), **options
        )

    compare_op(lambda w: bags(juanji, w), lambda w: bags(torch, w), [weight])


def test_embedding_bag_per_sample_weights_match_torch(rng):
    indices, offsets = juanji.tensor([1, 2, 3, 5, 0, 2]), juanji.tensor([0, 2, 2, 4])
    t_indices, t_offsets = torch.tensor(indices.numpy()), torch.tensor(offsets.numpy())
    compare_op(
        lambda w, p: F.embedding_bag(indices, w, offsets, mode="sum", per_sample_weights=p),
        lambda w, p: TF.embedding_bag(t_indices, w, t_offsets, mode="sum", per_sample_weights=p),
        [rng.standard_normal((6, 3)), rng.standard_normal(6)],
    )


def test_embedding_bag_module_and_errors():
    bags = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    assert repr(bags) == repr(torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2))
    np.testing.assert_array_equal(bags.weight.detach().numpy()[2], np.zeros(3))
    assert bags(juanji.tensor([[1, 2], [3, 4]])).shape == (2, 3)
    frozen = nn.EmbeddingBag.from_pretrained(juanji.ones(4, 2), mode="max")
    assert not frozen.weight.requires_grad
    weight = juanji.zeros(5, 2)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(juanji.tensor([[1]]), weight, mode="median")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported"):
        F.embedding_bag(
            juanji.tensor([[1]]), weight, mode="mean", per_sample_weights=juanji.ones(1, 1)
        )
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        F.embedding_bag(juanji.tensor([1, 2]), weight)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(juanji.tensor([[1, 2]]), weight, juanji.tensor([0]))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(juanji.tensor([1, 2]), weight, juanji.tensor([1]))
