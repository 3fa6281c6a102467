"""Numerics of ``juanji._ops.dropout`` through ``F.dropout``: statistics, mask reuse, edges.

PyTorch's random stream differs from juanji's, so the oracle here is statistics and the
defining identities (out = x * mask, grad = grad_out * mask) rather than equal values.
"""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.testing import gradcheck


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    juanji.manual_seed(0)
    n = 200_000
    out = F.dropout(juanji.ones(n), p=p).numpy()
    dropped = np.mean(out == 0)
    # Binomial standard error sqrt(p(1-p)/n) < 0.0012: 5 sigma is well inside 0.006.
    assert abs(dropped - p) < 0.006
    values = np.unique(out)
    assert len(values) == 2 and values[0] == 0
    assert values[1] == pytest.approx(1 / (1 - p), rel=1e-6)
    assert abs(out.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation


def test_backward_reuses_the_forward_mask():
    juanji.manual_seed(1)
    x = juanji.tensor(
        np.random.default_rng(0).uniform(1, 2, (50, 40)).astype(np.float32), requires_grad=True
    )
    out = F.dropout(x, p=0.4)
    cotangent = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    (out * juanji.tensor(cotangent)).sum().backward()
    mask = out.detach().numpy() / x.detach().numpy()  # x >= 1: the mask is recoverable
    np.testing.assert_allclose(x.grad.numpy(), cotangent * mask, rtol=1e-6)


def test_dropout_gradcheck_with_a_fixed_generator():
    x = juanji.randn(4, 5, dtype=juanji.float64, requires_grad=True)
    fn = lambda t: F.dropout(t, 0.3, generator=juanji.Generator().manual_seed(7))  # noqa: E731
    assert gradcheck(fn, (x,))


def test_p_zero_and_eval_return_the_input():
    x = juanji.randn(3, requires_grad=True)
    assert F.dropout(x, p=0.0) is x
    assert F.dropout(x, p=0.7, training=False) is x


def test_p_one_gives_zeros_and_zero_gradient():
    x = juanji.randn(3, 4, requires_grad=True)
    out = F.dropout(x, p=1.0)
    assert not out.detach().numpy().any()
    out.sum().backward()
    assert not x.grad.numpy().any()


def test_seeded_reproducibility():
    x = juanji.ones(1000)
    juanji.manual_seed(123)
    first = F.dropout(x).numpy()
    juanji.manual_seed(123)
    assert np.array_equal(first, F.dropout(x).numpy())
    a = F.dropout(x, generator=juanji.Generator().manual_seed(5)).numpy()
    b = F.dropout(x, generator=juanji.Generator().manual_seed(5)).numpy()
    assert np.array_equal(a, b) and not np.array_equal(a, first)


@pytest.mark.parametrize("dtype", [juanji.float32, juanji.float64])
def test_dropout_preserves_dtype(dtype):
    x = juanji.ones(100, dtype=dtype, requires_grad=True)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype


def test_noncontiguous_input():
    juanji.manual_seed(3)
    x = juanji.ones(30, 20).transpose(0, 1)
    out = F.dropout(x, 0.5)
    assert out.shape == (20, 30)
    assert set(np.unique(out.numpy()).tolist()) <= {0.0, 2.0}
