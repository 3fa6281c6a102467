"""``F.affine_grid`` and ``F.grid_sample`` against PyTorch: forward, input and grid gradients."""

import warnings

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
MODES = ["bilinear", "nearest"]
PADDINGS = ["zeros", "border", "reflection"]


def _grid(rng, shape, dtype, spread=1.3):
    """Random points, plus points exactly on pixel centres, edges and the [-1, 1] bounds."""
    grid = rng.uniform(-spread, spread, shape)
    flat = grid.reshape(-1)
    special = np.array([-1.0, 1.0, 0.0, -0.5, 0.5, -1.5, 1.5, 0.25])
    flat[: special.size] = special[: flat.size]
    return grid.astype(dtype)


@pytest.mark.parametrize("mode", [*MODES, "bicubic"])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_sample_2d_matches_torch(rng, mode, padding_mode, align_corners, dtype):
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    grid = _grid(rng, (2, 3, 6, 2), dtype)
    compare_op(
        lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
        lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners),
        [x, grid],
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_3d_matches_torch(rng, mode, padding_mode, align_corners):
    x = rng.standard_normal((2, 2, 3, 4, 5))
    grid = _grid(rng, (2, 2, 3, 2, 3), np.float64)
    compare_op(
        lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
        lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners),
        [x, grid],
    )


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(1, 1), (1, 3), (2, 1)])
def test_grid_sample_single_pixel_dims_match_torch(rng, padding_mode, align_corners, size):
    x = rng.standard_normal((1, 2, *size))
    grid = _grid(rng, (1, 4, 3, 2), np.float64)
    compare_op(
        lambda x, g: F.grid_sample(x, g, "bilinear", padding_mode, align_corners),
        lambda x, g: TF.grid_sample(x, g, "bilinear", padding_mode, align_corners),
        [x, grid],
    )


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_gradcheck(rng, padding_mode):
    x = juanji.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    # away from pixel boundaries, where the bilinear weights have a kink
    grid = juanji.tensor(rng.uniform(-0.9, 0.9, (1, 2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x, g: F.grid_sample(x, g, "bilinear", padding_mode, False), [x, grid])


def test_grid_sample_bicubic_hand_case():
    """At a pixel centre the cubic weights are (0, 1, 0, 0): the pixel itself."""
    x = juanji.arange(16.0).reshape(1, 1, 4, 4)
    grid = juanji.tensor([[[[-1.0 / 3, 1.0 / 3]]]])  # pixel (w=1, h=2) with align_corners
    assert F.grid_sample(x, grid, "bicubic", align_corners=True).item() == pytest.approx(9.0)


def test_grid_sample_hand_case():
    x = juanji.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    grid = juanji.tensor([[[[-1.0, -1.0], [0.0, 0.0], [1.0, -1.0], [0.0, -1.0], [3.0, 0.0]]]])
    out = F.grid_sample(x, grid, align_corners=True)
    np.testing.assert_allclose(out.numpy().ravel(), [1.0, 2.5, 2.0, 1.5, 0.0])
    # align_corners=False: -1 is the outer edge, half a pixel outside the first centre
    out = F.grid_sample(x, juanji.tensor([[[[-1.0, -1.0]]]]), align_corners=False)
    assert out.item() == pytest.approx(0.25)


def test_grid_sample_requires_grad_subset_and_dtype(rng):
    x = juanji.tensor(rng.standard_normal((1, 1, 3, 3)).astype(np.float32), requires_grad=True)
    grid = juanji.tensor(rng.uniform(-1, 1, (1, 2, 2, 2)).astype(np.float32))
    out = F.grid_sample(x, grid, align_corners=False)
    assert out.dtype == juanji.float32
    out.sum().backward()
    assert x.grad.shape == x.shape and grid.grad is None


def test_affine_identity_then_grid_sample_returns_the_input(rng):
    x = juanji.tensor(rng.standard_normal((2, 3, 5, 7)))
    theta = juanji.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2, dtype=juanji.float64)
    for align in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 7), align_corners=align)
        out = F.grid_sample(x, grid, align_corners=align)
        np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 2, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_grid_matches_torch(rng, align_corners, size, dtype):
    d = len(size) - 2
    theta = rng.standard_normal((size[0], d, d + 1)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unit-size grids with align_corners
        compare_op(
            lambda t: F.affine_grid(t, size, align_corners=align_corners),
            lambda t: TF.affine_grid(t, size, align_corners=align_corners),
            [theta],
        )


def test_spatial_transformer_step_matches_torch(rng):
    """theta -> affine_grid -> grid_sample, with gradients to theta, as an STN trains it."""
    x = rng.standard_normal((2, 1, 6, 6))
    theta = (np.eye(2, 3) + 0.2 * rng.standard_normal((2, 2, 3))).astype(np.float64)
    compare_op(
        lambda x, t: F.grid_sample(x, F.affine_grid(t, (2, 1, 4, 4), False), align_corners=False),
        lambda x, t: TF.grid_sample(x, TF.affine_grid(t, (2, 1, 4, 4), False), align_corners=False),
        [x, theta],
    )


def test_default_align_corners_warns_as_torch():
    x, grid = juanji.zeros(1, 1, 2, 2), juanji.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, grid)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(juanji.zeros(1, 2, 3), (1, 1, 2, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": "cubic"}, ValueError, "expected mode to be 'bilinear', 'nearest' or"),
        ({"padding_mode": "wrap"}, ValueError, "padding_mode must be one of"),
    ],
)
def test_grid_sample_option_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        F.grid_sample(juanji.zeros(1, 1, 2, 2), juanji.zeros(1, 1, 1, 2), **kwargs)


@pytest.mark.parametrize(
    ("x_shape", "grid_shape", "message"),
    [
        ((1, 3, 3), (1, 2, 2, 2), "input must be 4-D"),
        ((1, 1, 3, 3), (1, 2, 2, 3), "2 coordinates in its last dimension"),
        ((1, 1, 3, 3), (2, 2, 2, 2), "same batch size"),
        ((1, 1, 2, 2, 2), (1, 2, 2, 2), "3 coordinates in its last dimension"),
    ],
)
def test_grid_sample_shape_errors(x_shape, grid_shape, message):
    with pytest.raises(RuntimeError):
        TF.grid_sample(torch.zeros(x_shape), torch.zeros(grid_shape), align_corners=False)
    with pytest.raises(ValueError, match=f"grid_sample: .*{message}"):
        F.grid_sample(juanji.zeros(*x_shape), juanji.zeros(*grid_shape), align_corners=False)


def test_grid_sample_dtype_and_bicubic_errors():
    with pytest.raises(TypeError, match="same dtype"):
        F.grid_sample(
            juanji.zeros(1, 1, 2, 2),
            juanji.zeros(1, 1, 1, 2, dtype=juanji.float64),
            align_corners=False,
        )
    with pytest.raises(ValueError, match="bicubic interpolation only supports 4-D"):
        F.grid_sample(
            juanji.zeros(1, 1, 2, 2, 2), juanji.zeros(1, 1, 1, 1, 3), "bicubic", "zeros", 0
        )


@pytest.mark.parametrize(
    ("theta_shape", "size", "error", "message"),
    [
        ((1, 3, 3), (1, 1, 2, 2), ValueError, "Expected a batch of 2D affine matrices"),
        ((1, 2, 3), (1, 1, 2, 2, 2), ValueError, "Expected a batch of 3D affine matrices"),
        ((1, 2, 3), (1, 2, 2), NotImplementedError, "affine_grid only supports 4D and 5D"),
        ((1, 2, 3), (1, 1, 0, 2), ValueError, "Expected non-zero, positive output size"),
    ],
)
def test_affine_grid_errors_as_torch(theta_shape, size, error, message):
    with pytest.raises(error, match=message):
        TF.affine_grid(torch.zeros(theta_shape), size, align_corners=False)
    with pytest.raises(error, match=message):
        F.affine_grid(juanji.zeros(*theta_shape), size, align_corners=False)


def test_affine_grid_integer_theta_error_as_torch():
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        TF.affine_grid(torch.zeros(1, 2, 3, dtype=torch.int64), (1, 1, 2, 2), False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(juanji.zeros(1, 2, 3, dtype=juanji.int64), (1, 1, 2, 2), False)
