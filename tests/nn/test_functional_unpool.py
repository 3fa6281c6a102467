"""max_unpool1d/2d/3d, lp_pool1d/2d/3d and their modules vs PyTorch; gradcheck; hand; messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn as nn
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional


@st.composite
def pool_configs(draw):
    S = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(S))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(S))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(
        draw(st.integers(max(1, k - 2 * p), 5 if S < 3 else 3))
        for k, p in zip(kernel, padding, strict=True)
    )
    lead = draw(st.sampled_from([(2, 3), (3,)]))
    return S, lead + sizes, kernel, stride, padding


@settings(max_examples=60, deadline=None)
@given(config=pool_configs(), dtype=st.sampled_from([np.float32, np.float64]), data=st.data())
def test_max_unpool_matches_torch(config, dtype, data):
    S, shape, kernel, stride, padding = config
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    pool = getattr(TF, f"max_pool{S}d")
    values, indices = pool(x, kernel, stride, padding, return_indices=True)
    default = [
        (n - 1) * s + k - 2 * p
        for n, k, s, p in zip(values.shape[-S:], kernel, stride, padding, strict=True)
    ]
    output_size = None
    if data.draw(st.booleans()):
        output_size = [
            data.draw(st.integers(max(m - s + 1, max(1, n)), m + s - 1))
            for m, s, n in zip(default, stride, shape[-S:], strict=True)
        ]
    ours, theirs = getattr(F, f"max_unpool{S}d"), getattr(TF, f"max_unpool{S}d")
    args = (kernel, stride, padding, output_size)
    sizes = output_size or default
    if min(sizes) < 1:  # PyTorch returns an empty tensor; juanji refuses a size-0 unpool
        with pytest.raises(ValueError, match="must be >= 1"):
            ours(juanji.tensor(values.numpy()), juanji.tensor(indices.numpy()), *args)
        return
    if int(indices.max()) >= int(np.prod(sizes)):  # the pooled input was larger than the unpool
        with pytest.raises(RuntimeError):
            theirs(values, indices, *args)
        with pytest.raises(ValueError, match="invalid max index"):
            ours(juanji.tensor(values.numpy()), juanji.tensor(indices.numpy()), *args)
        return
    compare_op(
        lambda v, i: ours(v, i, *args),
        lambda v, i: theirs(v, i, *args),
        [values.numpy(), indices.numpy()],
    )


def test_max_unpool_by_hand_and_gradcheck():
    x = juanji.tensor([[[[1.0, 2.0, 0.0, 0.0], [4.0, 3.0, 0.0, 9.0]]]])
    y, i = F.max_pool2d(x, 2, return_indices=True)
    assert F.max_unpool2d(y, i, 2).tolist() == [[[[0.0, 0.0, 0.0, 0.0], [4.0, 0.0, 0.0, 9.0]]]]
    v = juanji.tensor(np.random.default_rng(1).standard_normal((1, 2, 2, 2)), requires_grad=True)
    idx = juanji.tensor([[[[0, 3], [9, 14]], [[5, 2], [8, 15]]]])
    assert gradcheck(lambda t: F.max_unpool2d(t, idx, 2), [v])


def test_max_unpool_messages():
    v, i = juanji.ones(1, 1, 2, 2), juanji.zeros(1, 1, 2, 2).long()
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(6, 4\): dim 0"):
        F.max_unpool2d(v, i, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match="max_unpool2d: output_size must have 2 or 4 elements"):
        F.max_unpool2d(v, i, 2, output_size=(4,))
    with pytest.raises(ValueError, match="max_unpool2d: found an invalid max index 16"):
        F.max_unpool2d(v, i + 16, 2)
    with pytest.raises(ValueError, match="max_unpool2d: indices must have the shape of input"):
        F.max_unpool2d(v, i[0], 2)
    with pytest.raises(TypeError, match="max_unpool2d: indices must be an integer tensor"):
        F.max_unpool2d(v, v, 2)
    with pytest.raises(ValueError, match="max_unpool1d: input must be 2-D"):
        F.max_unpool1d(v, i, 2)


def test_max_unpool_modules_match_torch():
    x = torch.from_numpy(np.random.default_rng(2).standard_normal((2, 3, 5, 7)))
    values, indices = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
    ours, theirs = nn.MaxUnpool2d(3, 2, 1), torch.nn.MaxUnpool2d(3, 2, 1)
    assert repr(ours) == repr(theirs)
    assert repr(nn.MaxUnpool1d(2)) == repr(torch.nn.MaxUnpool1d(2))
    assert repr(nn.MaxUnpool3d(2, 1)) == repr(torch.nn.MaxUnpool3d(2, 1))
    compare_op(
        lambda v, i: ours(v, i, output_size=x.shape),
        lambda v, i: theirs(v, i, output_size=x.shape),
        [values.numpy(), indices.numpy()],
    )


@settings(max_examples=60, deadline=None)
@given(
    S=st.integers(1, 3),
    norm_type=st.sampled_from([1, 2, 3, 1.5]),
    kernel=st.integers(1, 3),
    stride=st.sampled_from([None, 1, 2]),
    ceil_mode=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    data=st.data(),
)
def test_lp_pool_matches_torch(S, norm_type, kernel, stride, ceil_mode, dtype, data):
    sizes = tuple(data.draw(st.integers(kernel, kernel + 3)) for _ in range(S))
    # Positive input keeps x**p and its root real and away from the non-differentiable zero.
    x = (np.random.default_rng(3).uniform(0.5, 2.0, (2, 2) + sizes)).astype(dtype)
    ours, theirs = getattr(F, f"lp_pool{S}d"), getattr(TF, f"lp_pool{S}d")
    compare_op(
        lambda t: ours(t, norm_type, kernel, stride, ceil_mode),
        lambda t: theirs(t, norm_type, kernel, stride, ceil_mode),
        [x],
    )
    module = getattr(nn, f"LPPool{S}d")(norm_type, kernel, stride, ceil_mode)
    reference = getattr(torch.nn, f"LPPool{S}d")(norm_type, kernel, stride, ceil_mode)
    assert repr(module) == repr(reference)
    compare_op(module, reference, [x])


def test_lp_pool_by_hand_gradcheck_and_messages():
    x = juanji.tensor([[[3.0, 4.0, 1.0, 1.0]]], dtype=juanji.float64)
    assert F.lp_pool1d(x, 2, 2).tolist() == [[[5.0, 2.0**0.5]]]
    t = juanji.tensor(np.random.default_rng(4).uniform(0.5, 2, (1, 2, 4, 3)), requires_grad=True)
    assert gradcheck(lambda a: F.lp_pool2d(a, 3, (2, 1), stride=(1, 2)), [t])
    with pytest.raises(ValueError, match="lp_pool2d: norm_type must be a non-zero number"):
        F.lp_pool2d(t, 0, 2)
    with pytest.raises(ValueError, match="lp_pool2d: kernel_size must be >= 1"):
        F.lp_pool2d(t, 2, 0)
