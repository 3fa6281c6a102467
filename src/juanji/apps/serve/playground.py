"""The convolution playground: one input, one kernel, every step computed by juanji.

``convolve(settings)`` takes the page's settings (input, kernel, padding, stride, dilation and
a pooling window) and returns what the page draws:

* the per-side padding (``juanji._shapes.padding_pairs``: ints, ``'valid'``, ``'same'``,
  ``'same_lower'``, per-side pairs) and the padded input (``F.pad``);
* the output of ``F.conv2d`` and the output-size rule with the numbers filled in
  (``juanji._shapes.output_size_formula``);
* the im2col matrix (``F.unfold``) and the GEMM ``kernel_row @ columns``, reshaped, with the
  largest difference from ``conv2d``'s output (0 up to rounding: the same computation);
* pooling of the output (``F.max_pool2d`` or ``F.avg_pool2d``) with its size rule.

Bad settings raise ``RequestError`` with juanji's own message (``conv2d: ...``), which the server
turns into a 400 JSON error. Every size a request sets is bounded by what it implies before
anything is allocated: the padded input at most ``MAX_PADDED`` per side (so the output, the
im2col matrix and the GEMM are small), the dilated kernel, the stride and the pooling window
within it, numbers at most ``MAX_VALUE`` in size (the output stays finite); past a bound the
answer is a 422 naming the setting and its limit.

Example:
    >>> result = convolve({"input": "grid", "grid": [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
    ...                    "kernel": [[0, 1], [2, 3]]})
    >>> result["output"], result["gemm_matches"]
    ([[19.0, 25.0], [37.0, 43.0]], True)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

import juanji.nn.functional as F
from juanji._shapes import output_size_formula, padding_pairs, pool_output_size
from juanji.apps import filters
from juanji.apps.serve.model import ENGINE_LOCK, RequestError, rounded
from juanji.nn.functional.padding import pairs_to_flat
from juanji.tensor.creation import tensor

__all__ = ["convolve", "KERNELS", "DEFAULT_GRID", "MAX_SIDE", "MAX_KERNEL", "MAX_PADDED",
           "MAX_VALUE"]  # fmt: skip

MAX_SIDE = 64  # largest input side the playground accepts
MAX_KERNEL = 9
MAX_PADDED = 128  # largest padded side (so also dilated kernel, stride, pooling window)
MAX_VALUE = 1e6  # largest |number| in a grid or kernel: 81 products of two stay finite
MAX_COLUMNS = 64  # im2col columns sent to the page (the matrix of a big input is long)
# A bright 3x3 square on a dark 6x6 field: edges for the kernels to find.
DEFAULT_GRID = np.pad(np.full((3, 3), 9.0), ((1, 2), (2, 1))).tolist()
KERNELS = filters.list_kernels()


@lru_cache(maxsize=1)
def _sample() -> np.ndarray:
    """The packaged sample picture, grayscale, at 30 x 40 (a size whose numbers still show)."""
    from juanji.apps.viz import plot

    gray = plot.read_image(plot.sample_image_path(), gray=True)
    return plot.resize_image(gray, 30, 40).clip(0.0, 1.0).round(3)


def _grid(values: Any, what: str, limit: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise RequestError(
            f"playground: {what} must be a grid of numbers (rows of equal length)"
        ) from None
    if array.ndim != 2 or array.size == 0:
        raise RequestError(
            f"playground: {what} must be a 2-D grid of numbers, got shape {array.shape}"
        )
    if max(array.shape) > limit:
        raise RequestError(
            f"playground: {what} is {array.shape[0]}x{array.shape[1]}; at most {limit}"
        )
    if not np.isfinite(array).all():
        raise RequestError(f"playground: {what} holds a value that is not a finite number")
    if np.abs(array).max() > MAX_VALUE:
        raise RequestError(
            f"playground: {what} holds {np.abs(array).max():g}; numbers are at most "
            f"{MAX_VALUE:g} in size",
            422,
            field=what,
            limit=MAX_VALUE,
        )
    return array


def _input(settings: dict[str, Any], digits: Callable[[int], np.ndarray] | None) -> np.ndarray:
    kind = settings.get("input", "grid")
    if kind == "grid":
        return _grid(settings.get("grid", DEFAULT_GRID), "grid", MAX_SIDE)
    if kind == "sample":
        return _sample().astype(np.float64)
    if kind == "digit":
        if digits is None or not isinstance(settings.get("digit"), int):
            raise RequestError(
                "playground: input 'digit' needs the id of a drawn digit ('digit': N)"
            )
        return digits(settings["digit"]).astype(np.float64)
    raise RequestError(f"playground: input must be 'grid', 'sample' or 'digit', got {kind!r}")


def _kernel(spec: Any) -> tuple[np.ndarray, str]:
    if isinstance(spec, str):
        try:
            return filters.get_kernel(spec).numpy().astype(np.float64), filters.describe(spec)
        except ValueError as error:
            raise RequestError(str(error)) from None
    kernel = _grid(spec, "kernel", MAX_KERNEL)
    return kernel, f"your {kernel.shape[0]}x{kernel.shape[1]} kernel"


def _pair(value: Any, name: str) -> tuple[int, int]:
    values = value if isinstance(value, (list, tuple)) else [value, value]
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise RequestError(f"conv2d: {name} must be an int or 2 ints, got {value!r}")
    if min(values) < 1:
        raise RequestError(f"conv2d: {name} must be >= 1, got {value!r}")
    return int(values[0]), int(values[1])


def _within(name: str, sizes: Any, limit: int, what: str) -> None:
    """Refuse (422) sizes past ``limit``: ``what`` says what the setting makes that large."""
    if max(sizes) > limit:
        shown = " x ".join(str(n) for n in sizes)
        raise RequestError(
            f"playground: {name} makes {what} {shown}; at most {limit} per side",
            422,
            field=name,
            limit=limit,
        )


def _padding(value: Any) -> Any:
    """JSON's lists as the tuples juanji's padding rules take ([[1, 0], 2] -> ((1, 0), 2))."""
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def convolve(
    settings: dict[str, Any], digits: Callable[[int], np.ndarray] | None = None
) -> dict[str, Any]:
    """Everything the playground shows for ``settings`` (see the module docstring).

    Args:
        settings: ``input`` ('grid', 'sample' or 'digit'), ``grid`` (rows of numbers),
            ``digit`` (an analysis id), ``kernel`` (a name of ``juanji.apps.filters`` or rows
            of numbers), ``padding`` (int, string, or per-side pairs), ``stride``,
            ``dilation``, ``pool`` (``{"mode": "max"|"avg", "kernel_size": k, "stride": s}``
            or None).
        digits: looks up a drawn digit (28 x 28) by id.

    Raises:
        RequestError: settings juanji refuses, with its message.
    """
    image = _input(settings, digits)
    kernel, caption = _kernel(settings.get("kernel", "sobel-x"))
    stride = _pair(settings.get("stride", 1), "stride")
    dilation = _pair(settings.get("dilation", 1), "dilation")
    padding = _padding(settings.get("padding", 0))
    _within("stride", stride, MAX_PADDED, "a step of")
    extent = [d * (k - 1) + 1 for d, k in zip(dilation, kernel.shape, strict=True)]
    _within("dilation", extent, MAX_PADDED, "the dilated kernel")
    try:
        pairs = padding_pairs("conv2d", padding, image.shape, kernel.shape, stride, dilation)
        padded = [n + a + b for n, (a, b) in zip(image.shape, pairs, strict=True)]
        _within("padding", padded, MAX_PADDED, "the padded input")
        with ENGINE_LOCK:
            result = _compute(image, kernel, pairs, stride, dilation)
            result["pool"] = _pool(np.asarray(result["output"]), settings.get("pool"))
    except (ValueError, TypeError) as error:
        raise RequestError(str(error)) from None
    result.update(kernel_caption=caption, padding_spec=settings.get("padding", 0))
    return result


def _compute(
    image: np.ndarray,
    kernel: np.ndarray,
    pairs: tuple[tuple[int, int], ...],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> dict[str, Any]:
    x = tensor(image[None, None])  # (1, 1, H, W) float64: the numbers stay exact
    weight = tensor(kernel[None, None])  # (1, 1, kH, kW)
    padded = F.pad(x, pairs_to_flat(pairs)).numpy()[0, 0]
    output = F.conv2d(x, weight, stride=stride, padding=pairs, dilation=dilation).numpy()[0, 0]
    columns = F.unfold(x, kernel.shape, dilation=dilation, padding=pairs, stride=stride)
    columns = columns.numpy()[0]  # (kH*kW, L), column l = window l, row-major
    row = kernel.reshape(1, -1)  # (1, kH*kW)
    gemm = (row @ columns).reshape(output.shape)
    formulas = [
        output_size_formula(n, k, s, p[0], p[1], d)
        for n, k, s, p, d in zip(image.shape, kernel.shape, stride, pairs, dilation, strict=True)
    ]
    return {
        "input": rounded(image, 4),
        "kernel": rounded(kernel, 4),
        "padding": [list(p) for p in pairs],
        "stride": list(stride),
        "dilation": list(dilation),
        "padded": rounded(padded, 4),
        "output": rounded(output, 4),
        "output_shape": list(output.shape),
        "formulas": dict(zip(("H", "W"), formulas, strict=True)),
        "im2col_shape": list(columns.shape),
        "im2col": rounded(columns[:, :MAX_COLUMNS], 4),
        "kernel_row": rounded(row[0], 4),
        "gemm": rounded(gemm, 4),
        "gemm_max_difference": float(np.abs(gemm - output).max()),
        "gemm_matches": bool(np.allclose(gemm, output, rtol=1e-12, atol=1e-9)),
    }


def _pool(feature: np.ndarray, spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise RequestError(
            "playground: pool must be an object such as {'mode': 'max', ...} or null"
        )
    mode = spec.get("mode", "max")
    if mode not in ("max", "avg"):
        raise RequestError(f"playground: pool mode must be 'max' or 'avg', got {mode!r}")
    kernel = _pair(spec.get("kernel_size", 2), "pool kernel_size")
    _within("pool kernel_size", kernel, MAX_PADDED, "a window of")
    stride = _pair(spec.get("stride", kernel), "pool stride")
    _within("pool stride", stride, MAX_PADDED, "a step of")
    function = F.max_pool2d if mode == "max" else F.avg_pool2d
    name = "max_pool2d" if mode == "max" else "avg_pool2d"
    x = tensor(feature[None, None])
    for n, k in zip(feature.shape, kernel, strict=True):
        if pool_output_size(n, k, 1, 0, 0) < 1:
            raise RequestError(f"{name}: kernel {k} is larger than the {n} outputs it would pool")
    pooled = function(x, kernel, stride).numpy()[0, 0]
    formulas = [
        f"floor(({n} - {k}) / {s}) + 1 = {pool_output_size(n, k, s, 0, 0)}"
        for n, k, s in zip(feature.shape, kernel, stride, strict=True)
    ]
    return {
        "mode": mode,
        "kernel_size": list(kernel),
        "stride": list(stride),
        "output": rounded(pooled, 4),
        "formulas": dict(zip(("H", "W"), formulas, strict=True)),
    }
