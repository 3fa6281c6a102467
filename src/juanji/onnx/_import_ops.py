"""ONNX ops as juanji ops, for ``OnnxModule`` (import); ``OPS`` maps an op type to its runner.

A runner is ``run(opset, inputs, attrs) -> list of outputs``: ``inputs`` are Tensors (None for
an omitted optional input), ``attrs`` the node's attributes as Python values, ``opset`` the
model's default-domain opset, which decides where arguments live when ONNX moved them from an
attribute to an input (Reshape's shape in 5, Pad's pads and Clip's bounds in 11, Squeeze,
Unsqueeze, Split and ReduceSum's axes in 13, Dropout's ratio in 12, Resize's scales/sizes).

Float maths go through juanji's differentiable ops, so a loaded graph trains. Shape arithmetic
(Shape, Gather on a shape, Concat of ints...) runs on the integer tensors directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from juanji._ops import movement
from juanji._ops.activation import erf
from juanji.autograd.function import Function
from juanji.backend import xp_of
from juanji.nn import functional as F
from juanji.onnx import _import_ops_nn
from juanji.onnx._import_ops_nn import NodeError, created
from juanji.tensor import functions as T
from juanji.tensor.tensor import Tensor

Runner = Callable[[int, list[Any], dict[str, Any]], list[Any]]

__all__ = ["OPS", "NodeError"]


def _array(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _axis(axis: int, ndim: int) -> int:
    return axis + ndim if axis < 0 else axis


def _unary(method: Callable[[Tensor], Tensor]) -> Runner:
    return lambda opset, inputs, attrs: [method(inputs[0])]


def _binary(method: Callable[[Any, Any], Any]) -> Runner:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        a, b = inputs
        if attrs.get("broadcast", 0) and "axis" in attrs:  # opset < 7: b aligned at axis
            trailing = a.ndim - _axis(attrs["axis"], a.ndim) - b.ndim
            b = _reshape_any(b, tuple(b.shape) + (1,) * trailing)
        if a.dtype.is_floating_point or b.dtype.is_floating_point:
            return [method(a, b)]
        return [Tensor(np.asarray(method(_array(a), _array(b))).astype(_array(a).dtype))]

    return run


def _int_div(a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) and a.dtype.kind in "iu":
        return np.trunc(a / b).astype(a.dtype)
    return a / b


def _variadic(method: Callable[[Any, Any], Any], mean: bool = False) -> Runner:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        out = inputs[0]
        for other in inputs[1:]:
            out = method(out, other)
        return [out / len(inputs) if mean else out]

    return run


class _Erf(Function):
    """The error function; its derivative is ``2 / sqrt(pi) * exp(-x^2)``."""

    def forward(self, x: Any) -> Any:
        if self.requires_grad:
            self.save_for_backward(x)
        return erf(x).astype(x.dtype, copy=False)

    def backward(self, grad_output: Any) -> Any:
        (x,) = self.saved_tensors
        slope = x.dtype.type(2 / np.sqrt(np.pi)) * xp_of(x).exp(-x * x)
        return grad_output * slope


def _erf(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [Tensor._apply(_Erf, inputs[0])]


def _gelu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [F.gelu(inputs[0], approximate=attrs.get("approximate", "none"))]


def _celu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [F.celu(inputs[0], attrs.get("alpha", 1.0))]


def _leaky_relu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [F.leaky_relu(inputs[0], attrs.get("alpha", 0.01))]


def _elu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [F.elu(inputs[0], attrs.get("alpha", 1.0))]


def _selu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    alpha = attrs.get("alpha", 1.67326319217681884765625)
    gamma = attrs.get("gamma", 1.05070102214813232421875)
    x = inputs[0]
    positive = F.relu(x)
    return [gamma * (positive + alpha * (T.exp(x - positive) - 1.0))]


def _hard_sigmoid(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    return [(x * attrs.get("alpha", 0.2) + attrs.get("beta", 0.5)).clamp(0.0, 1.0)]


def _prelu(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, slope = inputs
    if opset < 7 and slope.ndim == 1 and x.ndim > 2:  # then a slope per channel (axis 1)
        slope = slope.reshape((-1,) + (1,) * (x.ndim - 2))
    positive = F.relu(x)
    return [positive + slope * (x - positive)]


def _clip(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    if opset < 11:
        low, high = attrs.get("min"), attrs.get("max")
    else:
        bounds = [*inputs[1:], None, None][:2]
        low, high = (None if b is None else _array(b).item() for b in bounds)
    if low is None and high is None:
        return [x]
    return [x.clamp(low, high)]


def _softmax(log: bool) -> Runner:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = inputs[0]
        fn = F.log_softmax if log else F.softmax
        if opset >= 13:
            return [fn(x, dim=attrs.get("axis", -1))]
        # Before opset 13 the input is seen as a 2-D (prod(shape[:axis]), rest) matrix.
        axis = _axis(attrs.get("axis", 1), x.ndim)
        rows = int(np.prod(x.shape[:axis], dtype=np.int64))
        return [fn(x.reshape(rows, -1), dim=1).reshape(tuple(x.shape))]

    return run


def _flatten(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    axis = _axis(attrs.get("axis", 1), x.ndim)
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    return [x.reshape(rows, int(np.prod(x.shape[axis:], dtype=np.int64)))]


def _reshape(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    shape = list(attrs["shape"]) if opset < 5 else [int(v) for v in _array(inputs[1])]
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return [_reshape_any(x, tuple(shape))]


def _reshape_any(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if x.dtype.is_floating_point:
        return x.reshape(shape)
    return Tensor(_array(x).reshape(shape))


def _transpose(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    perm = tuple(attrs.get("perm", reversed(range(x.ndim))))
    return [x.permute(perm) if x.dtype.is_floating_point else Tensor(_array(x).transpose(perm))]


def _axes(opset: int, inputs: list[Any], attrs: dict[str, Any], since: int) -> Any:
    """The ``axes`` of Squeeze/Unsqueeze/Reduce*: an attribute before ``since``, then input 1."""
    if opset < since:
        return attrs.get("axes")
    if len(inputs) > 1 and inputs[1] is not None:
        return [int(v) for v in _array(inputs[1]).reshape(-1)]
    return None


def _squeeze(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    axes = _axes(opset, inputs, attrs, 13)
    if axes is None:
        axes = [i for i, n in enumerate(x.shape) if n == 1]
    axes = {_axis(a, x.ndim) for a in axes}
    shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return [_reshape_any(x, shape)]


def _unsqueeze(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    axes = _axes(opset, inputs, attrs, 13)
    rank = x.ndim + len(axes)
    shape, dims = [], iter(x.shape)
    positions = {_axis(a, rank) for a in axes}
    for i in range(rank):
        shape.append(1 if i in positions else next(dims))
    return [_reshape_any(x, tuple(shape))]


def _concat(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    present = [t for t in inputs if t is not None]
    axis = attrs.get("axis", 1)  # opset < 4 defaulted to 1
    if all(t.dtype.is_floating_point for t in present):
        return [T.cat(present, dim=axis)]
    return [Tensor(np.concatenate([_array(t) for t in present], axis=axis))]


def _split(opset: int, inputs: list[Any], attrs: dict[str, Any], outputs: int) -> list[Any]:
    x = inputs[0]
    axis = _axis(attrs.get("axis", 0), x.ndim)
    if opset < 13:
        sizes = attrs.get("split")
    else:
        sizes = None if len(inputs) < 2 or inputs[1] is None else list(_array(inputs[1]))
    if sizes is None:
        total = x.shape[axis]
        count = attrs.get("num_outputs", outputs)
        chunk = -(-total // count)
        sizes = [min(chunk, total - i * chunk) for i in range(count)]
    return list(x.split([int(s) for s in sizes], dim=axis))


def _dropout(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    training = opset >= 12 and len(inputs) > 2 and inputs[2] is not None
    if training and bool(_array(inputs[2]).item()):
        ratio = 0.5 if len(inputs) < 2 or inputs[1] is None else float(_array(inputs[1]))
        if ratio != 0.0:
            raise NodeError(
                "Dropout with training_mode=True draws a random mask; juanji runs imported "
                "graphs in inference mode"
            )
    return [x, Tensor(np.ones(tuple(x.shape), dtype=bool))]


def _constant(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):
        if key in attrs:
            return [Tensor(np.asarray(attrs[key], dtype=dtype))]
    if "value" not in attrs:
        raise NodeError("Constant without a value, value_float(s) or value_int(s)")
    return [Tensor(np.array(attrs["value"]))]


def _shape(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    shape = np.asarray(inputs[0].shape, dtype=np.int64)
    start, end = attrs.get("start", 0), attrs.get("end")
    return [Tensor(shape[start:end])]


def _gather(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, indices = inputs
    axis = _axis(attrs.get("axis", 0), x.ndim)
    index = _array(indices).astype(np.int64)
    index = np.where(index < 0, index + x.shape[axis], index)
    if not x.dtype.is_floating_point:
        return [Tensor(np.take(_array(x), index, axis=axis))]
    key = (slice(None),) * axis + (index,)
    return [Tensor._apply(movement.Index, x, key)]


def _cast(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    from juanji.onnx import _require

    dtype = _require("onnx").helper.tensor_dtype_to_np_dtype(attrs["to"])
    x = inputs[0]
    if dtype.kind == "f" and x.dtype.is_floating_point:
        return [x.to(_dtype_of(dtype))]
    return [Tensor(_array(x).astype(dtype))]


def _dtype_of(np_dtype: Any) -> Any:
    from juanji import _dtype

    return _dtype.from_numpy_dtype(np.dtype(np_dtype))


def _constant_of_shape(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    value = attrs.get("value", np.zeros(1, dtype=np.float32))
    shape = created(_array(inputs[0]).reshape(-1), "ConstantOfShape")
    return [Tensor(np.full(shape, value.reshape(-1)[0], dtype=value.dtype))]


def _slice(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x = inputs[0]
    if opset < 10:
        starts, ends = attrs["starts"], attrs["ends"]
        axes, steps = attrs.get("axes"), None
    else:
        starts, ends = list(_array(inputs[1])), list(_array(inputs[2]))
        axes = None if len(inputs) < 4 or inputs[3] is None else list(_array(inputs[3]))
        steps = None if len(inputs) < 5 or inputs[4] is None else list(_array(inputs[4]))
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    key = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        n = x.shape[_axis(int(axis), x.ndim)]
        start, end = int(max(min(start, 2**62), -(2**62))), int(max(min(end, 2**62), -(2**62)))
        key[_axis(int(axis), x.ndim)] = slice(*slice(start, end, int(step)).indices(n))
    if not x.dtype.is_floating_point:
        return [Tensor(_array(x)[tuple(key)])]
    return [Tensor._apply(movement.Index, x, tuple(key))]


def _reduce(kind: str) -> Runner:
    def run(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = inputs[0]
        since = 13 if kind == "sum" else 18
        axes = _axes(opset, inputs, attrs, since)
        keep = bool(attrs.get("keepdims", 1))
        if axes is None or len(axes) == 0:
            if attrs.get("noop_with_empty_axes", 0) and axes is not None:
                return [x]
            axes = list(range(x.ndim))
        dims = tuple(sorted(_axis(a, x.ndim) for a in axes))
        if kind == "max":
            return [x.amax(dim=dims, keepdim=keep)]
        return [getattr(x, kind)(dim=dims, keepdim=keep)]

    return run


def _tile(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    x, repeats = inputs
    repeats = [int(r) for r in _array(repeats).reshape(-1)]
    if len(repeats) == x.ndim:
        created([n * r for n, r in zip(x.shape, repeats, strict=True)], "Tile")
    return [x.repeat(*repeats)]


def _identity(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [inputs[0]]


def _matmul(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [inputs[0] @ inputs[1]]


def _gemm(opset: int, inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    a, b = inputs[0], inputs[1]
    c = inputs[2] if len(inputs) > 2 else None
    if attrs.get("transA", 0):
        a = a.t()
    if attrs.get("transB", 0):
        b = b.t()
    out = a @ b
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    if alpha != 1.0:
        out = out * alpha
    if c is not None:
        out = out + (c if beta == 1.0 else c * beta)
    return [out]


OPS: dict[str, Runner] = {
    "Abs": _unary(T.abs),
    "Add": _binary(lambda a, b: a + b),
    "Sub": _binary(lambda a, b: a - b),
    "Mul": _binary(lambda a, b: a * b),
    "Div": _binary(_int_div),
    "Pow": _binary(lambda a, b: a**b),
    "Neg": _unary(lambda x: -x),
    "Exp": _unary(T.exp),
    "Log": _unary(T.log),
    "Sqrt": _unary(T.sqrt),
    "Reciprocal": _unary(lambda x: 1.0 / x),
    "Relu": _unary(F.relu),
    "Sigmoid": _unary(F.sigmoid),
    "Tanh": _unary(F.tanh),
    "Softplus": _unary(F.softplus),
    "Softsign": _unary(F.softsign),
    "LeakyRelu": _leaky_relu,
    "Erf": _erf,
    "Gelu": _gelu,
    "Celu": _celu,
    "HardSwish": _unary(F.hardswish),
    "Elu": _elu,
    "Selu": _selu,
    "HardSigmoid": _hard_sigmoid,
    "PRelu": _prelu,
    "Clip": _clip,
    "Softmax": _softmax(log=False),
    "LogSoftmax": _softmax(log=True),
    "Sum": _variadic(lambda a, b: a + b),
    "Mean": _variadic(lambda a, b: a + b, mean=True),
    "Max": _variadic(T.maximum),
    "Min": _variadic(T.minimum),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Concat": _concat,
    "Dropout": _dropout,
    "Identity": _identity,
    "Tile": _tile,
    "Constant": _constant,
    "ConstantOfShape": _constant_of_shape,
    "Shape": _shape,
    "Gather": _gather,
    "Cast": _cast,
    "Slice": _slice,
    "ReduceMean": _reduce("mean"),
    "ReduceSum": _reduce("sum"),
    "ReduceMax": _reduce("max"),
    "MatMul": _matmul,
    "Gemm": _gemm,
    **_import_ops_nn.OPS,
}
# Split needs the number of outputs the node asks for; OnnxModule passes it in attrs.
OPS["Split"] = lambda opset, inputs, attrs: _split(opset, inputs, attrs, attrs["_outputs"])
