"""Always-on variants of the resampling and transposed-convolution ops: non-contiguous input,
empty batch, gradients for a subset of inputs, and the dtype kept."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from reference import compare_op, torch

TF = torch.nn.functional

CASES = {
    "interpolate bilinear": (
        lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear"),
        lambda t: TF.interpolate(t, scale_factor=1.5, mode="bilinear"),
    ),
    "interpolate nearest": (
        lambda t: F.interpolate(t, size=(5, 2)),
        lambda t: TF.interpolate(t, size=(5, 2)),
    ),
    "interpolate bicubic": (
        lambda t: F.interpolate(t, size=(2, 7), mode="bicubic", align_corners=True),
        lambda t: TF.interpolate(t, size=(2, 7), mode="bicubic", align_corners=True),
    ),
    "pixel_shuffle": (lambda t: F.pixel_shuffle(t, 2), lambda t: TF.pixel_shuffle(t, 2)),
    "lp_pool2d": (lambda t: F.lp_pool2d(t, 2, 2), lambda t: TF.lp_pool2d(t, 2, 2)),
    "reflection pad": (
        lambda t: F.pad(t, (1, 1, 2, 0), mode="reflect"),
        lambda t: TF.pad(t, (1, 1, 2, 0), mode="reflect"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_non_contiguous_input_matches_torch(name):
    ours, theirs = CASES[name]
    base = np.random.default_rng(0).standard_normal((2, 4, 6, 8)).astype(np.float32)
    x = np.abs(base).transpose(0, 1, 3, 2)  # (2, 4, 8, 6), not C-contiguous
    compare_op(ours, theirs, [x])


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_batch_keeps_shape(name):
    ours, theirs = CASES[name]
    x = np.zeros((0, 4, 6, 8), dtype=np.float32)
    assert ours(juanji.tensor(x)).shape == tuple(theirs(torch.from_numpy(x)).shape)


def test_conv_transpose_non_contiguous_and_gradient_subset():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 4, 5)).transpose(0, 1, 3, 2)  # (3, 2, 5, 4)
    w = rng.standard_normal((2, 3, 3, 2))
    b = rng.standard_normal(3)
    for grads in ([0], [1], [2], [0, 2]):
        compare_op(
            lambda *a: F.conv_transpose2d(*a, stride=2, padding=1, output_padding=1),
            lambda *a: TF.conv_transpose2d(*a, stride=2, padding=1, output_padding=1),
            [x, w, b],
            grads=grads,
        )
    empty = np.zeros((0, 2, 3, 3))
    assert F.conv_transpose2d(juanji.tensor(empty), juanji.tensor(w), stride=2).shape == (
        0,
        3,
        7,
        6,
    )


def test_max_unpool_non_contiguous_values():
    x = torch.from_numpy(np.random.default_rng(2).standard_normal((2, 3, 6, 4)))
    values, indices = TF.max_pool2d(x, 2, return_indices=True)
    v = values.numpy().transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)  # non-contiguous
    compare_op(
        lambda a, i: F.max_unpool2d(a, i, 2),
        lambda a, i: TF.max_unpool2d(a, i, 2),
        [v, indices.numpy()],
    )
