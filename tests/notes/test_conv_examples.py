"""The notes' convolution examples, with every expected number worked out by hand.

Nothing here computes an expected value with juanji: the numbers are written out (the arithmetic
is in the comments), so these tests stay independent of the code under test.
"""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji._ops.conv import registry

X3 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
K2 = [[0.0, 1.0], [2.0, 3.0]]


@pytest.fixture(autouse=True, params=list(registry.ALGORITHMS))
def conv_algorithm(request, monkeypatch):
    """Every worked example holds for every registered convolution algorithm that applies.

    A specialised algorithm (1x1, winograd, numba_depthwise) skips the examples it does not
    compute: the forced choice's "does not apply" error becomes a skip.
    """
    choose = registry.choose

    def choose_or_skip(geometry, trial=None):
        try:
            return choose(geometry, trial)
        except ValueError as error:
            if "does not apply" not in str(error):
                raise
            pytest.skip(f"{request.param} does not apply to this example")

    monkeypatch.setattr(registry, "choose", choose_or_skip)
    with juanji.backends.conv.use(request.param):
        yield request.param


def test_cross_correlation_of_3x3_input_with_2x2_kernel():
    # output<x, y> = sum_(a, b) k<a, b> * input<x + a, y + b>
    # [0,0]: 0*0 + 1*1 + 2*3 + 3*4 = 19    [0,1]: 0*1 + 1*2 + 2*4 + 3*5 = 25
    # [1,0]: 0*3 + 1*4 + 2*6 + 3*7 = 37    [1,1]: 0*4 + 1*5 + 2*7 + 3*8 = 43
    y = F.conv2d(juanji.tensor([[X3]]), juanji.tensor([[K2]]))
    assert y.tolist() == [[[[19.0, 25.0], [37.0, 43.0]]]]


def _edge_image():
    # 6x8 image: white (1) at the sides, black (0) in columns 2..5: two vertical edges.
    row = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    return juanji.tensor([[[row] * 6]])


def test_edge_detection_kernel_finds_the_vertical_edges():
    # [1, -1] gives x[j] - x[j+1]: +1 where white turns black (1 - 0 at j = 1), -1 where black
    # turns white (0 - 1 at j = 5), 0 in flat regions; 8 - 2 + 1 = 7 columns.
    y = F.conv2d(_edge_image(), juanji.tensor([[[[1.0, -1.0]]]]))
    assert y.tolist() == [[[[0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0]] * 6]]


def test_transposed_edge_kernel_detects_nothing_on_vertical_edges():
    # [[1], [-1]] gives x[i] - x[i+1] down the columns; every column is constant: all zeros,
    # on 6 - 2 + 1 = 5 rows.
    y = F.conv2d(_edge_image(), juanji.tensor([[[[1.0], [-1.0]]]]))
    assert y.tolist() == [[[[0.0] * 8] * 5]]


def test_multiple_input_channels_are_summed():
    # Channel 0 is the example above: [[19, 25], [37, 43]].
    # Channel 1, input [[1,2,3],[4,5,6],[7,8,9]], kernel [[1,2],[3,4]]:
    #   [0,0]: 1*1 + 2*2 + 3*4 + 4*5 = 37    [0,1]: 1*2 + 2*3 + 3*5 + 4*6 = 47
    #   [1,0]: 1*4 + 2*5 + 3*7 + 4*8 = 67    [1,1]: 1*5 + 2*6 + 3*8 + 4*9 = 77
    # Sum: [[19 + 37, 25 + 47], [37 + 67, 43 + 77]] = [[56, 72], [104, 120]].
    x = juanji.tensor([[X3, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    k = juanji.tensor([[K2, [[1.0, 2.0], [3.0, 4.0]]]])
    assert F.conv2d(x, k).tolist() == [[[[56.0, 72.0], [104.0, 120.0]]]]


def test_multiple_output_channels_stack_one_kernel_each():
    # Kernels K, K + 1, K + 2: adding 1 to every weight adds each window's sum over both
    # channels: windows sum to 8 + 12 = 20, 12 + 16 = 28, 20 + 24 = 44, 24 + 28 = 52.
    # K + 1: [[56 + 20, 72 + 28], [104 + 44, 120 + 52]] = [[76, 100], [148, 172]]
    # K + 2: [[56 + 40, 72 + 56], [104 + 88, 120 + 104]] = [[96, 128], [192, 224]]
    x = juanji.tensor([[X3, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    k = np.array([K2, [[1.0, 2.0], [3.0, 4.0]]], dtype=np.float32)
    w = juanji.tensor(np.stack([k, k + 1, k + 2]))
    assert F.conv2d(x, w).tolist() == [
        [
            [[56.0, 72.0], [104.0, 120.0]],
            [[76.0, 100.0], [148.0, 172.0]],
            [[96.0, 128.0], [192.0, 224.0]],
        ]
    ]


def test_1x1_convolution_is_a_matrix_product_over_channels():
    # Y[o, i, j] = sum_c W[o, c] X[c, i, j], i.e. W (2x3) @ X reshaped (3 x 4 pixels).
    # o = 0: W = [1, 0, 1]  -> X0 + X2       = [[1+2, 2+0], [3+0, 4+2]] = [[3, 2], [3, 6]]
    # o = 1: W = [0, 2, -1] -> 2*X1 - X2     = [[0-2, 2-0], [0-0, 2-2]] = [[-2, 2], [0, 0]]
    x = [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]]
    w = [[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]
    y = F.conv2d(juanji.tensor([x]), juanji.tensor(w).reshape(2, 3, 1, 1))
    assert y.tolist() == [[[[3.0, 2.0], [3.0, 6.0]], [[-2.0, 2.0], [0.0, 0.0]]]]
    assert y.tolist()[0] == (np.array(w) @ np.array(x).reshape(3, 4)).reshape(2, 2, 2).tolist()


# (w, p, k, s, n): the notes' n = floor((w + p - k + s) / s), worked out by hand.
OUTPUT_SIZES = [
    (6, 0, 3, 1, 4),  # the notes' "6x6 with a 3x3 kernel gives 4x4": (6 - 3 + 1) / 1
    (8, 0, 3, 1, 6),  # p = 0: n = w - k + 1 = 6
    (8, 2, 3, 1, 8),  # p = k - 1 = 2 (odd kernel, 1 per side): 'same', n = w
    (8, 1, 2, 1, 8),  # p = k - 1 = 1 (even kernel, 0 + 1 or 1 + 0): still n = w
    (8, 3, 4, 1, 8),  # p = k - 1 = 3: (8 + 3 - 4 + 1) / 1 = 8
    (8, 2, 3, 2, 4),  # floor((8 + 2 - 3 + 2) / 2) = floor(9 / 2) = 4 = 8 / 2 (w divisible by s)
    (7, 0, 3, 2, 3),  # floor((7 - 3 + 2) / 2) = 3
    (7, 2, 3, 3, 3),  # floor((7 + 2 - 3 + 3) / 3) = 3
    (28, 4, 5, 1, 28),  # LeNet's first layer: 5x5 with padding 2 keeps 28
    (14, 0, 5, 1, 10),  # LeNet's second layer: 14 - 5 + 1 = 10
    (5, 0, 5, 2, 1),  # the kernel fits exactly once: floor(2 / 2) = 1
]


@pytest.mark.parametrize(("w", "p", "k", "s", "n"), OUTPUT_SIZES)
def test_output_size_rule(w, p, k, s, n):
    pads = ((p // 2, p - p // 2),)  # the total p split over both sides
    y = F.conv1d(juanji.ones(1, 1, w), juanji.ones(1, 1, k), stride=s, padding=pads)
    assert y.shape == (1, 1, n)
    y2 = F.conv2d(juanji.ones(1, 1, w, w), juanji.ones(1, 1, k, k), stride=s, padding=pads * 2)
    assert y2.shape == (1, 1, n, n)


def test_same_with_an_even_kernel_places_the_odd_pixel():
    # k = [1, 1] on [1, 2, 3, 4]: p = k - 1 = 1.
    # 'same' (PyTorch): pad after -> [1, 2, 3, 4, 0] -> [1+2, 2+3, 3+4, 4+0] = [3, 5, 7, 4]
    # 'same_lower' (notes: top/left ceil(1/2) = 1) -> [0, 1, 2, 3, 4] -> [1, 3, 5, 7]
    x = juanji.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    k = juanji.tensor([[[1.0, 1.0]]])
    assert F.conv1d(x, k, padding="same").tolist() == [[[3.0, 5.0, 7.0, 4.0]]]
    assert F.conv1d(x, k, padding="same_lower").tolist() == [[[1.0, 3.0, 5.0, 7.0]]]


def test_stride_skips_positions():
    # k = [1, 1, 1] on [0..6]: windows start at 0, 2, 4 -> 0+1+2 = 3, 2+3+4 = 9, 4+5+6 = 15.
    # With one zero each side, [0, 0, 1, 2, 3, 4, 5, 6, 0]: starts 0, 2, 4, 6 ->
    # 0+0+1 = 1, 1+2+3 = 6, 3+4+5 = 12, 5+6+0 = 11; n = floor((7 + 2 - 3 + 2) / 2) = 4.
    x = juanji.tensor([[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]])
    k = juanji.ones(1, 1, 3)
    assert F.conv1d(x, k, stride=2).tolist() == [[[3.0, 9.0, 15.0]]]
    assert F.conv1d(x, k, stride=2, padding=1).tolist() == [[[1.0, 6.0, 12.0, 11.0]]]


def test_rgb_example_3x28x28_with_4x3x3x3_kernel_gives_4x28x28():
    # The notes: an RGB image (3 channels, 28x28), 4 kernels of 3x3x3, padding 1 keeps 28x28:
    # 28 + 2 - 3 + 1 = 28. Unbatched, as written in the notes. With all-ones input and kernels,
    # an interior output sums 27 ones, an edge (non-corner) one 18, a corner one 12.
    y = F.conv2d(juanji.ones(3, 28, 28), juanji.ones(4, 3, 3, 3), padding=1)
    assert y.shape == (4, 28, 28)
    assert [y[0, 5, 5].item(), y[1, 0, 5].item(), y[3, 0, 0].item()] == [27.0, 18.0, 12.0]
