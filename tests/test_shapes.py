"""Integer geometry: output sizes (the notes' formula), 'same' pads, ceil_mode, receptive fields."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juanji import _shapes


@given(w=st.integers(1, 64), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 8))
def test_output_size_equals_the_notes_formula(w, k, s, p):
    # The notes: n = floor((w + p - k + s) / s), p being the total padding.
    if w + p >= k:
        assert _shapes.conv_output_size(w, k, s, p // 2, p - p // 2) == (w + p - k + s) // s


@given(
    w=st.integers(1, 64),
    k=st.integers(1, 9),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    lower=st.booleans(),
)
def test_same_pads_give_ceil_n_over_s(w, k, s, d, lower):
    before, after = _shapes.same_pads(w, k, s, d, lower)
    assert _shapes.conv_output_size(w, k, s, before, after, d) == math.ceil(w / s)
    assert abs(before - after) <= 1
    if before != after:
        assert (before > after) == lower  # lower puts the odd pixel first (top/left)


def test_same_pads_for_the_notes_even_kernel_rule():
    # k = 4 -> p = k - 1 = 3: top/left ceil(3/2) = 2, bottom/right floor(3/2) = 1
    assert _shapes.same_pads(10, 4, lower=True) == (2, 1)
    assert _shapes.same_pads(10, 4) == (1, 2)  # PyTorch's 'same'
    assert _shapes.same_pads(10, 3) == (1, 1)


def test_pool_output_size_ceil_mode_drops_window_starting_in_padding():
    assert _shapes.pool_output_size(4, 2, 2, 1, 1, ceil_mode=True) == 3
    assert _shapes.pool_output_size(5, 3, 2, 0, 0, ceil_mode=True) == 2
    assert _shapes.pool_output_size(6, 3, 2, 0, 0, ceil_mode=True) == 3
    assert _shapes.pool_output_size(6, 3, 2, 0, 0, ceil_mode=False) == 2


def test_receptive_field_of_lenet():
    # conv5 p2, pool2, conv5, pool2: the textbook LeNet on 28x28
    layers = [(5, 1, 2, 1), (2, 2, 0, 1), (5, 1, 0, 1), (2, 2, 0, 1)]
    sizes = [(rf.size, rf.jump, rf.start) for rf in _shapes.receptive_fields(layers)]
    assert sizes == [(5, 1, 0.5), (6, 2, 1.0), (14, 2, 5.0), (16, 4, 6.0)]


def test_formula_text():
    assert _shapes.output_size_formula(6, 3, 1, 0, 0) == "floor((6 + 0 - 1*(3-1) - 1) / 1) + 1 = 4"


def test_parse_padding_forms():
    assert _shapes.parse_padding("f", 2, 3) == ((2, 2),) * 3
    assert _shapes.parse_padding("f", (1,), 2) == ((1, 1), (1, 1))
    assert _shapes.parse_padding("f", [1, (0, 2)], 2) == ((1, 1), (0, 2))
    assert _shapes.parse_padding("f", "same_lower", 2) == "same_lower"
    assert _shapes.PADDING_STRINGS == ("valid", "same", "same_lower")


def test_resolve_padding_by_hand():
    # 'same' at stride 2 on 7 pixels, kernel 4: ceil(7/2) = 4 outputs need 3*2 + 4 - 7 = 3 pads.
    assert _shapes.resolve_padding("same", (7,), (4,), (2,), (1,)) == ((1, 2),)
    assert _shapes.resolve_padding("same_lower", (7,), (4,), (2,), (1,)) == ((2, 1),)
    assert _shapes.resolve_padding("valid", (7, 7), (4, 4), (2, 2), (1, 1)) == ((0, 0),) * 2


def test_parse_padding_messages():
    cases = [
        (("f", "full", 2), ValueError, r"^f: padding must be an int, a tuple of 2 ints or 2 "
         r"\(before, after\) pairs \('valid', 'same', 'same_lower'\), got 'full'$"),
        (("f", "same", 2, False), ValueError, r"^f: padding must .* \(no strings\), got 'same'$"),
        (("f", 1.5, 2), TypeError, r"^f: padding must be an int, a tuple or a string, got 1.5$"),
        (("f", 1.5, 2, False), TypeError, r"^f: padding must be an int or a tuple, got 1.5$"),
        (("f", (1, 2, 3), 2), ValueError, r"^f: padding needs one entry per spatial dimension "
         r"\(2: H, W\), each an int or a \(before, after\) pair; got \(1, 2, 3\) with 3 entries$"),
        (("f", (1, 0), 1), ValueError, r"with 2 entries \(a 1-D \(before, after\) pair is "
         r"written \(\(before, after\),\)\)$"),
        (("f", ((1, 2), 0), 2, False, False), ValueError,
         r"^f: each padding entry must be an int, got \(1, 2\) in \(\(1, 2\), 0\)$"),
        (("f", (True, 0), 2), ValueError, r"^f: each padding entry must be an int or a"),
        (("f", -1, 2), ValueError, r"^f: padding must be >= 0, got -1 \(to crop, use "),
        (("f", -1, 2, False, False), ValueError, r"^f: padding must be >= 0, got -1$"),
    ]  # fmt: skip
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            _shapes.parse_padding(*args)
