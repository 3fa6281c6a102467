"""Integer geometry: output sizes (the notes' formula), 'same' pads, ceil_mode, receptive fields."""

import math

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
