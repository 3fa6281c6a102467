"""juanji explain winograd / algorithms: the tile worked by hand, and each layer's algorithm."""

import numpy as np

from juanji.apps.viz import explain as ex
from juanji.apps.viz.explain_fast import A_T, B_T, SOBEL, TILE, G


def test_winograd_tile_by_hand_equals_the_direct_convolution():
    result = ex.explain("winograd")
    # The direct 2x2 output of a 3x3 filter over a 4x4 tile, written out as 36 products.
    direct = np.array(
        [[(TILE[i : i + 3, j : j + 3] * SOBEL).sum() for j in range(2)] for i in range(2)]
    )
    assert np.array_equal(result.output, direct) and np.array_equal(result.engine, direct)
    assert direct.tolist() == [[-8.0, -8.0], [-8.0, -8.0]]  # a ramp: every Sobel response -8
    # The transforms are the textbook's, and 16 products (M = U * V) suffice.
    M = (G @ SOBEL @ G.T) * (B_T @ TILE @ B_T.T)
    assert np.array_equal(A_T @ M @ A_T.T, direct) and M.size == 16
    assert "gives the same grid" in result.text and "16 products instead of 36" in result.text


def test_algorithms_names_a_choice_and_times_for_every_layer():
    result = ex.explain("algorithms")
    for layer in ("LeNet conv1", "ResNet 3x3", "bottleneck 1x1", "MobileNet depthwise 3x3"):
        assert layer in result.text
    assert "bottleneck 1x1" in result.text and "auto = 1x1" in result.text
    assert "gemm" in result.text and " ms" in result.text
    assert result.output == 0.0 == result.engine  # every algorithm agrees to 3 decimals
