"""Fractional max pooling (Graham, 2014): windows at pseudo-random, overlapping-free strides.

Along a spatial dim of ``n`` input and ``o`` output pixels with window ``k``, output ``i`` pools
the window starting at ``int((i + u) * a) - int(u * a)`` with ``a = (n - k) / (o - 1)`` (the
last window ends at the input's end), for one ``u`` in [0, 1) per sample, channel and dim:
PyTorch's rule, computed in the input's dtype as PyTorch does, so that given the same
``_random_samples`` (``(N, C, d)``: ``(u_W, u_H)`` in 2-D, ``(u_D, u_H, u_W)`` in 3-D) the windows,
values and indices are PyTorch's. Without them the samples are drawn from juanji's default
generator. Indices are flat within each plane (``h * W + w``), the first maximum of a window.
"""

from __future__ import annotations

import math
from typing import Any

from juanji.backend import xp_of
from juanji.nn.functional._checks import check_float, check_tensor, int_tuple
from juanji.tensor.creation import rand
from juanji.tensor.tensor import Tensor

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]


def _starts(xp: Any, sample: Any, n: int, o: int, k: int) -> Any:
    """Window starts ``(..., o)`` for samples ``(...)``, in the samples' dtype."""
    starts = xp.zeros((*sample.shape, o), dtype=xp.int64)
    if o > 1:
        alpha = sample.dtype.type(n - k) / sample.dtype.type(o - 1)
        i = xp.arange(o - 1, dtype=sample.dtype)
        scaled = ((i + sample[..., None]) * alpha).astype(xp.int64)
        starts[..., :-1] = scaled - (sample * alpha).astype(xp.int64)[..., None]
    starts[..., -1] = n - k
    return starts


def _output_size(fn: str, d: int, spatial: tuple[int, ...], output_size: Any, ratio: Any) -> Any:
    if output_size is None and ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratios = (ratio,) * d if isinstance(ratio, (int, float)) else tuple(ratio)
        return tuple(int(n * r) for n, r in zip(spatial, ratios, strict=True))
    return int_tuple(fn, "output_size", output_size, d)


def _window_index(
    xp: Any, u: Any, spatial: list[int], out: tuple[int, ...], kernel: tuple[int, ...]
) -> list[Any]:
    """Index arrays that broadcast to ``(N, C, *out, *kernel)``: every window's pixels."""
    N, C, d = u.shape
    # PyTorch's sample order: (W, H) in 2-D but (D, H, W) in 3-D
    order = [1, 0] if d == 2 else [0, 1, 2]
    index = [xp.arange(N).reshape(N, 1, *(1,) * 2 * d), xp.arange(C).reshape(1, C, *(1,) * 2 * d)]
    for i, (n, o, k) in enumerate(zip(spatial, out, kernel, strict=True)):
        tap = _starts(xp, u[..., order[i]], n, o, k)[..., None] + xp.arange(k)  # (N, C, o, k)
        shape = [N, C] + [1] * 2 * d
        shape[2 + i], shape[2 + d + i] = o, k
        index.append(tap.reshape(shape))
    return index


def _fractional_max_pool(
    fn: str,
    d: int,
    input: Tensor,
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    samples: Tensor | None,
) -> tuple[Tensor, Tensor]:
    check_tensor(fn, "input", input)
    check_float(fn, "input", input)
    if input.ndim not in (d + 1, d + 2):
        raise ValueError(f"{fn}: input must be {d + 1}-D or {d + 2}-D, got shape {input.shape}")
    batched = input if input.ndim == d + 2 else input.unsqueeze(0)
    N, C, *spatial = batched.shape
    kernel = int_tuple(fn, "kernel_size", kernel_size, d)
    out = _output_size(fn, d, tuple(spatial), output_size, output_ratio)
    names = ("depth", "height", "width")[3 - d :]
    for name, n, o, k in zip(names, spatial, out, kernel, strict=True):
        if o + k - 1 > n:
            raise ValueError(
                f"{fn}(): pool {name} {k} too large relative to input {name} {n} "
                f"(output {name} {o})"
            )
    if samples is None:
        samples = rand(N, C, d, dtype=input.dtype)
    xp = xp_of(batched._data)
    index = _window_index(xp, samples._data.astype(batched._data.dtype), spatial, out, kernel)
    windows = batched[tuple(index)].reshape(N, C, *out, -1)  # (N, C, *out, prod(k))
    first = xp.argmax(windows._data, axis=-1)[..., None]  # the first maximum, as PyTorch
    flat = xp.zeros(first.shape[:-1], dtype=xp.int64)
    for i in range(d):  # the plane index h * W + w of each maximum
        position = xp.broadcast_to(index[2 + i], (N, C, *out, *kernel)).reshape(N, C, *out, -1)
        flat += xp.take_along_axis(position, first, axis=-1)[..., 0] * math.prod(spatial[i + 1 :])
    values = windows.amax(-1)
    if input.ndim == d + 1:
        return values.squeeze(0), Tensor(flat[0])
    return values, Tensor(flat)


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """2-D fractional max pooling of ``(N, C, H, W)`` or ``(C, H, W)``; see the module docstring.

    Args:
        input: the images.
        kernel_size: the window (an int or a pair).
        output_size: the output's ``(H_out, W_out)``; or give ``output_ratio``.
        output_ratio: the output size as a fraction of the input's, in (0, 1).
        return_indices: also return the flat index of each maximum.
        _random_samples: ``(N, C, 2)`` samples in [0, 1) (for reproducing a run).

    Raises:
        ValueError: neither ``output_size`` nor ``output_ratio``, or a window too large.

    Example:
        >>> import juanji
        >>> fractional_max_pool2d(juanji.zeros(1, 1, 10, 10), 3, output_ratio=0.5).shape
        (1, 1, 5, 5)
    """
    values, indices = _fractional_max_pool(
        "fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, _random_samples
    )
    return (values, indices) if return_indices else values


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """3-D fractional max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see the 2-D one.

    Example:
        >>> import juanji
        >>> fractional_max_pool3d(juanji.zeros(1, 1, 6, 6, 6), 2, output_size=3).shape
        (1, 1, 3, 3, 3)
    """
    values, indices = _fractional_max_pool(
        "fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, _random_samples
    )
    return (values, indices) if return_indices else values


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool2d`` returning ``(output, indices)``."""
    return fractional_max_pool2d(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool3d`` returning ``(output, indices)``."""
    return fractional_max_pool3d(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
