"""``EMITTERS``: for each juanji Function (by class name), the ONNX nodes that compute it.

See ``_export_graph`` for the emitter signature. Decisions where ONNX leaves a choice are in
docs/onnx.md ("Export"); the ones that matter for numbers:

* pooling with ``ceil_mode``: PyTorch drops a last window that would start in the right
  padding; ONNX's formula does not, so juanji writes ``ceil_mode=0`` with the end padding that
  gives PyTorch's output size (max pooling), or refuses when an average would count it;
* resizing: ``nearest`` is ``asymmetric`` + ``floor``, ``nearest-exact`` is ``half_pixel`` +
  ``round_prefer_ceil``, linear and cubic are ``half_pixel`` (or ``align_corners``), cubic with
  ``cubic_coeff_a = -0.75``: the coordinates PyTorch computes;
* ``LRN`` with an even size is refused: ONNX centres the window one channel later than PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from juanji._shapes import pool_output_size
from juanji.onnx._export_graph import CannotExpress, Emitter, GraphBuilder


def _same(op_type: str) -> Emitter:
    def emit(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
        b.node(op_type, ins, outs)

    return emit


def _scalar(b: GraphBuilder, value: Any, event: Any) -> str:
    return b.const(np.asarray(value, dtype=event.dtype), "scalar")


def _binary(op_type: str) -> Emitter:
    def emit(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
        names = [v if isinstance(v, str) else _scalar(b, v, event) for v in ins]
        b.node(op_type, names, outs)

    return emit


def _pool_pads(b: GraphBuilder, event: Any, dilation: tuple[int, ...]) -> tuple[list[int], int]:
    """ONNX pads and ceil_mode giving PyTorch's output size (see the module docstring)."""
    p = event.params
    in_size = event.shapes_in[0][2:]
    out_size = event.shapes_out[0][2:]
    begin, end = list(p["padding"]), []
    for n, k, s, pad, d, o in zip(in_size, p["kernel_size"], p["stride"], p["padding"], dilation,
                                  out_size, strict=True):
        floor = pool_output_size(n, k, s, pad, pad, d, False)
        if floor == o:
            end.append(pad)
        else:  # ceil_mode added a window: pad the end just enough for it
            end.append(max((o - 1) * s + d * (k - 1) + 1 - n - pad, pad))
    return begin + end, 0


def _max_pool(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    if p.get("return_indices"):
        raise CannotExpress("return_indices: ONNX's indices count over the whole tensor")
    pads, ceil = _pool_pads(b, event, p["dilation"])
    b.node("MaxPool", ins[:1], outs[:1], kernel_shape=list(p["kernel_size"]),
           strides=list(p["stride"]), pads=pads, dilations=list(p["dilation"]), ceil_mode=ceil)


def _avg_pool(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    S = len(p["kernel_size"])
    pads, ceil = _pool_pads(b, event, (1,) * S)
    if p.get("divisor_override") is not None:
        if any(pads) or ceil:
            raise CannotExpress("divisor_override with padding or ceil_mode")
        mean = b.fresh("average")
        b.node("AveragePool", ins[:1], [mean], kernel_shape=list(p["kernel_size"]),
               strides=list(p["stride"]))
        ratio = math.prod(p["kernel_size"]) / p["divisor_override"]
        b.node("Mul", [mean, _scalar(b, ratio, event)], outs)
        return
    extra = any(pads[S + j] != p["padding"][j] for j in range(S))
    if extra and p.get("count_include_pad", True):
        # The window that ceil_mode adds counts only the pixels PyTorch counts: ceil_mode=1
        # matches exactly when ONNX's ceil formula gives the same size.
        pads, ceil = list(p["padding"]) * 2, 1
        onnx_out = [math.ceil((n + 2 * q - k) / s) + 1 for n, q, k, s in zip(
            event.shapes_in[0][2:], p["padding"], p["kernel_size"], p["stride"], strict=True)]
        if onnx_out != list(event.shapes_out[0][2:]):
            raise CannotExpress("ceil_mode with count_include_pad where a last window starts in "
                                "the padding (PyTorch drops it, ONNX keeps it)")
    b.node("AveragePool", ins[:1], outs, kernel_shape=list(p["kernel_size"]),
           strides=list(p["stride"]), pads=pads, ceil_mode=ceil,
           count_include_pad=int(bool(p.get("count_include_pad", True))))


def _adaptive(kind: str) -> Emitter:
    def emit(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
        in_size, out_size = event.shapes_in[0][2:], tuple(event.inputs[1])
        if all(o == 1 for o in out_size):
            b.node("GlobalAveragePool" if kind == "avg" else "GlobalMaxPool", ins[:1], outs[:1])
            return
        if any(o == 0 or n % o for n, o in zip(in_size, out_size, strict=True)):
            raise CannotExpress(
                f"output_size {out_size} does not divide the input size {tuple(in_size)}, so the "
                "bins differ in size (a fixed ONNX pooling window cannot make them)"
            )
        kernel = [n // o for n, o in zip(in_size, out_size, strict=True)]
        op_type = "AveragePool" if kind == "avg" else "MaxPool"
        b.node(op_type, ins[:1], outs[:1], kernel_shape=kernel, strides=kernel)

    return emit


def _conv(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    pads = [pair[0] for pair in p["padding"]] + [pair[1] for pair in p["padding"]]
    b.node("Conv", ins[:3], outs, kernel_shape=list(event.shapes_in[1][2:]),
           strides=list(p["stride"]), pads=pads, dilations=list(p["dilation"]),
           group=int(p["groups"]))


def _conv_transpose(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    layer = event.op
    if layer.padding_mode != "zeros":
        raise CannotExpress(f"padding_mode={layer.padding_mode!r}")
    S = len(layer.kernel_size)
    in_size, out_size = event.shapes_in[0][2:], event.shapes_out[0][2:]
    extra = [o - ((n - 1) * s - 2 * q + d * (k - 1) + 1) for n, o, s, q, d, k in zip(
        in_size, out_size, layer.stride, layer.padding, layer.dilation, layer.kernel_size,
        strict=True)]
    b.node("ConvTranspose", ins[:3], outs, kernel_shape=list(layer.kernel_size),
           strides=list(layer.stride), pads=list(layer.padding) * 2,
           dilations=list(layer.dilation), group=int(layer.groups),
           output_padding=extra if any(extra) else [0] * S)


def _normalize(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    """Batch norm (eval), instance, layer and group norm: juanji's one fused Function."""
    p, fn = event.params, event.op
    shape = tuple(event.shapes_in[0])
    rank, stat, axes = len(shape), tuple(p["stat_shape"]), tuple(p["axes"])
    channels = shape[1] if rank > 1 else 1
    dtype = event.dtype
    if stat == shape and not fn.use_batch_stats and axes in ((0, *range(2, rank)),
                                                             tuple(range(2, rank))):
        # batch norm in eval, or instance norm with running statistics: the same formula
        scale = ins[1] if ins[1] is not None else b.const(np.ones(channels, dtype), "ones")
        bias = ins[2] if ins[2] is not None else b.const(np.zeros(channels, dtype), "zeros")
        mean = b.array_input(p["mean"], "running_mean")
        var = b.array_input(p["var"], "running_var")
        b.node("BatchNormalization", [ins[0], scale, bias, mean, var], outs, epsilon=p["eps"])
    elif stat == shape and axes == (0, *range(2, rank)):
        raise CannotExpress("batch norm with batch statistics (training mode)")
    elif stat == shape and axes == tuple(range(2, rank)) and tuple(p["affine_shape"]) == (
        1, channels, *(1,) * (rank - 2)
    ):
        _instance_norm(b, event, ins, outs, ins[0], channels)
    elif stat == shape and axes == tuple(range(rank - len(axes), rank)) and axes[0] > 0:
        _layer_norm(b, event, ins, outs, shape[axes[0]:])
    elif len(stat) == 3 and axes == (2,) and stat[0] == shape[0]:
        _group_norm(b, event, ins, outs, stat[1])
    else:
        raise CannotExpress(f"a normalisation over axes {axes} of {stat}")


def _layer_norm(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str],
                normalized: tuple[int, ...]) -> None:
    if b.opset < 17:
        raise CannotExpress("layer norm needs opset 17 (LayerNormalization)")
    dtype = event.dtype
    scale = ins[1] if ins[1] is not None else b.const(np.ones(normalized, dtype), "ones")
    inputs = [ins[0], scale] + ([ins[2]] if ins[2] is not None else [])
    b.node("LayerNormalization", inputs, outs, axis=-len(normalized),
           epsilon=event.params["eps"])


def _instance_norm(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str], x: str,
                   channels: int) -> None:
    dtype = event.dtype
    scale = ins[1] if ins[1] is not None else b.const(np.ones(channels, dtype), "ones")
    bias = ins[2] if ins[2] is not None else b.const(np.zeros(channels, dtype), "zeros")
    b.node("InstanceNormalization", [x, scale, bias], outs, epsilon=event.params["eps"])


def _group_norm(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str], groups: int) -> None:
    """Instance norm of the input seen as (N, G, -1), then the per-channel affine."""
    shape, dtype = tuple(event.shapes_in[0]), event.dtype
    grouped, normed = b.fresh("grouped"), b.fresh("normed")
    lead = 0 if b.dynamic else shape[0]
    b.node("Reshape", [ins[0], b.ints([lead, groups, -1])], [grouped])
    b.node("InstanceNormalization", [grouped, b.const(np.ones(groups, dtype), "ones"),
                                     b.const(np.zeros(groups, dtype), "zeros")], [normed],
           epsilon=event.params["eps"])
    weight, bias = ins[1], ins[2]
    affine = (1, -1) + (1,) * (len(shape) - 2)
    steps = [("Reshape", [normed, b.ints([lead, *shape[1:]])])]
    if weight is not None:
        column = b.fresh("scale")
        b.node("Reshape", [weight, b.ints(affine)], [column])
        steps.append(("Mul", [column]))
    if bias is not None:
        column = b.fresh("shift")
        b.node("Reshape", [bias, b.ints(affine)], [column])
        steps.append(("Add", [column]))
    current = None
    for index, (op_type, args) in enumerate(steps):
        target = outs[0] if index == len(steps) - 1 else b.fresh("group_norm")
        b.node(op_type, args if current is None else [current, *args], [target])
        current = target


def _linear(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    x, weight = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    if len(event.shapes_in[0]) == 2:
        b.node("Gemm", [x, weight, bias], outs, transB=1)
        return
    transposed = b.fresh("weight_t")
    b.node("Transpose", [weight], [transposed], perm=[1, 0])
    if bias is None:
        b.node("MatMul", [x, transposed], outs)
        return
    product = b.fresh("matmul")
    b.node("MatMul", [x, transposed], [product])
    b.node("Add", [product, bias], outs)


def _batch_first(b: GraphBuilder, event: Any, shape: list[int], keep: int) -> list[int]:
    """``shape`` with the batch axis made free (``keep``: 0 for Reshape, 1 for Expand)."""
    same = event.shapes_in[0][:1] == (b.batch,) and shape[:1] == [b.batch]
    if b.dynamic and same:
        return [keep, *shape[1:]]
    return shape


def _reshape(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    shape = _batch_first(b, event, list(event.shapes_out[0]), 0)
    b.node("Reshape", [ins[0], b.ints(shape)], outs)


def _expand(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    shape = _batch_first(b, event, list(event.shapes_out[0]), 1)
    b.node("Expand", [ins[0], b.ints(shape)], outs)


def _permute(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    b.node("Transpose", ins[:1], outs, perm=list(event.params["dims"]))


def _cat(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    b.node("Concat", ins, outs, axis=int(event.params.get("dim", 0)))


def _index(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    """Basic indexing (slices, ints, None, ...): one Slice, then a Reshape to the result."""
    index = event.inputs[1]
    parts = list(index) if isinstance(index, tuple) else [index]
    shape = event.shapes_in[0]
    arrays = [i for i, p in enumerate(parts) if isinstance(p, np.ndarray)]
    if len(arrays) == 1 and parts[arrays[0]].dtype.kind in "iu" and all(
        p == slice(None) for p in parts[: arrays[0]]
    ) and all(isinstance(p, slice) and p == slice(None) for p in parts[arrays[0] + 1 :]):
        axis = arrays[0]  # x[:, ..., indices]: a Gather
        where = np.where(parts[axis] < 0, parts[axis] + shape[axis], parts[axis])
        b.node("Gather", [ins[0], b.const(where.astype(np.int64), "indices")], outs, axis=axis)
        return
    if not all(p is None or p is Ellipsis or isinstance(p, (slice, int)) for p in parts):
        raise CannotExpress("indexing by tensors or lists (only slices, ints and None)")
    if any(p is Ellipsis for p in parts):
        at = next(i for i, p in enumerate(parts) if p is Ellipsis)
        named = sum(p is not None for p in parts) - 1
        parts[at : at + 1] = [slice(None)] * (len(shape) - named)
    starts, ends, axes, steps = [], [], [], []
    axis = 0
    for part in parts:
        if part is None:
            continue
        span = slice(part, part + 1 if part != -1 else None) if isinstance(part, int) else part
        start, stop, step = span.indices(shape[axis])
        if (start, stop, step) != (0, shape[axis], 1):
            starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
        axis += 1
    sliced = ins[0]
    if axes:
        sliced = b.fresh("slice")
        b.node("Slice", [ins[0], b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps)],
               [sliced])
    b.node("Reshape", [sliced, b.ints(_batch_first(b, event, list(event.shapes_out[0]), 0))],
           outs)


def _pad(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    rank = len(event.shapes_in[0])
    pairs = [(0, 0)] * (rank - len(p["pads"])) + [tuple(q) for q in p["pads"]]
    flat = [q[0] for q in pairs] + [q[1] for q in pairs]
    modes = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}
    mode = modes[p.get("mode", "constant")]
    if mode == "wrap" and b.opset < 19:
        raise CannotExpress("circular padding needs opset 19 (Pad mode 'wrap')")
    inputs = [ins[0], b.ints(flat, "pads")]
    if mode == "constant":
        inputs.append(_scalar(b, p.get("value", 0), event))
    b.node("Pad", inputs, outs, mode=mode)


def _leaky_relu(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    b.node("LeakyRelu", ins[:1], outs, alpha=float(event.params.get("negative_slope", 0.01)))


def _softmax(op_type: str) -> Emitter:
    def emit(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
        b.node(op_type, ins[:1], outs, axis=int(event.params["dim"]))

    return emit


def _clip(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str], low: Any, high: Any,
          ) -> None:
    bounds = [None if v is None else _scalar(b, v, event) for v in (low, high)]
    b.node("Clip", [ins[0], *bounds], outs)


def _hardtanh(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    _clip(b, event, ins, outs, event.params["min_val"], event.params["max_val"])


def _clamp(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    low, high = p.get("min"), p.get("max")
    if any(v is not None and not isinstance(v, (int, float)) for v in (low, high)):
        raise CannotExpress("clamp to tensor bounds")
    _clip(b, event, ins, outs, low, high)


def _elu(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    if p["scale"] == 1.0 and p["input_scale"] == 1.0:
        b.node("Elu", ins[:1], outs, alpha=float(p["alpha"]))
    elif p["input_scale"] == 1.0:
        b.node("Selu", ins[:1], outs, alpha=float(p["alpha"]), gamma=float(p["scale"]))
    elif b.opset >= 12 and p["scale"] == 1.0:
        b.node("Celu", ins[:1], outs, alpha=float(p["alpha"]))
    else:
        raise CannotExpress("ELU with both scale and input_scale")


def _silu(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    gate = b.fresh("sigmoid")
    b.node("Sigmoid", ins[:1], [gate])
    b.node("Mul", [ins[0], gate], outs)


def _gelu(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    approximate = "tanh" if event.params.get("approximate", 0) else "none"  # juanji: 0 or 1
    if b.opset >= 20:
        b.node("Gelu", ins[:1], outs, approximate=approximate)
        return
    if approximate != "none":
        raise CannotExpress("GELU approximate='tanh' before opset 20")
    scaled, erf, plus, half = (b.fresh(n) for n in ("scaled", "erf", "plus", "half"))
    b.node("Mul", [ins[0], _scalar(b, 1 / math.sqrt(2), event)], [scaled])
    b.node("Erf", [scaled], [erf])
    b.node("Add", [erf, _scalar(b, 1.0, event)], [plus])
    b.node("Mul", [ins[0], _scalar(b, 0.5, event)], [half])
    b.node("Mul", [half, plus], outs)


def _softplus(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    if float(event.params.get("beta", 1.0)) != 1.0:
        raise CannotExpress("Softplus with beta other than 1")
    b.node("Softplus", ins[:1], outs)  # threshold (20) changes nothing in float32


def _mish(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    soft, tanh = b.fresh("softplus"), b.fresh("tanh")
    b.node("Softplus", ins[:1], [soft])
    b.node("Tanh", [soft], [tanh])
    b.node("Mul", [ins[0], tanh], outs)


def _hardsigmoid(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    b.node("HardSigmoid", ins[:1], outs, alpha=1 / 6, beta=0.5)


def _prelu(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    rank, channels = len(event.shapes_in[0]), int(np.prod(event.shapes_in[1]))
    shape = [channels] + [1] * (rank - 2) if channels > 1 else [1]
    slope = b.fresh("slope")
    b.node("Reshape", [ins[1], b.ints(shape)], [slope])
    b.node("PRelu", [ins[0], slope], outs)


def _reduce(op_type: str) -> Emitter:
    def emit(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
        p = event.params
        rank = len(event.shapes_in[0])
        dim = p.get("dim")
        axes = list(range(rank)) if dim is None else [int(d) for d in dim]
        keep = int(bool(p.get("keepdim", False)))
        if op_type == "ReduceSum" or b.opset >= 18:
            b.node(op_type, [ins[0], b.ints(axes, "axes")], outs, keepdims=keep)
        else:
            b.node(op_type, ins[:1], outs, axes=axes, keepdims=keep)

    return emit


def _resample(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    mode, align = p["mode"], bool(p.get("align_corners"))
    attrs: dict[str, Any] = {}
    if mode == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}
    elif mode == "nearest-exact":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                 "nearest_mode": "round_prefer_ceil"}
    elif mode in ("linear", "bilinear", "trilinear", "bicubic"):
        attrs = {"mode": "cubic" if mode == "bicubic" else "linear",
                 "coordinate_transformation_mode": "align_corners" if align else "half_pixel"}
        if mode == "bicubic":
            attrs["cubic_coeff_a"] = -0.75
    else:
        raise CannotExpress(f"interpolate mode {mode!r}")
    in_size, out_size = event.shapes_in[0][2:], list(p["out_size"])
    scales = p.get("scales") or (None,) * len(out_size)
    if all(s is not None for s in scales) and not align:
        given = [1.0, 1.0] + [float(s) for s in scales]
        b.node("Resize", [ins[0], "", b.const(np.asarray(given, np.float32), "scales")], outs,
               **attrs)
        return
    if b.opset < 18:
        ratios = [1.0, 1.0] + [o / n for n, o in zip(in_size, out_size, strict=True)]
        b.node("Resize", [ins[0], "", b.const(np.asarray(ratios, np.float32), "scales")], outs,
               **attrs)
        return
    axes = list(range(2, 2 + len(out_size)))
    b.node("Resize", [ins[0], "", "", b.ints(out_size, "sizes")], outs, axes=axes, **attrs)


def _lrn(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    p = event.params
    if p["size"] % 2 == 0:
        raise CannotExpress("an even size (ONNX centres the window one channel later)")
    b.node("LRN", ins[:1], outs, size=int(p["size"]), alpha=float(p["alpha"]),
           beta=float(p["beta"]), bias=float(p["k"]))


def _cast(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    from juanji.onnx._export_graph import _onnx

    to = _onnx().helper.np_dtype_to_tensor_dtype(np.dtype(event.params["dtype"]))
    b.node("Cast", ins[:1], outs, to=int(to))


def _identity(b: GraphBuilder, event: Any, ins: list[Any], outs: list[str]) -> None:
    b.node("Identity", ins[:1], outs)


EMITTERS: dict[str, Emitter] = {
    "ConvNd": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPoolNd": _max_pool,
    "AvgPoolNd": _avg_pool,
    "AdaptiveAvgPoolNd": _adaptive("avg"),
    "AdaptiveMaxPoolNd": _adaptive("max"),
    "Normalize": _normalize,
    "Linear": _linear,
    "MatMul": _same("MatMul"),
    "ReLU": _same("Relu"),
    "Sigmoid": _same("Sigmoid"),
    "Tanh": _same("Tanh"),
    "LeakyReLU": _leaky_relu,
    "Hardtanh": _hardtanh,
    "ELU": _elu,
    "SiLU": _silu,
    "GELU": _gelu,
    "Softplus": _softplus,
    "Softsign": _same("Softsign"),
    "Mish": _mish,
    "Hardswish": _same("HardSwish"),
    "Hardsigmoid": _hardsigmoid,
    "PReLU": _prelu,
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Add": _binary("Add"),
    "Sub": _binary("Sub"),
    "Mul": _binary("Mul"),
    "Div": _binary("Div"),
    "Pow": _binary("Pow"),
    "Maximum": _binary("Max"),
    "Minimum": _binary("Min"),
    "Neg": _same("Neg"),
    "Exp": _same("Exp"),
    "Log": _same("Log"),
    "Sqrt": _same("Sqrt"),
    "Abs": _same("Abs"),
    "Clamp": _clamp,
    "Reshape": _reshape,
    "Expand": _expand,
    "Permute": _permute,
    "Contiguous": _identity,
    "Cat": _cat,
    "Index": _index,
    "Pad": _pad,
    "Sum": _reduce("ReduceSum"),
    "Mean": _reduce("ReduceMean"),
    "Resample": _resample,
    "LocalResponseNorm": _lrn,
    "Cast": _cast,
}
