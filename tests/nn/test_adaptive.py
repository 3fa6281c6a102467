"""``AdaptiveLogSoftmaxWithLoss`` against PyTorch with the same parameters."""

import numpy as np
import pytest

import juanji
from juanji import nn
from reference import torch


def _pair(rng, in_features=16, n_classes=12, cutoffs=(3, 8), head_bias=True):
    ours = nn.AdaptiveLogSoftmaxWithLoss(
        in_features, n_classes, list(cutoffs), div_value=2.0, head_bias=head_bias,
        dtype=juanji.float64,
    )  # fmt: skip
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(
        in_features, n_classes, list(cutoffs), div_value=2.0, head_bias=head_bias
    ).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for (_, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            values = rng.standard_normal(tuple(b.shape)) * 0.3
            a.data = juanji.tensor(values)
            b.copy_(torch.tensor(values))
    return ours, theirs


def test_adaptive_log_softmax_matches_torch(rng):
    ours, theirs = _pair(rng)
    x = rng.standard_normal((7, 16))
    target = np.array([0, 2, 3, 7, 8, 11, 5])
    out, loss = ours(juanji.tensor(x), juanji.tensor(target))
    t_out, t_loss = theirs(torch.tensor(x), torch.tensor(target))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    loss.backward()
    t_loss.backward()
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, err_msg=name)
    log_prob = ours.log_prob(juanji.tensor(x)).detach().numpy()
    np.testing.assert_allclose(log_prob, theirs.log_prob(torch.tensor(x)).detach().numpy())
    np.testing.assert_allclose(np.exp(log_prob).sum(1), np.ones(7))
    np.testing.assert_array_equal(
        ours.predict(juanji.tensor(x)).numpy(), theirs.predict(torch.tensor(x))
    )


def test_adaptive_log_softmax_single_sample_shortlist_only_and_errors(rng):
    ours, theirs = _pair(rng)
    x = rng.standard_normal(16)
    out, _ = ours(juanji.tensor(x), juanji.tensor(9))
    assert out.shape == () and out.item() == pytest.approx(
        theirs(torch.tensor(x), torch.tensor(9))[0].item()
    )
    out, _ = ours(juanji.tensor(x[None]), juanji.tensor([1]))
    assert out.item() == pytest.approx(theirs(torch.tensor(x[None]), torch.tensor([1]))[0].item())
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(16, 10, [5, 3])
    with pytest.raises(RuntimeError, match="Target values should be in"):
        ours(juanji.zeros(1, 16, dtype=juanji.float64), juanji.tensor([12]))
