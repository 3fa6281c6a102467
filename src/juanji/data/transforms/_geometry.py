"""Rotations, affine and perspective maps, elastic distortion (part of ``functional``).

Arrays and tensors are sampled as torchvision samples them: the output pixel centres are mapped
to input coordinates with the same float steps as its affine or perspective grid and
``grid_sample(align_corners=False)``, then read by nearest neighbour (ties to even) or
bilinearly, with zeros outside the image, or ``fill`` blended in by the sampled coverage. PIL
images are handed to Pillow's ``rotate``/``transform``, as torchvision hands them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.data.transforms._layout import (
    PIL_FILTERS,
    InterpolationMode,
    image_in,
    interpolation_name,
    is_pil,
    to_pil,
)
from juanji.tensor.tensor import Tensor

__all__ = ["affine", "elastic_transform", "perspective", "rotate"]


def _real(array: np.ndarray) -> np.dtype:
    """The dtype torchvision samples in: the image's if float, else float32."""
    return np.dtype(array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32)


def _size(img: Any) -> tuple[int, int]:
    """(height, width) of a PIL image or an array image."""
    if is_pil(img):
        return img.size[1], img.size[0]
    array, _ = image_in(img)
    return int(array.shape[-2]), int(array.shape[-1])


def _inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """The 2x3 map from output to input pixel coordinates (torchvision's convention).

    The forward map is ``T * C * R * S * Sh * C^-1`` (translate, centre, rotate by ``angle``
    degrees, scale, shear); this is its inverse, which sampling needs.
    """
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _base_grid(
    oh: int, ow: int, real: np.dtype, start_x: float, start_y: float
) -> tuple[np.ndarray, np.ndarray]:
    """Output pixel centres, x (1, ow) from ``start_x`` and y (oh, 1) from ``start_y``."""
    xs = np.linspace(start_x, start_x + ow - 1, ow, dtype=real)[None, :]
    ys = np.linspace(start_y, start_y + oh - 1, oh, dtype=real)[:, None]
    return xs, ys


def _affine_grid(matrix: list[float], h: int, w: int, oh: int, ow: int, real: np.dtype) -> Any:
    """Torchvision's ``_gen_affine_grid``: the normalised input position of each output pixel.

    Output coordinates are relative to the output centre; ``matrix`` maps them to coordinates
    relative to the input centre, which are then divided by half the input size.
    """
    xs, ys = _base_grid(oh, ow, real, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5)
    theta = np.asarray(matrix, dtype=real).reshape(2, 3)
    rx, ry = theta[0] / real.type(0.5 * w), theta[1] / real.type(0.5 * h)
    return xs * rx[0] + ys * rx[1] + rx[2], xs * ry[0] + ys * ry[1] + ry[2]


def _sample(array: np.ndarray, gx: Any, gy: Any, mode: str, fill: Any) -> np.ndarray:
    """``grid_sample(align_corners=False)`` of (..., H, W) at normalised (gx, gy), then ``fill``.

    Outside the image reads 0; with ``fill`` the uncovered part takes it instead (nearest: where
    the coverage is under 1/2; bilinear: blended by the coverage), as torchvision does.
    """
    h, w = array.shape[-2:]
    real = _real(array)
    one, two = real.type(1), real.type(2)
    src_x = ((gx + one) * real.type(w) - one) / two  # input columns
    src_y = ((gy + one) * real.type(h) - one) / two
    data = array.astype(real)
    if mode == "nearest":
        col, row = np.rint(src_x).astype(np.int64), np.rint(src_y).astype(np.int64)
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        out = data[..., np.clip(row, 0, h - 1), np.clip(col, 0, w - 1)] * inside
        weight = inside.astype(real)
    else:
        x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
        out = np.zeros(array.shape[:-2] + src_x.shape, dtype=real)
        weight = np.zeros(src_x.shape, dtype=real)
        for dy in (0, 1):
            for dx in (0, 1):
                col, row = x0 + dx, y0 + dy
                tap = (1 - np.abs(src_x - col)) * (1 - np.abs(src_y - row))
                tap = tap * ((col >= 0) & (col < w) & (row >= 0) & (row < h))
                out += data[..., np.clip(row, 0, h - 1), np.clip(col, 0, w - 1)] * tap
                weight += tap
    if fill is not None:
        fills = np.asarray(fill, dtype=real).reshape((-1, 1, 1))
        if mode == "nearest":
            out = np.where(weight < 0.5, fills, out)
        else:
            out = out * weight + (1 - weight) * fills
    if not np.issubdtype(array.dtype, np.floating):
        out = np.rint(out)
    return out.astype(array.dtype)


def _warp(
    array: np.ndarray, matrix: list[float], out_hw: tuple[int, int], mode: str, fill: Any
) -> np.ndarray:
    """Sample ``array`` (..., H, W) at the inverse-affine-mapped centre of every output pixel."""
    h, w = array.shape[-2:]
    gx, gy = _affine_grid(matrix, h, w, out_hw[0], out_hw[1], _real(array))
    return _sample(array, gx, gy, mode, fill)


def _pil_fill(img: Any, fill: Any) -> dict[str, Any]:
    """Torchvision's ``_parse_fill``: Pillow's ``fillcolor`` for the image's bands."""
    bands = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        fill = tuple(fill) if len(fill) > 1 else fill[0]
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return {"fillcolor": fill}


def rotate(
    img: Any,
    angle: float,
    interpolation: Any = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[int] | None = None,
    fill: Any = None,
) -> Any:
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (the image centre).

    ``expand`` enlarges the output to hold the whole rotated image; uncovered pixels are 0 or
    ``fill``. Arrays and tensors: "nearest" (default) or "bilinear".
    """
    name = interpolation_name(interpolation, "rotate")
    if not isinstance(angle, (int, float)):
        raise TypeError("rotate: Argument angle should be int or float")
    if is_pil(img):
        center_t = None if center is None else tuple(center)
        return img.rotate(angle, PIL_FILTERS[name], expand, center_t, **_pil_fill(img, fill))
    interpolation_name(name, "rotate", ("nearest", "bilinear"))
    array, restore = image_in(img)
    h, w = array.shape[-2:]
    center_f = (
        [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h), strict=True)]
    )
    matrix = _inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_hw = _expanded_size(matrix, w, h) if expand else (h, w)
    return restore(_warp(array, matrix, out_hw, name, fill))


def _expanded_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(h, w) of the box holding the whole image mapped by ``matrix`` (torchvision's rounding)."""
    corners = np.array(
        [
            [-0.5 * w, -0.5 * h, 1],
            [-0.5 * w, 0.5 * h, 1],
            [0.5 * w, 0.5 * h, 1],
            [0.5 * w, -0.5 * h, 1],
        ],
        dtype=np.float32,
    )
    mapped = corners @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    tol = np.float32(1e-4)
    high = np.ceil(np.trunc((mapped.max(axis=0) + (w * 0.5, h * 0.5)) / tol) * tol)
    low = np.floor(np.trunc((mapped.min(axis=0) + (w * 0.5, h * 0.5)) / tol) * tol)
    size = high - low
    return int(size[1]), int(size[0])


def affine(
    img: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: Any = InterpolationMode.NEAREST,
    fill: Any = None,
    center: Sequence[int] | None = None,
) -> Any:
    """Rotate by ``angle`` (clockwise, torchvision's convention), scale, shear, translate.

    Raises:
        ValueError: ``translate`` not two values, ``scale <= 0``, or a bad ``shear``.
    """
    name = interpolation_name(interpolation, "affine")
    if len(translate) != 2:
        raise ValueError("affine: Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("affine: Argument scale should be positive")
    shear = [float(shear), 0.0] if isinstance(shear, numbers.Number) else list(shear)
    shear = shear * 2 if len(shear) == 1 else shear
    if len(shear) != 2:
        raise ValueError(f"affine: Shear should be a sequence containing two values. Got {shear}")
    height, width = _size(img)
    if is_pil(img):
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(pil_center, angle, translate, scale, shear)
        # 0 is Image.Transform.AFFINE
        return img.transform(img.size, 0, matrix, PIL_FILTERS[name], **_pil_fill(img, fill))
    interpolation_name(name, "affine", ("nearest", "bilinear"))
    center_f = (
        [0.0, 0.0]
        if center is None
        else [c - s * 0.5 for c, s in zip(center, (width, height), strict=True)]
    )
    matrix = _inverse_affine_matrix(
        center_f, float(angle), [float(t) for t in translate], scale, shear
    )
    array, restore = image_in(img)
    return restore(_warp(array, matrix, (height, width), name, fill))


def _perspective_coefficients(
    startpoints: Sequence[Sequence[float]], endpoints: Sequence[Sequence[float]]
) -> list[float]:
    """The 8 coefficients mapping output (end) points to input (start) points, least squares.

    ``x_in = (a x + b y + c) / (g x + h y + 1)``, ``y_in = (d x + e y + f) / (g x + h y + 1)``,
    solved in float64 and rounded to float32 as torchvision does.
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            "perspective: Please provide exactly four corners, got "
            f"{len(startpoints)} startpoints and {len(endpoints)} endpoints."
        )
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    a, b = np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64)
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    return [float(c) for c in solution.astype(np.float32)]


def perspective(
    img: Any,
    startpoints: Sequence[Sequence[int]],
    endpoints: Sequence[Sequence[int]],
    interpolation: Any = InterpolationMode.BILINEAR,
    fill: Any = None,
) -> Any:
    """Map the four corners ``startpoints`` to ``endpoints`` ([x, y], clockwise from top left).

    Raises:
        ValueError: not four points each.
    """
    name = interpolation_name(interpolation, "perspective")
    coeffs = _perspective_coefficients(startpoints, endpoints)
    if is_pil(img):
        # 2 is Image.Transform.PERSPECTIVE
        return img.transform(img.size, 2, coeffs, PIL_FILTERS[name], **_pil_fill(img, fill))
    interpolation_name(name, "perspective", ("nearest", "bilinear"))
    array, restore = image_in(img)
    oh, ow = array.shape[-2:]
    real = _real(array)
    c = np.asarray(coeffs, dtype=real)
    xs, ys = _base_grid(oh, ow, real, 0.5, 0.5)
    denominator = c[6] * xs + c[7] * ys + real.type(1)
    gx = (c[0] * xs + c[1] * ys + c[2]) / real.type(0.5 * ow) / denominator - real.type(1)
    gy = (c[3] * xs + c[4] * ys + c[5]) / real.type(0.5 * oh) / denominator - real.type(1)
    return restore(_sample(array, gx, gy, name, fill))


def elastic_transform(
    img: Any, displacement: Any, interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None
) -> Any:
    """Move every pixel by ``displacement`` (1, H, W, 2), in normalised [-1, 1] units (x, y).

    Raises:
        ValueError: ``displacement`` not of shape (1, H, W, 2).
    """
    name = interpolation_name(interpolation, "elastic_transform", ("nearest", "bilinear"))
    field = displacement.numpy() if isinstance(displacement, Tensor) else np.asarray(displacement)
    if is_pil(img):
        array = np.asarray(img)
        chw = array.transpose(2, 0, 1) if array.ndim == 3 else array[None]
        moved = elastic_transform(chw, field, name, fill)
        return to_pil(moved.transpose(1, 2, 0), img)
    array, restore = image_in(img)
    h, w = array.shape[-2:]
    if field.shape != (1, h, w, 2):
        raise ValueError(
            f"elastic_transform: Argument displacement shape should be {(1, h, w, 2)}, but given "
            f"{field.shape}"
        )
    real = _real(array)
    xs = np.linspace((-w + 1) / w, (w - 1) / w, w, dtype=real)[None, :]
    ys = np.linspace((-h + 1) / h, (h - 1) / h, h, dtype=real)[:, None]
    gx, gy = xs + field[0, :, :, 0].astype(real), ys + field[0, :, :, 1].astype(real)
    return restore(_sample(array, gx, gy, name, fill))
