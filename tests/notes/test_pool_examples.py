"""The notes' pooling section ("池化层 ... 其实就是模糊着看") as hand-computed examples.

Every expected number below was worked out by hand from the window definitions, never by
running the code under test.
"""

import juanji
import juanji.nn.functional.pooling as P
from juanji.testing import assert_close

# The notes' 3x3 input with values 0..8.
X3 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
# A 4x4 input with values 0..15.
X4 = [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0]]


def _image(rows):
    return juanji.tensor([[rows]])  # (N=1, C=1, H, W)


def test_max_pooling_2x2_stride_1():
    # windows {0,1,3,4} {1,2,4,5} {3,4,6,7} {4,5,7,8}
    assert P.max_pool2d(_image(X3), 2, stride=1).tolist() == [[[[4.0, 5.0], [7.0, 8.0]]]]


def test_average_pooling_2x2_stride_1():
    # (0+1+3+4)/4 = 2, (1+2+4+5)/4 = 3, (3+4+6+7)/4 = 5, (4+5+7+8)/4 = 6
    assert P.avg_pool2d(_image(X3), 2, stride=1).tolist() == [[[[2.0, 3.0], [5.0, 6.0]]]]


def test_max_pooling_3x3_with_padding_1_and_stride_2():
    # out = floor((4 + 2 - 3) / 2) + 1 = 2 per dim. Windows start at rows/cols -1 and 1:
    # rows 0-1 x cols 0-1 -> 5; rows 0-1 x cols 1-3 -> 7; rows 1-3 x cols 0-1 -> 13; -> 15.
    assert P.max_pool2d(_image(X4), 3, stride=2, padding=1).tolist() == [
        [[[5.0, 7.0], [13.0, 15.0]]]
    ]


def test_average_pooling_3x3_with_padding_1_and_stride_2():
    # Window sums: 0+1+4+5 = 10; 1+2+3+5+6+7 = 24; 4+5+8+9+12+13 = 51; 5+6+7+9+10+11+13+14+15 = 90.
    pooled = P.avg_pool2d(_image(X4), 3, stride=2, padding=1)  # padding counted: all / 9
    expected = [[10 / 9, 24 / 9], [51 / 9, 90 / 9]]
    assert_close(pooled[0, 0], juanji.tensor(expected))
    inside = P.avg_pool2d(_image(X4), 3, stride=2, padding=1, count_include_pad=False)
    # Divided by the pixels inside the input: 4, 6, 6, 9.
    assert inside.tolist() == [[[[2.5, 4.0], [8.5, 10.0]]]]


def test_pooling_keeps_the_channels():
    # Channel 2 is channel 1 plus 1: two channels in, two channels out, each pooled alone.
    x = juanji.tensor([[X4, [[v + 1 for v in row] for row in X4]]])
    pooled = P.max_pool2d(x, 3, stride=2, padding=1)
    assert pooled.shape == (1, 2, 2, 2)
    assert pooled.tolist() == [[[[5.0, 7.0], [13.0, 15.0]], [[6.0, 8.0], [14.0, 16.0]]]]


def test_max_pooling_tolerates_a_one_pixel_shift_of_a_vertical_edge():
    # The notes: "对于检测垂直边缘，如果使用最大池化层，可能就可以检测倾斜的垂直边缘". Below are the
    # outputs of a vertical-edge detector (the [1, -1] kernel) on three 6x6 images: a straight
    # edge after column 2, the same edge one pixel to the right, and a slanted edge that steps
    # right halfway down. Written out by hand, not convolved here.
    straight = [[0.0, 0.0, 1.0, 0.0, 0.0, 0.0] for _ in range(6)]
    shifted = [[0.0, 0.0, 0.0, 1.0, 0.0, 0.0] for _ in range(6)]
    slanted = straight[:3] + shifted[3:]
    assert straight != shifted and shifted != slanted and slanted != straight  # all differ
    # 2x2 max pooling, stride 2: columns 2 and 3 fall in the same window, so all three give a
    # vertical line in pooled column 1.
    line = [[[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]]]
    for edge in (straight, shifted, slanted):
        assert P.max_pool2d(_image(edge), 2).tolist() == line


def test_max_pooling_padding_counts_as_minus_infinity():
    # An all-negative 2x2 input, windows 2x2 stride 1 with padding 1 -> 3x3 output. Each window
    # sees only its in-input pixels; a zero padding would make every output 0.
    x = _image([[-1.0, -2.0], [-3.0, -4.0]])
    assert P.max_pool2d(x, 2, stride=1, padding=1).tolist() == [
        [[[-1.0, -1.0, -2.0], [-1.0, -1.0, -2.0], [-3.0, -3.0, -4.0]]]
    ]


def test_pooling_has_no_parameters_and_a_max_gradient_picks_one_pixel():
    # "max pooling就像relu激活函数一样，是函数不算参数": the gradient of a 2x2 max goes to the
    # maximum alone, as a ReLU's goes to the positive inputs alone.
    x = juanji.tensor([[[[1.0, 3.0], [2.0, 0.0]]]], requires_grad=True)
    P.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]
