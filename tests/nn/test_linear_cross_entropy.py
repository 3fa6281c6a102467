"""``F.linear_cross_entropy`` and ``nn.LinearCrossEntropyLoss`` against PyTorch 2.13."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import compare_op, torch

TF = torch.nn.functional


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_cross_entropy_matches_torch(rng, reduction, smoothing, dtype):
    x = rng.standard_normal((5, 3)).astype(dtype)
    w = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    target = np.array([0, 3, 1, 1, 2])
    options = {"reduction": reduction, "label_smoothing": smoothing}
    compare_op(
        lambda x, w, b: F.linear_cross_entropy(
            x, w, juanji.tensor(target), linear_bias=b, **options
        ),
        lambda x, w, b: TF.linear_cross_entropy(
            x, w, torch.tensor(target), linear_bias=b, **options
        ),
        [x, w, b],
    )


def test_linear_cross_entropy_k_dimensional_weights_and_ignore_index(rng):
    x, w, b = (
        rng.standard_normal((5, 3)),
        rng.standard_normal((4, 2, 3)),
        rng.standard_normal((4, 2)),
    )
    target = np.array([[0, 3], [1, 1], [2, 2], [3, -100], [1, 0]])
    class_weight = rng.uniform(0.5, 2, 4)
    compare_op(
        lambda x, w, b, cw: F.linear_cross_entropy(
            x, w, juanji.tensor(target), linear_bias=b, weight=cw
        ),
        lambda x, w, b, cw: TF.linear_cross_entropy(
            x, w, torch.tensor(target), linear_bias=b, weight=cw
        ),
        [x, w, b, class_weight],
        grads=[0, 1, 2],
    )
    compare_op(
        lambda x, w: F.linear_cross_entropy(x, w, juanji.tensor([0, 1, 2, 3, 1]), ignore_index=1),
        lambda x, w: TF.linear_cross_entropy(x, w, torch.tensor([0, 1, 2, 3, 1]), ignore_index=1),
        [x, w[:, 0]],
    )


def test_linear_cross_entropy_loss_module_matches_torch(rng):
    ours = nn.LinearCrossEntropyLoss(3, 4, out_features=(2,), bias=True, dtype=juanji.float64)
    theirs = torch.nn.LinearCrossEntropyLoss(3, 4, out_features=(2,), bias=True).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for (_, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            values = rng.standard_normal(tuple(b.shape))
            a.data = juanji.tensor(values)
            b.copy_(torch.tensor(values))
    x, target = rng.standard_normal((5, 3)), np.array([[0, 3], [1, 1], [2, 2], [3, 0], [1, 0]])
    loss, t_loss = (
        ours(juanji.tensor(x), juanji.tensor(target)),
        theirs(torch.tensor(x), torch.tensor(target)),
    )
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    assert repr(nn.LinearCrossEntropyOptions(batch_chunk_size=8)) == repr(
        torch.nn.LinearCrossEntropyOptions(batch_chunk_size=8)
    )


def test_linear_cross_entropy_errors():
    with pytest.raises(ValueError, match="expected equal input and linear_weight last dimensions"):
        F.linear_cross_entropy(juanji.zeros(2, 3), juanji.zeros(4, 5), juanji.tensor([0, 1]))
    with pytest.raises(ValueError, match="ignore_index cannot be specified"):
        F.linear_cross_entropy(
            juanji.zeros(2, 3), juanji.zeros(4, 3), juanji.zeros(2, 4), ignore_index=0
        )
    with pytest.raises(ValueError, match="invalid acc_policy"):
        nn.LinearCrossEntropyOptions(acc_policy="fast")
    with pytest.raises(ValueError, match="expected label_smoothing to be in range"):
        nn.LinearCrossEntropyLoss(3, 4, label_smoothing=2.0)
