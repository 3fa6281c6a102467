"""conv1d/2d/3d, unfold, fold: signatures, padding placements, and every argument error."""

import inspect
import math

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from reference import torch

TF = torch.nn.functional


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d", "unfold", "fold"])
def test_signature_matches_pytorch(name):
    ours = inspect.signature(getattr(F, name))
    assert (
        list(ours.parameters)
        == {
            "conv1d": ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
            "conv2d": ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
            "conv3d": ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
            "unfold": ["input", "kernel_size", "dilation", "padding", "stride"],
            "fold": ["input", "output_size", "kernel_size", "dilation", "padding", "stride"],
        }[name]
    )
    defaults = [p.default for p in ours.parameters.values() if p.default is not p.empty]
    assert defaults == ([None, 1, 0, 1, 1] if name.startswith("conv") else [1, 0, 1])


def _delta_kernel(k):
    """A (1, 1, k, k) kernel with a single 1 at its top-left tap: y[i, j] = x_padded[i, j]."""
    w = np.zeros((1, 1, k, k))
    w[0, 0, 0, 0] = 1
    return juanji.tensor(w)


def test_same_puts_the_odd_pixel_bottom_right_and_same_lower_top_left():
    x = juanji.tensor(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
    # Even kernel, total padding 1 per dim. 'same' pads (0, 1): the top-left tap reads x itself.
    np.testing.assert_array_equal(F.conv2d(x, _delta_kernel(2), padding="same").numpy(), x.numpy())
    # 'same_lower' pads (1, 0): the top-left tap reads one row up and one column left.
    shifted = np.zeros((1, 1, 4, 4))
    shifted[0, 0, 1:, 1:] = x.numpy()[0, 0, :3, :3]
    np.testing.assert_array_equal(
        F.conv2d(x, _delta_kernel(2), padding="same_lower").numpy(), shifted
    )
    # Explicit pairs say the same thing.
    np.testing.assert_array_equal(
        F.conv2d(x, _delta_kernel(2), padding=((1, 0), (1, 0))).numpy(), shifted
    )
    # Odd kernel: both placements agree (1 on each side).
    same = F.conv2d(x, _delta_kernel(3), padding="same").numpy()
    np.testing.assert_array_equal(same, F.conv2d(x, _delta_kernel(3), padding="same_lower").numpy())


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_same_with_even_kernel_matches_pytorch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3, 2, 4))
    expected = TF.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same").numpy()
    got = F.conv2d(juanji.tensor(x), juanji.tensor(w), padding="same").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("size", "stride"), [(7, 2), (8, 2), (9, 3), (10, 3), (5, 4), (1, 2)])
@pytest.mark.parametrize("padding", ["same", "same_lower"])
def test_strided_same_gives_ceil_size_over_stride(size, stride, padding):
    # Keras/JAX/ONNX 'SAME': ceil(n / s) outputs whatever the kernel; PyTorch raises here.
    x = juanji.ones(1, 1, size, size + 1)
    for k in (1, 2, 3, 4):
        y = F.conv2d(x, juanji.ones(1, 1, k, k), stride=stride, padding=padding)
        assert y.shape[2:] == (math.ceil(size / stride), math.ceil((size + 1) / stride))
    with pytest.raises(RuntimeError, match="strided"):
        TF.conv2d(
            torch.ones(1, 1, size, size), torch.ones(1, 1, 3, 3), stride=stride, padding="same"
        )


def test_padding_forms_agree():
    rng = np.random.default_rng(1)
    x = juanji.tensor(rng.standard_normal((1, 2, 5, 6)))
    w = juanji.tensor(rng.standard_normal((3, 2, 3, 3)))
    reference = F.conv2d(x, w, padding=((1, 1), (2, 2))).numpy()
    for padding in ((1, 2), [1, 2], (1, (2, 2)), ((1, 1), 2), [[1, 1], [2, 2]]):
        np.testing.assert_array_equal(F.conv2d(x, w, padding=padding).numpy(), reference)
    np.testing.assert_array_equal(
        F.conv2d(x, w, padding="valid").numpy(), F.conv2d(x, w, padding=0).numpy()
    )
    np.testing.assert_array_equal(
        F.conv2d(x, w, padding=(1,)).numpy(), F.conv2d(x, w, padding=1).numpy()
    )
    y = F.conv1d(juanji.ones(1, 1, 4), juanji.ones(1, 1, 2), padding=((2, 0),))
    assert y.tolist() == [[[0.0, 1.0, 2.0, 2.0, 2.0]]]


def test_unbatched_input_equals_batch_of_one():
    rng = np.random.default_rng(2)
    for conv, shape in ((F.conv1d, (3, 7)), (F.conv2d, (3, 6, 5)), (F.conv3d, (3, 4, 5, 3))):
        x = juanji.tensor(rng.standard_normal(shape), requires_grad=True)
        w = juanji.tensor(rng.standard_normal((2, 3) + (2,) * (len(shape) - 1)))
        y = conv(x, w, padding="same")
        assert y.shape == (2,) + shape[1:]
        np.testing.assert_allclose(
            y.numpy(force=True), conv(x.unsqueeze(0), w, padding="same")[0].numpy(force=True)
        )
        y.sum().backward()
        assert x.grad.shape == shape


def _conv_args(**overrides):
    args = {
        "input": juanji.ones(2, 3, 5, 5),
        "weight": juanji.ones(4, 3, 3, 3),
        "bias": None,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
    }
    args.update(overrides)
    return args


CONV_ERRORS = [
    (
        {"weight": juanji.ones(4, 1, 3, 3)},
        ValueError,
        r"conv2d: input has 3 channels but weight expects 1 \(weight.shape\[1\] \* groups\)",
    ),
    (
        {"input": juanji.ones(2, 5, 5)},
        ValueError,
        r"conv2d: input has 2 channels but weight expects 3",
    ),
    (
        {"weight": juanji.ones(4, 3, 7, 3)},
        ValueError,
        r"conv2d: kernel size 7 .* larger than the padded input \(5 \+ 0 = 5\) along H: output "
        r"size floor\(\(5 \+ 0 - 1\*\(7-1\) - 1\) / 1\) \+ 1 = -1, must be >= 1",
    ),
    (
        {"dilation": (1, 4), "padding": 1},
        ValueError,
        r"conv2d: kernel size 3 \(dilation 4, span 9\) is larger than the padded input "
        r"\(5 \+ 2 = 7\) along W",
    ),
    ({"stride": 0}, ValueError, r"conv2d: stride must be >= 1 in every dimension, got \(0, 0\)"),
    ({"stride": (1, -2)}, ValueError, r"conv2d: stride must be >= 1 .* got \(1, -2\)"),
    ({"stride": (1, 2, 3)}, ValueError, r"conv2d: stride must be an int or a tuple of 2 ints"),
    ({"stride": 1.5}, TypeError, r"conv2d: stride must be an int or a tuple of 2 ints"),
    ({"dilation": 0}, ValueError, r"conv2d: dilation must be >= 1"),
    (
        {"groups": 2, "weight": juanji.ones(4, 1, 3, 3)},
        ValueError,
        r"conv2d: groups=2 must divide the input channels, got 3",
    ),
    (
        {"groups": 3, "weight": juanji.ones(4, 1, 3, 3)},
        ValueError,
        r"conv2d: groups=3 must divide the output channels \(weight.shape\[0\]\), got 4",
    ),
    ({"groups": 0}, ValueError, r"conv2d: groups must be >= 1, got 0"),
    ({"groups": 1.0}, TypeError, r"conv2d: groups must be an int"),
    (
        {"input": juanji.ones(5, 5)},
        ValueError,
        r"conv2d: input must be 3-D \(C, H, W\) or 4-D \(N, C, H, W\), got 2-D shape \(5, 5\)",
    ),
    ({"input": juanji.ones(1, 2, 3, 5, 5)}, ValueError, r"conv2d: input must be 3-D .* got 5-D"),
    (
        {"weight": juanji.ones(4, 3, 3)},
        ValueError,
        r"conv2d: weight must be 4-D \(C_out, C_in / groups, kH, kW\), got 3-D shape \(4, 3, 3\)",
    ),
    (
        {"bias": juanji.ones(3)},
        ValueError,
        r"conv2d: bias must have shape \(4,\) \(weight.shape\[0\]\), got \(3,\)",
    ),
    ({"bias": juanji.ones(4, 1)}, ValueError, r"conv2d: bias must have shape \(4,\)"),
    (
        {"bias": juanji.ones(4, dtype=juanji.float64)},
        TypeError,
        r"conv2d: expected all tensors to have the same dtype, but input is .*float32.* bias is "
        r".*float64",
    ),
    (
        {"weight": juanji.ones(4, 3, 3, 3, dtype=juanji.float64)},
        TypeError,
        r"conv2d: expected all tensors to have the same dtype",
    ),
    (
        {"input": juanji.ones(2, 3, 5, 5, dtype=juanji.int64)},
        TypeError,
        r"conv2d: input must be a floating-point tensor",
    ),
    (
        {"input": np.ones((2, 3, 5, 5), np.float32)},
        TypeError,
        r"conv2d: input must be a Tensor, got ndarray",
    ),
    ({"weight": [[1.0]]}, TypeError, r"conv2d: weight must be a Tensor, got list"),
    (
        {"padding": "full"},
        ValueError,
        r"conv2d: padding must be an int, a tuple of 2 ints or 2 \(before, after\) pairs "
        r"\('valid', 'same', 'same_lower'\), got 'full'",
    ),
    ({"padding": "SAME"}, ValueError, r"conv2d: padding .* got 'SAME'"),
    (
        {"padding": (1, 1, 1)},
        ValueError,
        r"conv2d: padding needs one entry per spatial dimension \(2: H, W\), each an int or a "
        r"\(before, after\) pair; got \(1, 1, 1\) with 3 entries",
    ),
    ({"padding": ((1, 1), (1, 1), (1, 1))}, ValueError, r"conv2d: padding needs one entry"),
    (
        {"padding": ((1, 2, 3), (1, 1))},
        ValueError,
        r"conv2d: each padding entry must be an int or a \(before, after\) pair of ints, got "
        r"\(1, 2, 3\)",
    ),
    ({"padding": -1}, ValueError, r"conv2d: padding must be >= 0, got -1"),
    ({"padding": ((0, -1), 0)}, ValueError, r"conv2d: padding must be >= 0"),
    ({"padding": 1.0}, TypeError, r"conv2d: padding must be an int, a tuple or a string"),
]


@pytest.mark.parametrize(
    ("overrides", "error", "message"), CONV_ERRORS, ids=[m[:40] for _, _, m in CONV_ERRORS]
)
def test_conv2d_argument_errors(overrides, error, message):
    with pytest.raises(error, match=message):
        F.conv2d(**_conv_args(**overrides))


def test_conv1d_and_conv3d_errors_name_their_function_and_axes():
    with pytest.raises(ValueError, match=r"conv1d: input must be 2-D \(C, L\) or 3-D \(N, C, L\)"):
        F.conv1d(juanji.ones(5), juanji.ones(1, 1, 2))
    with pytest.raises(ValueError, match=r"conv1d: padding needs .*\(\(before, after\),\)"):
        F.conv1d(juanji.ones(1, 1, 5), juanji.ones(1, 1, 2), padding=(1, 0))
    with pytest.raises(
        ValueError,
        match=r"conv3d: weight must be 5-D \(C_out, C_in / groups, "
        r"kD, kH, kW\)",
    ):
        F.conv3d(juanji.ones(1, 1, 3, 3, 3), juanji.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"conv3d: kernel size 4 .* along D"):
        F.conv3d(juanji.ones(1, 1, 3, 5, 5), juanji.ones(1, 1, 4, 2, 2))


def test_unfold_and_fold_errors():
    x = juanji.ones(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"unfold: with an int kernel_size, input must be 3-D"):
        F.unfold(juanji.ones(2, 5), 2)
    with pytest.raises(
        ValueError,
        match=r"unfold: input must be 2-D \(C, L\) or 3-D \(N, C, L\) "
        r"for a 1-D kernel_size",
    ):
        F.unfold(x, (2,))
    with pytest.raises(ValueError, match=r"unfold: kernel size 6 .* along H"):
        F.unfold(x, 6)
    with pytest.raises(ValueError, match=r"unfold: stride must be >= 1"):
        F.unfold(x, 2, stride=0)
    with pytest.raises(
        ValueError,
        match=r"unfold: padding must be an int, a tuple of 2 ints or "
        r"2 \(before, after\) pairs \(no strings\), got 'same'",
    ):
        F.unfold(x, 2, padding="same")
    with pytest.raises(ValueError, match=r"unfold: padding must be >= 0"):
        F.unfold(x, 2, padding=-1)
    col = juanji.ones(1, 8, 16)
    with pytest.raises(
        ValueError,
        match=r"fold: input.shape\[1\] = 7 must be divisible by "
        r"prod\(kernel_size\) = 4",
    ):
        F.fold(juanji.ones(1, 7, 16), (5, 5), 2)
    with pytest.raises(
        ValueError,
        match=r"fold: input.shape\[2\] = 16 blocks, but output_size "
        r"\(6, 6\) .* has 5 x 5 = 25 blocks",
    ):
        F.fold(col, (6, 6), 2)
    with pytest.raises(ValueError, match=r"fold: input must be 2-D .* or 3-D"):
        F.fold(juanji.ones(1, 1, 8, 16), (5, 5), 2)
    with pytest.raises(ValueError, match=r"fold: kernel size 6 .* padded output_size"):
        F.fold(col, (5, 5), 6)
    with pytest.raises(TypeError, match=r"fold: input must be a Tensor"):
        F.fold(np.ones((1, 8, 16)), (5, 5), 2)


def test_unfold_rank_follows_kernel_size_and_input():
    assert F.unfold(juanji.ones(2, 3, 4), 2).shape == (2 * 4, 2 * 3)  # 3-D, int: (C, H, W)
    assert F.unfold(juanji.ones(2, 3, 4), (2,)).shape == (2, 3 * 2, 3)  # tuple of 1: (N, C, L)
    assert F.unfold(juanji.ones(1, 2, 3, 4, 5), 2).shape == (1, 2 * 8, 2 * 3 * 4)  # 5-D: 3-D
    assert F.fold(juanji.ones(8, 3), (4,), (2,)).shape == (4, 4)  # unbatched 1-D: C = 8 / 2


def test_conv_without_output_channels_names_the_weight():
    # PyTorch raises too ("expected weight to be at least 1 at dimension 0").
    with pytest.raises(
        ValueError,
        match=r"conv2d: weight must have at least one output channel \(weight.shape\[0\]\), "
        r"got shape \(0, 3, 3, 3\)",
    ):
        F.conv2d(juanji.zeros(2, 3, 8, 8), juanji.zeros(0, 3, 3, 3))


def test_conv_without_input_channels_names_the_input():
    # PyTorch returns an empty (2, 0, 6, 6) here, dropping the 4 output channels and the bias.
    with pytest.raises(
        ValueError,
        match=r"conv2d: input must have at least one channel \(input.shape\[1\]\), got shape "
        r"\(2, 0, 8, 8\)",
    ):
        F.conv2d(juanji.zeros(2, 0, 8, 8), juanji.zeros(4, 0, 3, 3), juanji.ones(4))
    with pytest.raises(ValueError, match=r"conv1d: input must have at least one channel \(input"):
        F.conv1d(juanji.zeros(0, 8), juanji.zeros(4, 0, 3))
    with pytest.raises(ValueError, match=r"Conv2d: in_channels must be a positive integer"):
        juanji.nn.Conv2d(0, 4, 3)
