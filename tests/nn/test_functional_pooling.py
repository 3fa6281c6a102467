"""Public pooling functions: PyTorch signatures, argument forms, and every bad-input message."""

import inspect

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
import juanji.nn.functional.pooling as P

WINDOW = "input, kernel_size, stride=None, padding=0"
# PyTorch's documented signatures (its builtins carry no inspectable signature).
SIGNATURES = {
    "max_pool1d": f"({WINDOW}, dilation=1, ceil_mode=False, return_indices=False)",
    "max_pool2d": f"({WINDOW}, dilation=1, ceil_mode=False, return_indices=False)",
    "max_pool3d": f"({WINDOW}, dilation=1, ceil_mode=False, return_indices=False)",
    "avg_pool1d": f"({WINDOW}, ceil_mode=False, count_include_pad=True)",
    "avg_pool2d": f"({WINDOW}, ceil_mode=False, count_include_pad=True, divisor_override=None)",
    "avg_pool3d": f"({WINDOW}, ceil_mode=False, count_include_pad=True, divisor_override=None)",
    "adaptive_avg_pool1d": "(input, output_size)",
    "adaptive_avg_pool2d": "(input, output_size)",
    "adaptive_avg_pool3d": "(input, output_size)",
    "adaptive_max_pool1d": "(input, output_size, return_indices=False)",
    "adaptive_max_pool2d": "(input, output_size, return_indices=False)",
    "adaptive_max_pool3d": "(input, output_size, return_indices=False)",
}


def _plain(fn):
    parameters = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(fn).parameters.values()
    ]
    return str(inspect.Signature(parameters))


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_pooling_signature_is_pytorchs(name):
    assert _plain(getattr(P, name)) == SIGNATURES[name]


def test_functional_package_exports_the_pooling_functions():
    for name in (
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "avg_pool1d",
        "avg_pool2d",
        "avg_pool3d",
        "adaptive_avg_pool1d",
        "adaptive_avg_pool2d",
        "adaptive_max_pool2d",
    ):
        assert getattr(F, name) is getattr(P, name)


def _x(*shape, dtype=juanji.float32):
    return juanji.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), dtype=dtype)


def test_stride_none_or_empty_means_kernel_size():
    x = _x(1, 1, 6, 6)
    expected = P.max_pool2d(x, 2, 2).tolist()
    assert P.max_pool2d(x, 2).tolist() == expected
    assert P.max_pool2d(x, 2, stride=[]).tolist() == expected
    assert P.avg_pool2d(x, [2, 2], stride=()).tolist() == P.avg_pool2d(x, 2, 2).tolist()


def test_one_element_tuples_repeat_like_pytorch():
    x = _x(1, 1, 5, 5)
    assert P.max_pool2d(x, (3,), (1,), (1,)).tolist() == P.max_pool2d(x, 3, 1, 1).tolist()


def test_unbatched_input_keeps_its_rank():
    assert P.max_pool1d(_x(3, 8), 2).shape == (3, 4)
    assert P.avg_pool2d(_x(3, 8, 6), 2).shape == (3, 4, 3)
    assert P.max_pool3d(_x(2, 4, 4, 4), 2, return_indices=True)[1].shape == (2, 2, 2, 2)
    assert P.adaptive_avg_pool2d(_x(3, 8, 6), (None, 2)).shape == (3, 8, 2)


def test_return_indices_gives_a_pair_of_tensors():
    values, indices = P.max_pool2d(_x(2, 3, 4, 4), 2, return_indices=True)
    assert values.dtype == juanji.float32 and indices.dtype == juanji.int64
    assert not indices.requires_grad
    values, indices = P.adaptive_max_pool2d(_x(2, 3, 4, 4), 2, return_indices=True)
    assert indices.dtype == juanji.int64
    assert isinstance(P.adaptive_max_pool2d(_x(2, 3, 4, 4), 2), juanji.Tensor)


def test_indices_output_does_not_block_backward():
    x = _x(1, 1, 4, 4, dtype=juanji.float64).requires_grad_()
    values, indices = P.max_pool2d(x, 2, return_indices=True)
    values.sum().backward()
    assert x.grad.sum().item() == 4


# --------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: P.max_pool2d(np.ones((1, 1, 4, 4)), 2),
            TypeError,
            r"max_pool2d: input must be a Tensor, got ndarray",
        ),
        (
            lambda: P.max_pool2d(_x(4, 4), 2),
            ValueError,
            r"max_pool2d: input must be 3-D \(C, H, W\) or 4-D \(N, C, H, W\), "
            r"got 2-D shape \(4, 4\)",
        ),
        (
            lambda: P.max_pool1d(_x(1, 1, 1, 4), 2),
            ValueError,
            r"max_pool1d: input must be 2-D \(C, L\) or 3-D \(N, C, L\), got 4-D",
        ),
        (
            lambda: P.avg_pool3d(_x(1, 4, 4), 2),
            ValueError,
            r"avg_pool3d: input must be 4-D \(C, D, H, W\) or 5-D \(N, C, D, H, W\), got 3-D",
        ),
        (
            lambda: P.adaptive_avg_pool2d(_x(4), 2),
            ValueError,
            r"adaptive_avg_pool2d: input must be 3-D .* got 1-D shape \(4,\)",
        ),
        (
            lambda: P.max_pool2d(juanji.zeros(1, 0, 4, 4), 2),
            ValueError,
            r"max_pool2d: input must have a non-zero size in every dimension but the batch, "
            r"got shape \(1, 0, 4, 4\)",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 4, 4), 0),
            ValueError,
            r"max_pool2d: kernel_size must be >= 1 in every dimension, got \(0, 0\)",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 4, 4), (2, 2, 2)),
            ValueError,
            r"max_pool2d: kernel_size must be an int or a tuple of 2 ints, "
            r"got \(2, 2, 2\) \(3 values\)",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 4, 4), 2.0),
            TypeError,
            r"max_pool2d: kernel_size must be an int or a tuple of 2 ints, got 2.0",
        ),
        (
            lambda: P.avg_pool2d(_x(1, 1, 4, 4), 2, stride=(1, 0)),
            ValueError,
            r"avg_pool2d: stride must be >= 1 in every dimension, got \(1, 0\)",
        ),
        (
            lambda: P.max_pool1d(_x(1, 1, 4), 2, stride=-1),
            ValueError,
            r"max_pool1d: stride must be >= 1 in every dimension, got \(-1,\)",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 4, 4), 2, padding=-1),
            ValueError,
            r"max_pool2d: padding must be >= 0, got -1$",
        ),
        (
            lambda: P.max_pool3d(_x(1, 4, 4, 4), 2, padding=(1, 1)),
            ValueError,
            r"max_pool3d: padding needs one entry per spatial dimension \(3: D, H, W\), each an "
            r"int; got \(1, 1\) with 2 entries$",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 4, 4), 2, dilation=0),
            ValueError,
            r"max_pool2d: dilation must be >= 1 in every dimension, got \(0, 0\)",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 6, 6), 3, padding=(1, 2)),
            ValueError,
            r"max_pool2d: padding must be at most half of kernel_size "
            r"\(padding <= kernel_size // 2\), got padding=\(1, 2\) with kernel_size=\(3, 3\)",
        ),
        (
            lambda: P.avg_pool1d(_x(1, 1, 6), 2, padding=2),
            ValueError,
            r"avg_pool1d: padding must be at most half of kernel_size",
        ),
        (
            lambda: P.max_pool2d(_x(1, 1, 2, 8), 3, stride=1),
            ValueError,
            r"max_pool2d: output size \(0, 6\) is too small "
            r"\(must be >= 1 in every dimension\) for input size \(2, 8\), "
            r"kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(0, 0\), "
            r"dilation=\(1, 1\): floor\(\(2 \+ 2\*0 - 1\*\(3-1\) - 1\) / 1\) \+ 1 = 0; "
            r"floor\(\(8 \+ 2\*0 - 1\*\(3-1\) - 1\) / 1\) \+ 1 = 6",
        ),
        (
            lambda: P.avg_pool1d(_x(1, 1, 1), 5, 2, padding=1, ceil_mode=True),
            ValueError,
            r"avg_pool1d: output size \(0,\) is too small .* "
            r"ceil\(\(1 \+ 2\*1 - 1\*\(5-1\) - 1\) / 2\) \+ 1 = 0",
        ),
        (
            lambda: P.max_pool1d(_x(1, 1, 5), 2, dilation=5),
            ValueError,
            r"max_pool1d: output size \(0,\) is too small .* "
            r"floor\(\(5 \+ 2\*0 - 5\*\(2-1\) - 1\) / 2\)",
        ),
        (
            lambda: P.avg_pool2d(juanji.ones(1, 1, 4, 4, dtype=juanji.int64), 2),
            TypeError,
            r"avg_pool2d: input must be a floating-point tensor, got dtype juanji.int64",
        ),
        (
            lambda: P.avg_pool1d(juanji.ones(1, 4, dtype=juanji.int32), 2),
            TypeError,
            r"avg_pool1d: input must be a floating-point tensor, got dtype juanji.int32",
        ),
        (
            lambda: P.adaptive_avg_pool2d(juanji.ones(1, 4, 4, dtype=juanji.int64), 2),
            TypeError,
            r"adaptive_avg_pool2d: input must be a floating-point tensor, got dtype juanji.int64",
        ),
        (
            lambda: P.adaptive_max_pool2d(juanji.ones(1, 4, 4, dtype=juanji.int64), 2),
            TypeError,
            r"adaptive_max_pool2d: input must be a floating-point tensor",
        ),
        (
            lambda: P.max_pool2d(juanji.ones(1, 4, 4, dtype=juanji.bool), 2),
            TypeError,
            r"max_pool2d: input must be a floating-point or integer tensor, got dtype juanji.bool",
        ),
        (
            lambda: P.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0),
            ValueError,
            r"avg_pool2d: divisor_override must not be zero, got 0",
        ),
        (
            lambda: P.avg_pool3d(_x(1, 4, 4, 4), 2, divisor_override=2.5),
            TypeError,
            r"avg_pool3d: divisor_override must be an int or None, got 2.5",
        ),
        (
            lambda: P.adaptive_avg_pool2d(_x(1, 4, 4), (2, 2, 2)),
            ValueError,
            r"adaptive_avg_pool2d: output_size must be an int >= 0 or a tuple of 2 such ints "
            r"\(None keeps that input size\), got \(2, 2, 2\)",
        ),
        (
            lambda: P.adaptive_max_pool2d(_x(1, 4, 4), -1),
            ValueError,
            r"adaptive_max_pool2d: output_size must be an int >= 0 .* got -1",
        ),
        (
            lambda: P.adaptive_avg_pool1d(_x(1, 4), 1.5),
            ValueError,
            r"adaptive_avg_pool1d: output_size must be .* got 1.5",
        ),
        (
            lambda: P.adaptive_max_pool3d(_x(1, 4, 4, 4), (2, "a", 2)),
            ValueError,
            r"adaptive_max_pool3d: output_size must be .* got \(2, 'a', 2\)",
        ),
    ],
)
def test_pooling_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
