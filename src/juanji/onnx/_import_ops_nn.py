"""ONNX's convolution, pooling, normalisation, padding and resizing ops as juanji ops (import).

The conv and pool runners call juanji's Functions directly with per-side padding pairs, which
is what ONNX's ``pads`` are (begin values for every spatial axis, then end values), and
resolve ``auto_pad`` the way ONNX defines it::

    SAME_UPPER, SAME_LOWER: out = ceil(in / stride),
        total = max((out - 1) * stride + dilation * (k - 1) + 1 - in, 0)
        SAME_UPPER puts the odd pixel at the end (total // 2 before), SAME_LOWER at the start
    VALID: no padding

Pooling windows with unequal padding on the two sides of an axis (which juanji's pooling
kernels do not take) pad the input first: with -inf for max, and for an average that excludes
the padding, as the ratio of two window sums (the values' and a mask of ones).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from juanji._ops.conv import ConvNd
from juanji._ops.interpolate import Resample
from juanji._ops.movement import Index
from juanji._ops.pad import Pad
from juanji._ops.pool import AvgPoolNd, MaxPoolNd
from juanji.nn import functional as F
from juanji.tensor.tensor import Tensor

Pairs = tuple[tuple[int, int], ...]


class NodeError(ValueError):
    """A node whose attributes ask for something juanji's ops cannot compute."""


#: The most elements a node may create from sizes the graph stores or computes (ConstantOfShape,
#: Tile, Pad, Resize): 2**28, 1 GiB of float32. A file's numbers never size an array unchecked.
MAX_CREATED = 2**28


def created(shape: Any, op: str) -> tuple[int, ...]:
    """``shape`` as ints, once it is non-negative and within ``MAX_CREATED`` elements."""
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape) or math.prod(shape) > MAX_CREATED:
        raise NodeError(f"{op} would create a tensor of shape {shape}; juanji creates at most "
                        f"{MAX_CREATED:,} elements from sizes a graph holds")
    return shape


def ints(value: Any, n: int, default: int) -> tuple[int, ...]:
    """An ONNX list attribute as a tuple of n ints (``default`` when absent)."""
    if value is None:
        return (default,) * n
    return tuple(int(v) for v in value)


def _array(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def window_pads(
    attrs: dict[str, Any], in_size: tuple[int, ...], kernel: tuple[int, ...],
    stride: tuple[int, ...], dilation: tuple[int, ...],
) -> Pairs:
    """Per-side padding pairs from ``auto_pad`` and ``pads``."""
    S = len(kernel)
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pairs = []
        for n, k, s, d in zip(in_size, kernel, stride, dilation, strict=True):
            out = -(-n // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
            small = total // 2
            pairs.append((small, total - small) if auto == "SAME_UPPER" else (total - small, small))
        return tuple(pairs)
    if auto == "VALID":
        return ((0, 0),) * S
    pads = ints(attrs.get("pads"), 2 * S, 0)
    return tuple((pads[i], pads[i + S]) for i in range(S))


def _geometry(x: Tensor, attrs: dict[str, Any], kernel: tuple[int, ...]) -> Any:
    S = len(kernel)
    stride = ints(attrs.get("strides"), S, 1)
    dilation = ints(attrs.get("dilations"), S, 1)
    pairs = window_pads(attrs, tuple(x.shape[2:]), kernel, stride, dilation)
    return stride, dilation, pairs


def _conv(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, weight = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    kernel = tuple(weight.shape[2:])
    stride, dilation, pairs = _geometry(x, attrs, kernel)
    out = Tensor._apply(
        ConvNd, x, weight, bias, stride=stride, padding=pairs, dilation=dilation,
        groups=int(attrs.get("group", 1)),
    )
    return [out]


def _transposed_pads(
    attrs: dict[str, Any], in_size: tuple[int, ...], kernel: tuple[int, ...],
    stride: tuple[int, ...], dilation: tuple[int, ...], extra: tuple[int, ...],
) -> Pairs:
    """What to crop from each side of the full transposed output (ONNX's rules)."""
    S = len(kernel)
    auto = attrs.get("auto_pad", "NOTSET")
    wanted = attrs.get("output_shape")
    if wanted is None and auto in ("SAME_UPPER", "SAME_LOWER"):
        wanted = [n * s for n, s in zip(in_size, stride, strict=True)]
    if wanted is None:
        pads = ints(attrs.get("pads"), 2 * S, 0)
        return tuple((pads[i], pads[i + S]) for i in range(S))
    wanted = list(wanted)[-S:]
    pairs = []
    for n, k, s, d, e, o in zip(in_size, kernel, stride, dilation, extra, wanted, strict=True):
        total = s * (n - 1) + e + (k - 1) * d + 1 - int(o)
        half = total // 2
        pairs.append((half, total - half) if auto == "SAME_UPPER" else (total - half, half))
    return tuple(pairs)


def _conv_transpose(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, weight = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    S = x.ndim - 2
    if S not in (1, 2, 3):
        raise NodeError(f"ConvTranspose over {S} spatial axes (juanji has 1, 2 and 3)")
    kernel = tuple(weight.shape[2:])
    stride, dilation = ints(attrs.get("strides"), S, 1), ints(attrs.get("dilations"), S, 1)
    extra = ints(attrs.get("output_padding"), S, 0)
    pairs = _transposed_pads(attrs, tuple(x.shape[2:]), kernel, stride, dilation, extra)
    transpose = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[S - 1]
    y = transpose(x, weight, None, stride=stride, dilation=dilation,
                  groups=int(attrs.get("group", 1)))
    # y is the full output; crop the pads and add output_padding's extra pixels at the end.
    crop = tuple((-b, e - a) for (b, a), e in zip(pairs, extra, strict=True))
    if any(b or a for b, a in crop):
        y = Tensor._apply(Pad, y, pads=crop, mode="constant", value=0)
    if bias is not None:
        y = y + bias.reshape((1, -1) + (1,) * S)
    return [y]


def _symmetric(pairs: Pairs, kernel: tuple[int, ...]) -> bool:
    return all(b == a and b <= k // 2 for (b, a), k in zip(pairs, kernel, strict=True))


def _max_pool(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    kernel = tuple(attrs["kernel_shape"])
    stride, dilation, pairs = _geometry(x, attrs, kernel)
    in_size = tuple(x.shape[2:])
    if _symmetric(pairs, kernel):
        padding = tuple(b for b, _ in pairs)
    else:
        x = Tensor._apply(Pad, x, pads=pairs, mode="constant", value=-math.inf)
        padding = (0,) * len(kernel)
    want = attrs.get("_outputs", 1) > 1
    y = Tensor._apply(MaxPoolNd, x, kernel_size=kernel, stride=stride, padding=padding,
                      dilation=dilation, ceil_mode=bool(attrs.get("ceil_mode", 0)),
                      return_indices=want)
    if not want:
        return [y]
    y, where = y
    return [y, Tensor(_onnx_indices(_array(where), tuple(x.shape[2:]), in_size, pairs,
                                    padding, int(attrs.get("storage_order", 0))))]


def _onnx_indices(
    where: np.ndarray, pooled: tuple[int, ...], in_size: tuple[int, ...], pairs: Pairs,
    padding: tuple[int, ...], storage_order: int,
) -> np.ndarray:
    """ONNX's flat indices into the whole input from juanji's flat indices per (N, C) plane.

    juanji counts within the (possibly pre-padded) plane it pooled; ONNX counts over the whole
    unpadded tensor, row-major (``storage_order=1``: column-major within the plane).
    """
    coords = np.unravel_index(where.astype(np.int64), pooled)
    if not any(padding):
        coords = tuple(c - b for c, (b, _) in zip(coords, pairs, strict=True))
    order = "F" if storage_order else "C"
    inside = np.ravel_multi_index(coords, in_size, order=order)
    planes = np.arange(int(np.prod(where.shape[:2]))).reshape(where.shape[:2])
    planes = planes.reshape(where.shape[:2] + (1,) * len(in_size))
    return (planes * int(np.prod(in_size)) + inside).astype(np.int64)


def _avg_pool(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    kernel = tuple(attrs["kernel_shape"])
    stride, dilation, pairs = _geometry(x, attrs, kernel)
    ceil = bool(attrs.get("ceil_mode", 0))
    include = bool(attrs.get("count_include_pad", 0))
    if any(d != 1 for d in dilation):
        return [_dilated_average(x, kernel, stride, dilation, pairs, ceil, include)]
    args = {"kernel_size": kernel, "stride": stride, "ceil_mode": ceil}
    if _symmetric(pairs, kernel):
        padding = tuple(b for b, _ in pairs)
        return [Tensor._apply(AvgPoolNd, x, padding=padding, count_include_pad=include, **args)]
    zero = (0,) * len(kernel)
    padded = Tensor._apply(Pad, x, pads=pairs, mode="constant", value=0)
    total = Tensor._apply(AvgPoolNd, padded, padding=zero, count_include_pad=True, **args)
    if include:
        return [total]
    ones = Tensor(np.ones((1, 1) + tuple(x.shape[2:]), dtype=_array(x).dtype))
    mask = Tensor._apply(Pad, ones, pads=pairs, mode="constant", value=0)
    share = Tensor._apply(AvgPoolNd, mask, padding=zero, count_include_pad=True, **args)
    return [total / share]


def _dilated_average(
    x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
    pairs: Pairs, ceil: bool, include: bool,
) -> Tensor:
    """Average pooling with dilation, which juanji's pooling lacks, as two convolutions.

    The window sums are a depthwise convolution with a kernel of ones; the divisor, the number
    of taps that count, the same convolution of a mask. ``ceil_mode`` windows hanging past the
    padded input read zeros there that never count.
    """
    full = []
    for n, k, s, d, (b, a) in zip(x.shape[2:], kernel, stride, dilation, pairs, strict=True):
        span = n + b + a - d * (k - 1) - 1
        out = (-(-span // s) if ceil else span // s) + 1
        if ceil and (out - 1) * s >= n + b:  # the last window must start inside the input
            out -= 1
        full.append((b, max((out - 1) * s + d * (k - 1) + 1 - n - b, a)))
    extra = tuple(full)
    dtype = _array(x).dtype
    channels = x.shape[1]
    ones = Tensor(np.ones((channels, 1) + kernel, dtype=dtype))
    padded = Tensor._apply(Pad, x, pads=extra, mode="constant", value=0)
    conv = {"stride": stride, "padding": ((0, 0),) * len(kernel), "dilation": dilation}
    total = Tensor._apply(ConvNd, padded, ones, None, groups=channels, **conv)
    mask = np.zeros((1, 1) + tuple(n + b + a for n, (b, a) in zip(x.shape[2:], extra,
                                                                   strict=True)), dtype=dtype)
    counted = pairs if include else ((0, 0),) * len(kernel)
    inner = tuple(slice(b - c, b + n + d) for n, (b, _), (c, d) in zip(
        x.shape[2:], extra, counted, strict=True))
    mask[(0, 0) + inner] = 1
    count = Tensor._apply(ConvNd, Tensor(mask), Tensor(np.ones((1, 1) + kernel, dtype=dtype)),
                          None, groups=1, **conv)
    return total / count


def _global(kind: str) -> Callable[[int, list[Any], dict[str, Any]], list[Any]]:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = inputs[0]
        dims = tuple(range(2, x.ndim))
        if kind == "mean":
            return [x.mean(dim=dims, keepdim=True)]
        return [x.amax(dim=dims, keepdim=True)]

    return run


def _batch_norm(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, scale, bias, mean, var = inputs[:5]
    eps = float(attrs.get("epsilon", 1e-5))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    training = attrs.get("training_mode", 0) or (opset >= 14 and attrs.get("_outputs", 1) > 1)
    outputs = []
    if training:  # batch statistics, and the updated running ones as extra outputs
        axes = (0,) + tuple(range(2, x.ndim))
        momentum = float(attrs.get("momentum", 0.9))
        batch_mean = x.mean(dim=axes)
        batch_var = ((x - batch_mean.reshape(shape)) ** 2).mean(dim=axes)
        outputs = [mean * momentum + batch_mean * (1 - momentum),
                   var * momentum + batch_var * (1 - momentum)]
        mean, var = batch_mean, batch_var
    out = (x - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()
    return [out * scale.reshape(shape) + bias.reshape(shape), *outputs]


def _instance_norm(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, scale, bias = inputs
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = F.instance_norm(x, eps=float(attrs.get("epsilon", 1e-5)))
    return [out * scale.reshape(shape) + bias.reshape(shape)]


def _layer_norm(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, scale = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    axis = attrs.get("axis", -1) % x.ndim
    eps = float(attrs.get("epsilon", 1e-5))
    out = F.layer_norm(x, tuple(x.shape[axis:]), eps=eps) * scale
    out = out if bias is None else out + bias
    if attrs.get("_outputs", 1) == 1:
        return [out]
    dims = tuple(range(axis, x.ndim))  # the optional Mean and InvStdDev outputs
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    return [out, mean, 1.0 / (var + eps).sqrt()]


def _lrn(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    size = int(attrs["size"])
    alpha, beta, k = attrs.get("alpha", 1e-4), attrs.get("beta", 0.75), attrs.get("bias", 1.0)
    if size % 2 == 1:  # the window is centred: juanji's and ONNX's agree
        return [F.local_response_norm(x, size, alpha, beta, k)]
    # Even sizes: ONNX's window is c - (size - 1) // 2 .. c + size // 2.
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    square = x * x
    padded = Tensor._apply(Pad, square, pads=((before, after),) + ((0, 0),) * (x.ndim - 2))
    channels = x.shape[1]
    total = None
    for j in range(size):
        key = (slice(None), slice(j, j + channels))
        part = Tensor._apply(Index, padded, key)
        total = part if total is None else total + part
    return [x / (k + (alpha / size) * total) ** beta]


def _pad(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    if opset < 11:
        pads, value = list(attrs["pads"]), float(attrs.get("value", 0.0))
        axes = list(range(x.ndim))
    else:
        pads = [int(v) for v in _array(inputs[1])]
        value = 0.0 if len(inputs) < 3 or inputs[2] is None else _array(inputs[2]).item()
        has_axes = len(inputs) > 3 and inputs[3] is not None
        axes = [int(a) % x.ndim for a in _array(inputs[3])] if has_axes else list(range(x.ndim))
    half = len(axes)
    per_axis = {a: (pads[i], pads[i + half]) for i, a in enumerate(axes)}
    pairs = tuple(per_axis.get(a, (0, 0)) for a in range(x.ndim))
    created([n + b + a for n, (b, a) in zip(x.shape, pairs, strict=True)], "Pad")
    mode = attrs.get("mode", "constant")
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
             "wrap": "circular"}
    if mode not in modes:
        raise NodeError(f"Pad mode {mode!r}")
    if mode == "constant":
        return [Tensor._apply(Pad, x, pads=pairs, mode="constant", value=value)]
    if any(b < 0 or a < 0 for b, a in pairs):
        raise NodeError(f"negative pads with mode {mode!r}")
    return [Tensor._apply(Pad, x, pads=pairs, mode=modes[mode])]


def _resize_target(
    opset: int, op: str, x: Tensor, inputs: list[Any], attrs: dict[str, Any]
) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """Output spatial size, and the scales when given as scales."""
    S = x.ndim - 2
    if op == "Upsample" and opset < 9:
        scales = [float(v) for v in attrs["scales"]]
    elif op == "Upsample" or opset < 11:
        scales = [float(v) for v in _array(inputs[1])]
    else:
        sizes = inputs[3] if len(inputs) > 3 else None
        scale_input = inputs[2] if len(inputs) > 2 else None
        axes = [a % x.ndim for a in attrs.get("axes") or range(x.ndim)]
        if sizes is not None and _array(sizes).size:
            full = list(x.shape)
            for axis, size in zip(axes, _array(sizes), strict=True):
                full[axis] = int(size)
            if full[:2] != list(x.shape[:2]):
                raise NodeError("Resize of the batch or channel axis")
            return tuple(full[2:]), None
        scales = [1.0] * x.ndim
        for axis, scale in zip(axes, _array(scale_input), strict=True):
            scales[axis] = float(scale)
    if len(scales) != x.ndim or scales[:2] != [1.0, 1.0]:
        raise NodeError("Resize of the batch or channel axis (scales must start 1, 1)")
    out = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales[2:], strict=True))
    return out, tuple(scales[2:]) if S else None


def _nearest_index(n: int, o: int, scale: float, attrs: dict[str, Any]) -> np.ndarray:
    mode = attrs.get("coordinate_transformation_mode", "half_pixel")
    i = np.arange(o, dtype=np.float64)
    if mode == "asymmetric":
        src = i / scale
    elif mode == "align_corners":
        src = i * (n - 1) / (o - 1) if o > 1 else np.zeros(o)
    elif mode in ("half_pixel", "pytorch_half_pixel"):
        src = (i + 0.5) / scale - 0.5
        if mode == "pytorch_half_pixel" and o == 1:
            src = np.zeros(o)
    elif mode == "tf_half_pixel_for_nn":
        src = (i + 0.5) / scale
    else:
        raise NodeError(f"Resize coordinate_transformation_mode {mode!r} with nearest")
    rounding = attrs.get("nearest_mode", "round_prefer_floor")
    if rounding == "floor":
        index = np.floor(src)
    elif rounding == "ceil":
        index = np.ceil(src)
    elif rounding == "round_prefer_ceil":
        index = np.floor(src + 0.5)
    else:
        index = np.ceil(src - 0.5)
    return np.clip(index, 0, n - 1).astype(np.int64)


def _resize(op: str) -> Callable[[int, list[Any], dict[str, Any]], list[Any]]:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = inputs[0]
        for name in ("antialias", "keep_aspect_ratio_policy", "exclude_outside"):
            if attrs.get(name, 0) not in (0, "stretch"):
                raise NodeError(f"Resize with {name}={attrs[name]!r}")
        out, scales = _resize_target(opset, op, x, inputs, attrs)
        created(tuple(x.shape[:2]) + tuple(out), op)
        mode = attrs.get("mode", "nearest")
        if op == "Upsample" or opset < 11:  # Upsample and Resize-10 were 'asymmetric'
            attrs = {**attrs, "coordinate_transformation_mode": "asymmetric",
                     "nearest_mode": "floor"}
        if mode == "nearest":
            for j, (n, o) in enumerate(zip(x.shape[2:], out, strict=True)):
                scale = scales[j] if scales is not None else o / n
                key = (slice(None),) * (2 + j) + (_nearest_index(n, o, scale, attrs),)
                x = Tensor._apply(Index, x, key)
            return [x]
        return [_interpolating(x, mode, out, scales, attrs)]

    return run


def _interpolating(
    x: Tensor, mode: str, out: tuple[int, ...], scales: Any, attrs: dict[str, Any]
) -> Tensor:
    coordinates = attrs.get("coordinate_transformation_mode", "half_pixel")
    if coordinates not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        raise NodeError(f"Resize {mode} with coordinate_transformation_mode {coordinates!r}")
    if mode == "cubic" and attrs.get("cubic_coeff_a", -0.75) != -0.75:
        raise NodeError("Resize cubic with cubic_coeff_a other than -0.75 (PyTorch's)")
    if coordinates == "pytorch_half_pixel" and any(o == 1 for o in out):
        # ONNX names this after an older PyTorch; PyTorch (and juanji) use half_pixel there.
        raise NodeError("Resize pytorch_half_pixel to one pixel (then ONNX reads pixel 0)")
    juanji_mode = {"linear": "linear", "cubic": "bicubic"}.get(mode)
    if juanji_mode is None or (mode == "cubic" and len(out) != 2):
        raise NodeError(f"Resize mode {mode!r} over {len(out)} axes")
    align = coordinates == "align_corners"
    return Tensor._apply(Resample, x, mode=juanji_mode, out_size=out,
                         scales=(None,) * len(out) if align or scales is None else scales,
                         align_corners=align)


OPS = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _max_pool,
    "AveragePool": _avg_pool,
    "GlobalAveragePool": _global("mean"),
    "GlobalMaxPool": _global("max"),
    "BatchNormalization": _batch_norm,
    "InstanceNormalization": _instance_norm,
    "LayerNormalization": _layer_norm,
    "LRN": _lrn,
    "Pad": _pad,
    "Resize": _resize("Resize"),
    "Upsample": _resize("Upsample"),
}
