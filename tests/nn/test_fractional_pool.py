"""Fractional max pooling against PyTorch, given the same random samples."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import compare_op, torch

TF = torch.nn.functional


@pytest.mark.parametrize(
    ("shape", "kernel", "size"),
    [((2, 3, 10, 13), (2, 3), (4, 5)), ((1, 2, 7, 9), 3, (5, 6)), ((3, 8, 8), 2, 4)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool2d_matches_torch(rng, shape, kernel, size, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    samples = rng.uniform(size=(1 if len(shape) == 3 else shape[0], shape[-3], 2)).astype(dtype)
    outputs = compare_op(
        lambda x, s: F.fractional_max_pool2d(
            x, kernel, size, return_indices=True, _random_samples=s
        ),
        lambda x, s: TF.fractional_max_pool2d(
            x, kernel, size, return_indices=True, _random_samples=s
        ),
        [x, samples],
        grads=[0],
    )
    assert outputs[1].dtype == juanji.int64


@pytest.mark.parametrize(
    ("shape", "kernel", "size"), [((2, 2, 7, 8, 9), (2, 3, 2), (4, 3, 5)), ((1, 3, 6, 6, 6), 2, 3)]
)
def test_fractional_max_pool3d_matches_torch(rng, shape, kernel, size):
    x = rng.standard_normal(shape)
    samples = rng.uniform(size=(shape[0], shape[1], 3))
    compare_op(
        lambda x, s: F.fractional_max_pool3d_with_indices(x, kernel, size, _random_samples=s),
        lambda x, s: TF.fractional_max_pool3d_with_indices(x, kernel, size, _random_samples=s),
        [x, samples],
        grads=[0],
    )


def test_fractional_max_pool_output_ratio_and_random_samples(rng):
    x = juanji.tensor(rng.standard_normal((2, 3, 12, 10)))
    out = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7))
    assert out.shape == (2, 3, 6, 7)
    # every output is the maximum of some 2x2 block of its plane
    blocks = np.lib.stride_tricks.sliding_window_view(x.numpy(), (2, 2), axis=(2, 3)).max((-1, -2))
    for n in range(2):
        for c in range(3):
            assert np.isin(out.numpy()[n, c], blocks[n, c]).all()


def test_fractional_max_pool_modules_and_errors():
    samples = torch.rand(1, 2, 2)
    ours = nn.FractionalMaxPool2d(
        3, output_size=(4, 5), _random_samples=juanji.tensor(samples.numpy())
    )
    theirs = torch.nn.FractionalMaxPool2d(3, output_size=(4, 5), _random_samples=samples)
    x = np.random.default_rng(0).standard_normal((1, 2, 9, 11)).astype(np.float32)
    np.testing.assert_array_equal(ours(juanji.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())
    assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool3d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match="requires specifying either an output_size or"):
        F.fractional_max_pool2d(juanji.zeros(1, 1, 8, 8), 2)
    with pytest.raises(ValueError, match="pool height 5 too large relative to input height 8"):
        F.fractional_max_pool2d(juanji.zeros(1, 1, 8, 8), 5, output_size=(6, 6))
