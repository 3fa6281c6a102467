"""pad() and same_padding(): signatures, pair order, argument errors, both odd-pixel placements."""

import inspect

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.nn.functional.padding import flat_to_pairs, pairs_to_flat


def test_pad_signature_matches_pytorch():
    params = inspect.signature(F.pad).parameters
    assert list(params) == ["input", "pad", "mode", "value"]
    assert (params["mode"].default, params["value"].default) == ("constant", None)


def test_pad_lists_the_last_dimension_first():
    x = juanji.ones(1, 2, 3)
    assert F.pad(x, (1, 2)).shape == (1, 2, 6)  # (left, right) on the last dim
    assert F.pad(x, (1, 2, 3, 4)).shape == (1, 9, 6)  # then (top, bottom)
    assert F.pad(x, (0, 0, 0, 0, 1, 1)).shape == (3, 2, 3)  # up to every dimension
    y = F.pad(juanji.tensor([[1.0]]), (1, 0, 0, 2)).tolist()  # one left, two below
    assert y == [[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
    assert flat_to_pairs((1, 2, 3, 4)) == ((3, 4), (1, 2))
    assert pairs_to_flat(flat_to_pairs((1, 2, 3, 4, 5, 6))) == (1, 2, 3, 4, 5, 6)


PAD_ERRORS = [
    (
        {"pad": (1, 2, 3)},
        ValueError,
        r"pad: pad must have an even number of entries \(pairs\), "
        r"got 3",
    ),
    (
        {"pad": (1,) * 8},
        ValueError,
        r"pad: pad has 8 entries, which pads 4 dimensions, but input "
        r"has only 3 \(shape \(1, 2, 3\)\); at most 6 entries",
    ),
    ({"pad": 1}, TypeError, r"pad: pad must be a tuple of ints, got 1"),
    ({"pad": (1.0, 1.0)}, TypeError, r"pad: pad must be a tuple of ints"),
    (
        {"mode": "zeros"},
        ValueError,
        r"pad: mode must be one of 'constant', 'reflect', "
        r"'replicate', 'circular', got 'zeros'",
    ),
    (
        {"pad": (-2, -2)},
        ValueError,
        r"pad: pads \(-2, -2\) would leave dimension 2 of size 3 "
        r"with -1 entries",
    ),
    (
        {"pad": (3, 0), "mode": "reflect"},
        ValueError,
        r"pad: 'reflect' needs each pad < the dimension size; got pads \(3, 0\) for dimension 2 of "
        r"size 3",
    ),
    (
        {"pad": (0, 4), "mode": "circular"},
        ValueError,
        r"pad: 'circular' needs each pad <= the dimension size; got pads \(0, 4\)",
    ),
    (
        {"pad": (-1, 1), "mode": "replicate"},
        ValueError,
        r"pad: negative pads crop only in 'constant' mode; got pads \(-1, 1\)",
    ),
    (
        {"pad": (1, 1), "mode": "reflect", "value": 0.0},
        ValueError,
        r"pad: mode 'reflect' takes no value \(only 'constant' does\), got 0.0",
    ),
    ({"input": np.ones(3)}, TypeError, r"pad: input must be a Tensor, got ndarray"),
]


@pytest.mark.parametrize(
    ("overrides", "error", "message"), PAD_ERRORS, ids=[m[:40] for _, _, m in PAD_ERRORS]
)
def test_pad_argument_errors(overrides, error, message):
    args = {"input": juanji.ones(1, 2, 3), "pad": (1, 1)}
    args.update(overrides)
    with pytest.raises(error, match=message):
        F.pad(**args)


def test_pad_replicate_of_an_empty_dimension_is_an_error():
    with pytest.raises(ValueError, match=r"pad: 'replicate' needs a non-empty dimension"):
        F.pad(juanji.ones(2, 0), (1, 1), mode="replicate")


def test_same_padding_hand_values():
    # Stride 1: total d*(k-1), the notes' p = k - 1; odd totals put the extra pixel at the end.
    assert F.same_padding(3) == ((1, 1),)
    assert F.same_padding(5) == ((2, 2),)
    assert F.same_padding(4) == ((1, 2),)
    assert F.same_padding(4, lower=True) == ((2, 1),)  # notes: top/left ceil(3/2) = 2
    assert F.same_padding((2, 3)) == ((0, 1), (1, 1))
    assert F.same_padding((2, 3), lower=True) == ((1, 0), (1, 1))
    assert F.same_padding(3, dilation=2) == ((2, 2),)  # span 5
    assert F.same_padding((1, 1, 1)) == ((0, 0),) * 3
    # Stride 2 on 8: 4 outputs need (4-1)*2 + 3 = 9 pixels, 1 of padding; on 7: 4 outputs, 2.
    assert F.same_padding(3, stride=2, input_size=8) == ((0, 1),)
    assert F.same_padding(3, stride=2, input_size=(8, 7)) == ((0, 1), (1, 1))
    assert F.same_padding(3, stride=2, input_size=(8, 7), lower=True) == ((1, 0), (1, 1))
    # A stride larger than the kernel may need no padding at all: 9 / 3 = 3 windows of 2 fit.
    assert F.same_padding(2, stride=3, input_size=9) == ((0, 0),)


def test_same_padding_applied_with_pad_keeps_the_size():
    x = juanji.ones(1, 1, 6, 7)
    for lower in (False, True):
        pairs = F.same_padding((4, 2), lower=lower)
        y = F.conv2d(F.pad(x, pairs_to_flat(pairs)), juanji.ones(1, 1, 4, 2))
        assert y.shape == x.shape
        np.testing.assert_array_equal(
            y.numpy(),
            F.conv2d(x, juanji.ones(1, 1, 4, 2), padding="same_lower" if lower else "same").numpy(),
        )


SAME_PADDING_ERRORS = [
    (
        {"kernel_size": 3, "stride": 2},
        r"same_padding: with stride \(2,\) > 1 the padding depends "
        r"on the input size; pass input_size=",
    ),
    ({"kernel_size": (3, 3), "stride": (1, 2)}, r"same_padding: with stride \(1, 2\) > 1"),
    (
        {"kernel_size": (3, 3), "stride": (1, 1, 1)},
        r"same_padding: kernel_size, stride, dilation "
        r"and input_size disagree",
    ),
    ({"kernel_size": 0}, r"same_padding: kernel_size must be >= 1"),
    ({"kernel_size": 3, "dilation": 0}, r"same_padding: dilation must be >= 1"),
    ({"kernel_size": 3, "stride": 2, "input_size": 0}, r"same_padding: input_size must be >= 1"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"), SAME_PADDING_ERRORS, ids=[m[:40] for _, m in SAME_PADDING_ERRORS]
)
def test_same_padding_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.same_padding(**kwargs)
