"""juanji.apps.filters: the weights, and what each kernel does to small images, by hand."""

import math

import numpy as np
import pytest

import juanji
from juanji.apps import filters as kernels

torch = pytest.importorskip("torch")

# A 4x5 test picture: a dark left part (0) and a bright right part (1), edge between columns 1|2,
# with one bright dot (at row 3, column 0) in the dark part.
PICTURE = np.array(
    [
        [0.0, 0.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 1.0, 1.0, 1.0],
        [1.0, 0.0, 1.0, 1.0, 1.0],
    ],
    dtype=np.float32,
)


def test_every_kernel_is_a_float32_tensor_with_its_documented_sum():
    sums = {"edge-x": 0, "edge-y": 0, "prewitt-x": 0, "prewitt-y": 0, "sobel-x": 0}
    sums |= {"sobel-y": 0, "laplacian": 0}
    for name in kernels.list_kernels():
        weights = kernels.get_kernel(name)
        assert isinstance(weights, juanji.Tensor) and weights.dtype == juanji.float32, name
        assert weights.sum().item() == pytest.approx(sums.get(name, 1.0), abs=1e-6), name


def test_weights_written_out():
    assert kernels.identity().tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert kernels.box_blur().numpy() == pytest.approx(np.full((3, 3), 1 / 9))
    assert kernels.sharpen().tolist() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    assert kernels.edge_x().tolist() == [[1, -1]]
    assert kernels.edge_y().tolist() == [[1], [-1]]
    assert kernels.prewitt_x().tolist() == [[-1, 0, 1]] * 3
    assert kernels.prewitt_y().tolist() == [[-1] * 3, [0] * 3, [1] * 3]
    assert kernels.sobel_x().tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert kernels.sobel_y().tolist() == [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    assert kernels.laplacian().tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    assert kernels.emboss().tolist() == [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]


def test_gaussian_weights_by_hand():
    # size 3, sigma 1: exp(-1/2) = 0.60653 at distance 1, 1 at the centre; 1-D sum 2.21306,
    # so [0.27407, 0.45186, 0.27407]; 2-D: the outer product, centre 0.45186^2 = 0.20418,
    # corner 0.27407^2 = 0.07511.
    g1 = kernels.gaussian_blur(3, 1.0, ndim=1).tolist()
    assert g1 == pytest.approx([0.27407, 0.45186, 0.27407], abs=1e-5)
    g2 = kernels.gaussian_blur(3, 1.0).numpy()
    assert g2[1, 1] == pytest.approx(0.20418, abs=1e-5)
    assert g2[0, 0] == pytest.approx(0.07511, abs=1e-5)
    assert g2.sum() == pytest.approx(1.0, abs=1e-6)
    # A wider sigma flattens the bell; a tiny one is (almost) the identity.
    assert kernels.gaussian_blur(5, 100.0).numpy() == pytest.approx(np.full((5, 5), 1 / 25), 1e-3)
    assert kernels.gaussian_blur(3, 0.01).numpy() == pytest.approx(kernels.identity().numpy())


def test_kernels_in_one_and_three_dimensions():
    assert kernels.box_blur(4, ndim=1).tolist() == [0.25] * 4
    assert kernels.edge_x(ndim=1).tolist() == [1, -1]
    assert kernels.laplacian(ndim=1).tolist() == [1, -2, 1]
    lap3 = kernels.laplacian(ndim=3).numpy()
    # centre -6, its 6 face neighbours 1, the other 20 cells 0
    assert lap3[1, 1, 1] == -6 and lap3.sum() == 0 and (lap3 == 1).sum() == 6
    assert kernels.edge_y(ndim=3).shape == (1, 2, 1)
    assert kernels.gaussian_blur(3, 1.0, ndim=3).shape == (3, 3, 3)
    assert kernels.identity(5, ndim=3).numpy()[2, 2, 2] == 1


def test_names_aliases_and_errors():
    assert kernels.get_kernel("Vertical_Edge").tolist() == [[1, -1]]
    assert kernels.get_kernel("gaussian-blur", size=3).shape == (3, 3)
    assert kernels.canonical_name("blur") == "box"
    with pytest.raises(ValueError, match=r"unknown kernel 'nope'; known kernels: identity, box"):
        kernels.get_kernel("nope")
    with pytest.raises(ValueError, match="does not take"):
        kernels.get_kernel("sobel-x", size=5)
    with pytest.raises(ValueError, match="size must be odd"):
        kernels.gaussian_blur(4)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        kernels.gaussian_blur(3, sigma=0)
    with pytest.raises(ValueError, match="ndim must be 1, 2 or 3"):
        kernels.box_blur(ndim=4)
    with pytest.raises(ValueError, match="a 1-D signal has no y"):
        kernels.edge_y(ndim=1)
    assert "Sobel" in kernels.describe("sobel_y")


def test_edge_x_finds_the_vertical_edge_and_the_dot():
    # valid: y[i, j] = x[i, j] - x[i, j+1], 4 x 4. Rows 0-2: 0-0, 0-1, 1-1, 1-1 = [0, -1, 0, 0];
    # row 3: 1-0, 0-1, 0, 0 = [1, -1, 0, 0].
    y = kernels.filter_image(PICTURE, kernels.edge_x(), padding="valid")
    assert y.tolist() == [[0, -1, 0, 0]] * 3 + [[1, -1, 0, 0]]


def test_edge_y_sees_only_the_dot():
    # y[i, j] = x[i, j] - x[i+1, j]: the columns are constant except column 0 (0, 0, 0, 1):
    # only y[2, 0] = 0 - 1 = -1.
    y = kernels.filter_image(PICTURE, kernels.edge_y(), padding="valid")
    assert y.tolist() == [[0] * 5, [0] * 5, [-1, 0, 0, 0, 0]]


def test_sobel_x_by_hand():
    # valid, 2 x 3 outputs; out[i, j] = sum_r w_r * (x[i+r, j+2] - x[i+r, j]) with w = 1, 2, 1.
    # j = 0: columns 2 and 0: rows 0-2 give (1-0) each -> 1+2+1 = 4; for i = 1 rows 1, 2, 3:
    #   1*(1-0) + 2*(1-0) + 1*(1-1) = 3.
    # j = 1: columns 3 and 1: (1-0) on every row -> 4, 4.
    # j = 2: columns 4 and 2: 0.
    y = kernels.filter_image(PICTURE, kernels.sobel_x(), padding="valid")
    assert y.tolist() == [[4, 4, 0], [3, 4, 0]]


def test_laplacian_with_same_padding_by_hand():
    # out = up + down + left + right - 4 * centre, zeros outside.
    # (0, 0): 0 + 0 + 0 + 0 - 0 = 0;  (0, 2): 0 (out) + 1 + 0 + 1 - 4 = -2;
    # (0, 4): 0 + 1 + 1 + 0 - 4 = -2; (1, 1): 0 + 0 + 0 + 1 - 0 = 1;
    # (3, 0): 0 (up) + 0 (out) + 0 (out) + 0 - 4 = -4; (2, 0): 0 + 1 + 0 + 0 - 0 = 1;
    # (1, 3): 1 + 1 + 1 + 1 - 4 = 0 (flat inside).
    y = kernels.filter_image(PICTURE, kernels.laplacian(), padding="same")
    assert y.shape == (4, 5)
    assert [y[0, 0], y[0, 2], y[0, 4], y[1, 1], y[3, 0], y[2, 0], y[1, 3]] == [
        0,
        -2,
        -2,
        1,
        -4,
        1,
        0,
    ]


def test_box_blur_with_stride_by_hand():
    # 3x3 mean, 'same' padding with stride 2: ceil(4/2) x ceil(5/2) = 2 x 3 outputs.
    # Rows: total pad (2-1)*2 + 3 - 4 = 1, the odd one at the bottom: (0, 1); windows at rows
    # 0..2 and 2..4 (row 4 is padding). Columns: (3-1)*2 + 3 - 5 = 2: (1, 1); windows at
    # columns -1..1, 1..3, 3..5.
    # (0, 0): rows 0-2, cols -1..1: all dark -> 0
    # (0, 1): rows 0-2, cols 1..3: columns 2, 3 bright on 3 rows -> 6 / 9; (0, 2) likewise
    # (1, 0): rows 2-4, cols -1..1: only the dot (3, 0) -> 1 / 9
    # (1, 1): rows 2-3 (4 is padding), columns 2, 3 -> 4 / 9; (1, 2) likewise
    y = kernels.filter_image(PICTURE, kernels.box_blur(), padding="same", stride=2)
    assert y == pytest.approx(np.array([[0, 6, 6], [1, 4, 4]]) / 9, abs=1e-6)


def test_identity_and_sharpen_keep_flat_regions():
    flat = np.full((5, 5), 0.5, np.float32)
    assert kernels.filter_image(flat, kernels.identity(), "valid") == pytest.approx(flat[1:4, 1:4])
    # sharpen on a flat region: 5*0.5 - 4*0.5 = 0.5
    assert kernels.filter_image(flat, kernels.sharpen(), "valid") == pytest.approx(flat[1:4, 1:4])
    # and exaggerates a step: at column 2 (bright side of the edge): 5 - 1 - 1 - 1 - 0 = 2
    assert kernels.filter_image(PICTURE, kernels.sharpen(), "valid")[0, 1] == 2


def test_colour_channels_are_filtered_separately():
    # R = the picture, G = its mirror image, B = zeros: each channel as if filtered alone.
    rgb = np.stack([PICTURE, PICTURE[:, ::-1], np.zeros_like(PICTURE)], axis=-1)
    y = kernels.filter_image(rgb, kernels.sobel_x(), padding="same")
    assert y.shape == (4, 5, 3)
    for c in range(3):
        alone = kernels.filter_image(rgb[:, :, c], kernels.sobel_x(), padding="same")
        assert y[:, :, c] == pytest.approx(alone)
    assert not y[:, :, 2].any()


def test_filter_image_matches_torch_depthwise_conv():
    rng = np.random.default_rng(0)
    rgb = rng.random((9, 11, 3), dtype=np.float32)
    weight = kernels.gaussian_blur(5, 1.5).numpy()
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(rgb.transpose(2, 0, 1).copy())[None],
        torch.from_numpy(weight).expand(3, 1, 5, 5),
        stride=2,
        padding=2,
        groups=3,
    )[0].numpy()
    y = kernels.filter_image(rgb, weight, padding=2, stride=2)
    assert y.transpose(2, 0, 1) == pytest.approx(expected, abs=1e-5)


def test_filter_image_output_size_follows_the_formula():
    # valid, k = 5, stride 3 on 17 x 12: floor((17 - 5) / 3) + 1 = 5, floor((12 - 5) / 3) + 1 = 3
    y = kernels.filter_image(np.zeros((17, 12)), kernels.gaussian_blur(5), "valid", stride=3)
    assert y.shape == (5, 3)
    # same, stride 3: ceil(17 / 3) = 6, ceil(12 / 3) = 4
    assert kernels.filter_image(np.zeros((17, 12)), kernels.sobel_x(), stride=3).shape == (6, 4)
    assert math.ceil(17 / 3) == 6


def test_filter_image_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"image must be \(H, W\) or \(H, W, C\)"):
        kernels.filter_image(np.zeros(5), kernels.box_blur())
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        kernels.filter_image(np.zeros((5, 5)), kernels.box_blur(ndim=1))


@pytest.mark.parametrize(
    ("padding", "stride"), [("same", 1), ("valid", 2), ("same_lower", 3), (2, 2)]
)
def test_conv_slabs_give_the_same_result_as_one_call(padding, stride):
    # A large photo is bounded by conv's own slabs (the memory budget), not by bands here.
    rng = np.random.default_rng(1)
    rgb = rng.random((23, 17, 3), dtype=np.float32)
    weight = kernels.gaussian_blur(5, 1.0)
    whole = kernels.filter_image(rgb, weight, padding=padding, stride=stride)
    with juanji.backend.memory_budget(1):  # one output row of one sample per slab
        sliced = kernels.filter_image(rgb, weight, padding=padding, stride=stride)
    assert sliced.shape == whole.shape
    # Equal up to float32 rounding, not bit for bit: a slab is a smaller GEMM, and OpenBLAS may
    # pick another kernel (another summation order) for it on some CPUs.
    np.testing.assert_allclose(sliced, whole, rtol=1e-6, atol=1e-7)


def test_filter_image_rejects_bad_padding_and_stride():
    with pytest.raises(
        ValueError,
        match=r"filter_image: padding must be an int, a tuple of 2 ints or 2 \(before, after\) "
        r"pairs \('valid', 'same', 'same_lower'\), got 'full'",
    ):
        kernels.filter_image(np.zeros((5, 5)), kernels.box_blur(), padding="full")
    with pytest.raises(ValueError, match=r"filter_image: padding must be >= 0, got -1"):
        kernels.filter_image(np.zeros((5, 5)), kernels.box_blur(), padding=-1)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        kernels.filter_image(np.zeros((5, 5)), kernels.box_blur(), stride=0)
    with pytest.raises(ValueError, match="conv2d: kernel size 3"):
        kernels.filter_image(np.zeros((2, 2)), kernels.box_blur(), padding="valid")
