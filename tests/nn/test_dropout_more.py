"""Channel-wise dropout (1d/2d/3d) and AlphaDropout: mask statistics, identities, errors.

PyTorch's random stream differs from juanji's, so the oracles are statistics and the defining
identities (whole channels zeroed, survivors scaled, grad = grad_out * mask, eval = identity).
"""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import torch

CASES = [
    ("Dropout1d", F.dropout1d, (40, 50, 6)),
    ("Dropout2d", F.dropout2d, (40, 50, 3, 2)),
    ("Dropout3d", F.dropout3d, (40, 50, 2, 2, 2)),
]


@pytest.mark.parametrize("name,fn,shape", CASES)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_channel_dropout_zeros_whole_channels_with_probability_p(name, fn, shape, p):
    juanji.manual_seed(0)
    out = fn(juanji.ones(*shape), p=p).numpy()
    per_channel = out.reshape(shape[0] * shape[1], -1)
    # Every channel is all zeros or all 1 / (1 - p): one draw per (sample, channel).
    assert np.all(per_channel.std(axis=1) == 0)
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / (1 - p))}
    dropped = np.mean(per_channel[:, 0] == 0)
    n = per_channel.shape[0]  # 2000 channels: 5 binomial sigmas
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("name,fn,shape", CASES)
def test_channel_dropout_gradient_is_the_mask_and_eval_is_identity(name, fn, shape):
    juanji.manual_seed(1)
    x = juanji.randn(*shape, requires_grad=True)
    out = fn(x, p=0.5)
    out.sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy() * x.detach().numpy(), out.detach().numpy(), rtol=1e-6, atol=1e-6
    )
    module = getattr(nn, name)(0.5).eval()
    assert module(x) is x
    assert repr(module) == repr(getattr(torch.nn, name)(0.5))
    unbatched = fn(juanji.ones(*shape[1:]), p=0.5) if name != "Dropout2d" else None
    if unbatched is not None:  # (C, *): one draw per channel
        flat = unbatched.numpy().reshape(shape[1], -1)
        assert np.all(flat.std(axis=1) == 0)


def test_dropout2d_reads_3d_input_as_n_c_l_with_torch_warning():
    juanji.manual_seed(2)
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        out = F.dropout2d(juanji.ones(30, 40, 5)).numpy()
    assert np.all(out.reshape(1200, 5).std(axis=1) == 0)


def test_alpha_dropout_keeps_standard_normal_statistics():
    juanji.manual_seed(3)
    x = juanji.randn(400_000, dtype=juanji.float64)
    for p in (0.1, 0.5):
        out = F.alpha_dropout(x, p, training=True).numpy()
        assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
        # Dropped units all take a' = a * alpha' * (p - 1), the same value.
        a = 1 / np.sqrt((1.7580993408473766**2 * p + 1) * (1 - p))
        low = a * 1.7580993408473766 * (p - 1)
        assert abs(np.mean(np.isclose(out, low)) - p) < 0.01
    assert F.alpha_dropout(x, 0.5) is x  # training=False by default, as PyTorch
    assert nn.AlphaDropout(0.3).eval()(x) is x


def test_alpha_dropout_gradient_and_torch_formula():
    juanji.manual_seed(4)
    x = juanji.randn(1000, dtype=juanji.float64, requires_grad=True)
    out = F.alpha_dropout(x, 0.3, training=True)
    out.sum().backward()
    p, alpha = 0.3, 1.7580993408473766
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    keep = x.grad.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy()[keep], a)
    expected = np.where(keep, a * x.detach().numpy() + alpha * a * p, -alpha * a + alpha * a * p)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)


def test_dropout_family_errors():
    with pytest.raises(
        ValueError,
        match=r"dropout2d: input must be 3-D \(C, \*\) or 4-D "
        r"\(N, C, \*\) with 2 spatial dimension\(s\), got 2-D",
    ):
        F.dropout2d(juanji.ones(3, 4))
    with pytest.raises(ValueError, match=r"dropout1d: p must be a probability between 0 and 1"):
        F.dropout1d(juanji.ones(2, 3, 4), p=1.5)
    with pytest.raises(ValueError, match=r"Dropout3d: p must be a probability"):
        nn.Dropout3d(-0.1)
    with pytest.raises(ValueError, match=r"alpha_dropout: p must be below 1 in training"):
        F.alpha_dropout(juanji.ones(3), 1.0, training=True)
    with pytest.raises(TypeError, match=r"dropout3d: input must be a floating-point tensor"):
        F.dropout3d(juanji.ones(1, 2, 1, 1, 1, dtype=juanji.int64))
