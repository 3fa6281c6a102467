"""Resizing images: ``interpolate`` (nearest, linear, cubic, area) and ``pixel_shuffle``.

``interpolate`` resizes the S = ``input.ndim - 2`` spatial dims of an ``(N, C, *spatial)``
input, either to ``size`` or by ``scale_factor`` (output size ``floor(n * scale_factor)``).

* ``'nearest'``: copy the pixel at ``floor(i * scale)`` (PyTorch's rule, which shifts the image
  by up to a pixel when downsampling); ``'nearest-exact'``: the pixel at
  ``floor((i + 0.5) * scale)``, the one whose centre is nearest (as Pillow and scikit-image).
* ``'linear'`` (3-D input), ``'bilinear'`` (4-D), ``'trilinear'`` (5-D): weighted mean of the
  two nearest pixels along each dim; ``'bicubic'`` (4-D): of the four nearest, with Keys'
  cubic weights (A = -0.75; may overshoot the input range, as in PyTorch).
* ``'area'``: adaptive average pooling to the output size.

``align_corners`` (interpolating modes only): True maps the centres of the corner pixels onto
each other (``src = i * (n - 1) / (o - 1)``); False (default) the corner edges
(``src = (i + 0.5) * scale - 0.5``). ``scale`` is ``1 / scale_factor`` when a scale factor is
given, else ``n / o``; ``recompute_scale_factor=True`` uses ``n / o`` even then. The exact
source-index rules are in ``juanji._ops.interpolate``.

``pixel_shuffle(x, r)`` moves channels into space: ``(N, C*r*r, H, W) -> (N, C, H*r, W*r)``,
``y[n, c, h*r + i, w*r + j] = x[n, c*r*r + i*r + j, h, w]``; ``pixel_unshuffle`` inverts it.
"""

from __future__ import annotations

import math
from typing import Any

from juanji._ops.interpolate import Resample
from juanji.nn.functional._checks import _is_int, check_choice, check_float, check_tensor
from juanji.tensor.tensor import Tensor

__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_ALIGNING = ("linear", "bilinear", "bicubic", "trilinear")


def _per_dim(fn: str, name: str, value: Any, S: int, in_size: tuple[int, ...]) -> tuple:
    """``value`` (a number or S numbers) as an S-tuple; a wrong length names both shapes."""
    if isinstance(value, (tuple, list)):
        if len(value) != S:
            raise ValueError(
                f"{fn}: {name} must have one entry per spatial dimension ({S}, input spatial "
                f"size {in_size}), got {tuple(value)}"
            )
        return tuple(value)
    return (value,) * S


def _output_geometry(
    fn: str, input: Tensor, size: Any, scale_factor: Any, recompute: Any
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The output size and the scale each kernel uses (None: derive it from the sizes)."""
    S = input.ndim - 2
    in_size = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        which = "only one" if size is not None else "either"
        raise ValueError(f"{fn}: {which} of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError(
                f"{fn}: recompute_scale_factor is not meaningful with an explicit size"
            )
        sizes = _per_dim(fn, "size", size, S, in_size)
        if not all(_is_int(v) and v >= 1 for v in sizes):
            raise ValueError(f"{fn}: size must be positive ints, got {size!r}")
        return tuple(int(v) for v in sizes), (None,) * S
    factors = _per_dim(fn, "scale_factor", scale_factor, S, in_size)
    if not all(isinstance(f, (int, float)) and not isinstance(f, bool) for f in factors):
        raise TypeError(f"{fn}: scale_factor must be a number or {S} numbers, got {scale_factor!r}")
    if not all(f > 0 and math.isfinite(f) for f in factors):
        raise ValueError(f"{fn}: scale_factor must be positive and finite, got {scale_factor!r}")
    out = tuple(math.floor(n * float(f)) for n, f in zip(in_size, factors, strict=True))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{fn}: scale_factor {scale_factor!r} shrinks input size {in_size} to {out}; every "
            f"output size must be >= 1"
        )
    scales = (None,) * S if recompute else tuple(float(f) for f in factors)
    return out, scales


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``input`` (see the module docstring for the modes).

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``, floating point.
        size: output spatial size, an int or one int per spatial dim.
        scale_factor: multiplier of the spatial size, a number or one per spatial dim.
        mode: ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'bicubic'``, ``'trilinear'`` or ``'area'``.
        align_corners: for the interpolating modes; None means False.
        recompute_scale_factor: with scale_factor, compute the kernel's scale from the sizes.
        antialias: only False (PyTorch's antialiased downsampling is not implemented).

    Returns:
        ``(N, C, *size)``, same dtype.

    Raises:
        TypeError, ValueError: for a non-float input, both or neither of size/scale_factor, a
            wrong number of entries, an unknown mode, a mode that does not fit the rank, or
            align_corners with a non-interpolating mode.

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> F.interpolate(x, scale_factor=2)[0, 0].tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
        >>> F.interpolate(x, size=3, mode="bilinear", align_corners=True)[0, 0].tolist()
        [[1.0, 1.5, 2.0], [2.0, 2.5, 3.0], [3.0, 3.5, 4.0]]
    """
    fn = "interpolate"
    check_tensor(fn, "input", input)
    check_float(fn, "input", input)
    check_choice(fn, "mode", mode, _MODES)
    if input.ndim not in (3, 4, 5):
        raise ValueError(
            f"{fn}: input must be 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got "
            f"{input.ndim}-D shape {input.shape}"
        )
    S = input.ndim - 2
    if mode in _RANK and _RANK[mode] != S:
        raise ValueError(
            f"{fn}: mode {mode!r} needs a {_RANK[mode] + 2}-D input, got {input.ndim}-D shape "
            f"{input.shape}"
        )
    if align_corners is not None and mode not in _ALIGNING:
        raise ValueError(
            f"{fn}: align_corners can only be set with the interpolating modes "
            f"(linear, bilinear, bicubic, trilinear), got mode {mode!r}"
        )
    if antialias:
        raise NotImplementedError(f"{fn}: antialias=True is not implemented in juanji")
    out, scales = _output_geometry(fn, input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        from juanji.nn.functional import pooling  # noqa: PLC0415 - a sibling, loaded on use

        return getattr(pooling, f"adaptive_avg_pool{S}d")(input, out)
    return Tensor._apply(
        Resample, input, mode=mode, out_size=out, scales=scales, align_corners=bool(align_corners)
    )


def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """PyTorch's older name for ``interpolate`` (same arguments, no recompute/antialias).

    Example:
        >>> import juanji
        >>> upsample(juanji.ones(1, 1, 2), scale_factor=3).shape
        (1, 1, 6)
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's older ``interpolate(input, size, scale_factor, mode='nearest')``.

    Example:
        >>> import juanji
        >>> upsample_nearest(juanji.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's older ``interpolate(..., mode='bilinear', align_corners=True)``.

    Example:
        >>> import juanji
        >>> upsample_bilinear(juanji.tensor([[[[0.0, 2.0]]]]), size=(1, 3)).tolist()
        [[[[0.0, 1.0, 2.0]]]]
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _check_factor(fn: str, name: str, value: Any) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{fn}: {name} must be >= 1, got {value}")
    return int(value)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange ``(*, C*r*r, H, W)`` into ``(*, C, H*r, W*r)`` (sub-pixel convolution's step).

    Args:
        input: at least 3-D, channels third from last, divisible by ``r*r``.
        upscale_factor: ``r``, an int >= 1.

    Returns:
        ``(*, C, H*r, W*r)``; ``y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]``.

    Raises:
        TypeError, ValueError: for a non-tensor, a rank below 3, a bad factor or channels not
            divisible by ``r*r``.

    Example:
        >>> import juanji
        >>> pixel_shuffle(juanji.arange(4.0).reshape(4, 1, 1), 2).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    fn = "pixel_shuffle"
    check_tensor(fn, "input", input)
    r = _check_factor(fn, "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must be at least 3-D (*, C, H, W), got shape {input.shape}")
    *lead, C, H, W = input.shape
    if C % (r * r):
        raise ValueError(
            f"{fn}: input channels ({C}) must be divisible by upscale_factor**2 ({r * r})"
        )
    k = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)  # (*, C, i, j, H, W)
    order = list(range(k + 1)) + [k + 3, k + 1, k + 4, k + 2]  # (*, C, H, i, W, j)
    return x.permute(*order).reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange ``(*, C, H*r, W*r)`` into ``(*, C*r*r, H, W)``, the inverse of pixel_shuffle.

    Example:
        >>> import juanji
        >>> pixel_unshuffle(juanji.arange(4.0).reshape(1, 2, 2), 2).flatten().tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    fn = "pixel_unshuffle"
    check_tensor(fn, "input", input)
    r = _check_factor(fn, "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{fn}: input must be at least 3-D (*, C, H, W), got shape {input.shape}")
    *lead, C, H, W = input.shape
    if H % r or W % r:
        raise ValueError(
            f"{fn}: height ({H}) and width ({W}) must be divisible by downscale_factor ({r})"
        )
    k = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)  # (*, C, H, i, W, j)
    order = list(range(k + 1)) + [k + 2, k + 4, k + 1, k + 3]  # (*, C, i, j, H, W)
    return x.permute(*order).reshape(*lead, C * r * r, H // r, W // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet): ``(N, C, *) -> (N, C, *)``.

    Channel ``g * (C / groups) + i`` moves to ``i * groups + g``: the input viewed as
    ``(N, groups, C / groups, *)`` with its two channel axes swapped.

    Raises:
        ValueError: ``groups <= 0``, channels that ``groups`` does not divide, or input with
            fewer than 3 dimensions.

    Example:
        >>> import juanji
        >>> channel_shuffle(juanji.arange(4.0).reshape(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    check_tensor("channel_shuffle", "input", input)
    if not _is_int(groups) or groups <= 0:
        raise ValueError(
            "channel_shuffle: Number of groups to divide channels in must be positive. Value of "
            f"groups:{groups}"
        )
    if input.ndim < 3:
        raise ValueError(
            "channel_shuffle: channel_shuffle expects input with > 2 dims, but got input with "
            f"sizes {list(input.shape)}"
        )
    n, c, *spatial = input.shape
    if c % groups:
        raise ValueError(
            f"channel_shuffle: Number of channels must be divisible by groups. Got {c} channels "
            f"and {groups} groups."
        )
    shuffled = input.reshape(n, groups, c // groups, *spatial).transpose(1, 2)
    return shuffled.reshape(n, c, *spatial)
