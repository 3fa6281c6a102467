"""Spatial transformers: ``affine_grid`` builds a sampling grid, ``grid_sample`` reads it.

``affine_grid(theta, size)`` maps every output pixel's normalised coordinates ``(x, y, 1)``
(each in [-1, 1]) through the ``(N, 2, 3)`` matrices ``theta`` (``(N, 3, 4)`` and
``(x, y, z, 1)`` in 3-D): ``grid[n, h, w] = theta[n] @ (x_w, y_h, 1)``. With ``align_corners``
the coordinates ``-1`` and ``1`` are the centres of the corner pixels (``x_w = -1 + 2 w /
(W - 1)``), otherwise their outer edges (``x_w = (2 w + 1) / W - 1``). ``grid_sample(input,
grid)`` then reads ``input`` at those points; the coordinate rules, padding modes and gradients
are in ``juanji._ops.grid_sample``. Both are differentiable: a localisation network that
predicts ``theta`` learns through the sampler (Jaderberg et al., 2015).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from juanji._ops.grid_sample import GridSample
from juanji.nn.functional._checks import check_choice, check_float, check_same_dtype, check_tensor
from juanji.tensor.creation import linspace, ones
from juanji.tensor.functions import meshgrid, stack
from juanji.tensor.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_DEFAULT_CHANGED = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _align(align_corners: bool | None) -> bool:
    """PyTorch's default: False, with its warning when the caller did not choose."""
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` at the normalised coordinates of ``grid``.

    Args:
        input: ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        grid: ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``, coordinates in
            [-1, 1] with x (along W) first; the input's dtype.
        mode: ``'bilinear'`` (default; trilinear for 5-D input), ``'nearest'`` or
            ``'bicubic'`` (4-D input only; Keys' kernel with A = -0.75, the padding rule
            applied to each of the 4 x 4 taps, as PyTorch).
        padding_mode: ``'zeros'`` (default), ``'border'`` or ``'reflection'``: what points
            outside the image read.
        align_corners: True: -1 and 1 are the corner pixels' centres; False (the default, with
            PyTorch's warning when not given): their outer edges.

    Returns:
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``.

    Raises:
        ValueError: an unknown mode or padding mode, shapes that do not match, or
            ``'bicubic'`` on 5-D input.
        TypeError: non-tensors, integer input, or input and grid of different dtypes.

    Example:
        >>> import juanji
        >>> x = juanji.arange(4.0).reshape(1, 1, 2, 2)
        >>> grid = juanji.tensor([[[[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]]]])
        >>> grid_sample(x, grid, align_corners=True)
        tensor([[[[0.0000, 1.5000, 3.0000]]]])
    """
    fn = "grid_sample"
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    check_choice(fn, "padding_mode", padding_mode, ("zeros", "border", "reflection"))
    align = _align(align_corners)
    check_tensor(fn, "input", input)
    check_tensor(fn, "grid", grid)
    check_float(fn, "input", input)
    check_same_dtype(fn, input=input, grid=grid)
    _check_shapes(fn, input, grid)
    if mode == "bicubic" and input.ndim == 5:
        raise ValueError(f"{fn}: bicubic interpolation only supports 4-D input, got 5-D")
    return Tensor._apply(
        GridSample, input, grid, mode=mode, padding_mode=padding_mode, align_corners=align
    )


def _check_shapes(fn: str, input: Tensor, grid: Tensor) -> None:
    if input.ndim not in (4, 5):
        raise ValueError(
            f"{fn}: input must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got {input.ndim}-D "
            f"shape {input.shape}"
        )
    d = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[-1] != d:
        raise ValueError(
            f"{fn}: grid must be {input.ndim}-D with {d} coordinates in its last dimension for "
            f"{input.ndim}-D input, got shape {grid.shape}"
        )
    if grid.shape[0] != input.shape[0]:
        raise ValueError(
            f"{fn}: grid and input must have the same batch size, got input {input.shape} and "
            f"grid {grid.shape}"
        )
    if 0 in input.shape[2:]:
        raise ValueError(f"{fn}: input must have non-empty spatial dimensions, got {input.shape}")


def _coordinates(n: int, align_corners: bool, like: Tensor) -> Tensor:
    """The normalised coordinates of ``n`` pixel centres (0 for a single pixel, as PyTorch)."""
    if n <= 1:
        return like.new_zeros((max(n, 0),))
    steps = linspace(-1.0, 1.0, n, dtype=like.dtype)
    return steps if align_corners else steps * ((n - 1) / n)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of the affine maps ``theta``, for ``grid_sample``.

    Args:
        theta: ``(N, 2, 3)`` for a 4-D ``size``, ``(N, 3, 4)`` for a 5-D one; floating point.
        size: the output size ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners: as in ``grid_sample`` (default False, with PyTorch's warning).

    Returns:
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``, differentiable in ``theta``.

    Raises:
        ValueError: ``theta`` is not floating point or has the wrong shape, or a size is <= 0.
        NotImplementedError: ``size`` has neither 4 nor 5 entries.

    Example:
        >>> import juanji
        >>> identity = juanji.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(identity, (1, 1, 2, 2), align_corners=True)[0, :, :, 0]
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    align = _align(align_corners)
    check_tensor("affine_grid", "theta", theta)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    d = len(size) - 2
    if theta.ndim != 3 or theta.shape[-2:] != (d, d + 1):
        raise ValueError(
            f"Expected a batch of {d}D affine matrices of shape Nx{d}x{d + 1} for size {size}. "
            f"Got {theta.shape}."
        )
    spatial = size[2:]
    if align and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    axes = [_coordinates(n, align, theta) for n in spatial]  # D, H, W order
    mesh = meshgrid(*axes, indexing="ij")
    # base[..., :] = (x, y[, z], 1): the fastest dim (W) first, as grid_sample reads it
    base = stack([*reversed(mesh), ones(*spatial, dtype=theta.dtype)], dim=-1)
    points = base.reshape(1, -1, d + 1)  # (1, P, d + 1)
    grid = points.matmul(theta.transpose(1, 2))  # (N, P, d)
    return grid.reshape(size[0], *spatial, d)
