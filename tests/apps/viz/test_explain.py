"""juanji.apps.viz.explain: each worked example ends with the hand-computed grid conv gives."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.apps.viz import explain as ex

X3 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
K2 = [[0.0, 1.0], [2.0, 3.0]]


def _conv(x, k, **kwargs):
    return F.conv2d(juanji.tensor([[x]]), juanji.tensor([[k]]), **kwargs).numpy()[0, 0]


def test_conv_ends_with_the_notes_grid_and_shows_each_sum():
    result = ex.explain("conv")
    assert result.output.tolist() == [[19, 25], [37, 43]]
    assert np.array_equal(result.output, _conv(X3, K2))
    assert np.array_equal(result.engine, result.output)
    # each output as its sum of products, kernel weight times input
    assert "0*0 + 1*1 + 2*3 + 3*4 = 0 + 1 + 6 + 12 = 19" in result.text
    assert "0*4 + 1*5 + 2*7 + 3*8 = 0 + 5 + 14 + 24 = 43" in result.text
    # the window of out[0, 1] is drawn in brackets on the input grid
    assert " 0 [1][2]" in result.text
    assert "F.conv2d gives the same grid: [[19, 25], [37, 43]]" in result.text


def test_pad_uses_the_notes_even_kernel_rule():
    # top/left ceil(1/2) = 1, bottom/right 0: padded grid [[0,0,0,0],[0,0,1,2],[0,3,4,5],[0,6,7,8]]
    # out[0, 2] = 0*0 + 1*0 + 2*1 + 3*2 = 8, out[2, 0] = 1*3 + 3*6 = 21 (worked out by hand)
    result = ex.explain("pad")
    assert result.output.tolist() == [[0, 3, 8], [9, 19, 25], [21, 37, 43]]
    assert np.array_equal(result.output, _conv(X3, K2, padding=((1, 0), (1, 0))))
    assert "((1, 0), (1, 0))" in result.text
    # the odd kernel: the plus kernel with one zero each side; centre 1 + 3 + 4 + 5 + 7 = 20
    assert "out[1, 1] = 0*0 + 1*1 + 0*2 + 1*3 + 1*4 + 1*5 + 0*6 + 1*7 + 0*8" in result.text
    # PyTorch's 'same' puts the zero row below and the zero column right: the last row is
    # out[2, 0] = 0*6 + 1*7 + 2*0 + 3*0 = 7, out[2, 1] = 0*7 + 1*8 = 8, out[2, 2] = 0*8 = 0
    assert "      7   8   0" in result.text


def test_stride_keeps_every_second_window():
    # x[i][j] = 4i + j; window at (r, c): x[r][c+1] + 2 x[r+1][c] + 3 x[r+1][c+1] = 24r + 6c + 24
    # stride 2 -> r, c in {0, 2}: 24, 36, 72, 84
    result = ex.explain("stride")
    assert result.output.tolist() == [[24, 36], [72, 84]]
    x = np.arange(16.0).reshape(4, 4).tolist()
    assert np.array_equal(result.output, _conv(x, K2, stride=2))
    assert "floor((4 + 0 - 2 + 2) / 2) = 2" in result.text


def test_pool_max_and_mean_by_hand():
    result = ex.explain("pool")
    assert result.output.tolist() == [[6, 2], [2, 8]]
    assert "window (1, 3, 5, 6) -> max 6, mean 3.75" in result.text
    assert "F.avg_pool2d gives the same grid: [[3.75, 1.25], [0.75, 5.5]]" in result.text


def test_channels_sum_over_input_channels():
    # [[19, 25], [37, 43]] + [[37, 47], [67, 77]] = [[56, 72], [104, 120]]
    result = ex.explain("channels")
    assert result.output.tolist() == [[56, 72], [104, 120]]
    assert "19 + 37 = 56; 25 + 47 = 72; 37 + 67 = 104; 43 + 77 = 120;" in result.text
    assert "3*2*2*2 + 3 = 27" in result.text
    assert "F.conv2d gives 4 x 28 x 28" in result.text


def test_im2col_gemm_equals_conv2d():
    result = ex.explain("im2col")
    assert result.output.tolist() == [[19, 25], [37, 43]]
    # the unfolded matrix, row t = tap t of every window (PyTorch's layout), written by hand
    cols = F.unfold(juanji.tensor([X3]), 2).numpy()
    assert cols.tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    assert "   0  1  3  4\n   1  2  4  5\n   3  4  6  7\n   4  5  7  8" in result.text
    gemm = np.array(K2).reshape(1, 4) @ cols
    assert np.array_equal(gemm.reshape(2, 2), _conv(X3, K2))
    assert "-> [19, 25, 37, 43], reshaped to 2 x 2" in result.text
    # the 3-output, 2-channel GEMM
    assert "56   72  104  120" in result.text and "96  128  192  224" in result.text


@pytest.mark.parametrize("topic", list(ex.TOPICS))
def test_every_topic_agrees_with_the_engine(topic):
    result = ex.explain(topic)
    assert result.topic == topic
    assert np.allclose(result.output, result.engine)
    assert "gives the same" in result.text


def test_disagreement_would_fail_loudly():
    with pytest.raises(AssertionError, match="differs from"):
        ex._same(np.zeros((2, 2)), np.ones((2, 2)), "F.conv2d")


def test_unknown_topic():
    with pytest.raises(ValueError, match="unknown topic 'fft'; topics: conv, pad"):
        ex.explain("fft")


def test_format_helpers():
    assert ex.format_grid([[1.5, 10.0]]) == [" 1.5   10"]
    assert ex.side_by_side([("a", ["x"]), ("bb", ["y", "z"])], gap=1) == ["a bb", "x y", "  z"]
