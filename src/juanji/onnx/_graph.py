"""``OnnxModule``: an ONNX graph run node by node with juanji ops (``juanji.onnx.load``).

The graph is kept as a list of nodes (op type, input names, output names, attributes as Python
values). ``forward`` walks it once per call with a dict from value names to Tensors, so
autograd records every op and the module trains like any other. Initialisers become
Parameters (``trainable=True``) or buffers; integer initialisers (shapes, indices) are kept as
constants. Names are the ONNX names with characters a Module attribute cannot hold replaced.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from juanji.errors import JuanjiError
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter
from juanji.onnx import _import_ops
from juanji.tensor.tensor import Tensor

#: The oldest opset of the default domain that ``load`` reads.
MIN_OPSET = 6


class OnnxImportError(JuanjiError, ValueError):
    """An ONNX file juanji cannot run: unsupported ops, opset or structure."""


@dataclass(frozen=True)
class Node:
    """One ONNX node, its attributes decoded to Python values."""

    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any]
    name: str


def _onnx() -> Any:
    from juanji.onnx import _require

    return _require("onnx")


def tensor_array(proto: Any, what: str) -> np.ndarray:
    """The array of a ``TensorProto`` once its dims and its data agree (nothing allocated first).

    Raises:
        OnnxImportError: a negative dimension, data held elsewhere (external data the loader did
            not read), or a byte or element count other than the dims imply.
    """
    onnx = _onnx()
    kind, dims = onnx.TensorProto, list(proto.dims)
    if any(d < 0 for d in dims):
        raise OnnxImportError(f"juanji.onnx.load: {what} has a negative dimension in {dims}")
    if proto.data_location == kind.EXTERNAL:
        raise OnnxImportError(
            f"juanji.onnx.load: {what} keeps its data in an external file, which is read only "
            "when the model is loaded from its path (next to that file)"
        )
    count = math.prod(dims)
    try:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(proto.data_type)
        field = onnx.helper.tensor_dtype_to_field(proto.data_type)
    except (KeyError, TypeError, ValueError) as error:
        raise OnnxImportError(f"juanji.onnx.load: {what} has no known data type "
                              f"({proto.data_type})") from error
    packed = proto.data_type in {getattr(kind, n, -1) for n in ("INT4", "UINT4", "FLOAT4E2M1")}
    if proto.HasField("raw_data"):
        unit, expected = "bytes", (count + 1) // 2 if packed else count * dtype.itemsize
        held = len(proto.raw_data)
    else:
        values = getattr(proto, field)
        unit, held = "values", len(values)
        expected = count * (2 if dtype.kind == "c" else 1)
        if packed:
            expected = (count + 1) // 2
    if held != expected:
        raise OnnxImportError(
            f"juanji.onnx.load: {what} declares dims {dims} ({count} elements, {expected} "
            f"{unit}) but holds {held} {unit}; the file is damaged"
        )
    return onnx.numpy_helper.to_array(proto)


def _attribute(attr: Any) -> Any:
    onnx = _onnx()
    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, onnx.TensorProto):
        return tensor_array(value, f"attribute {attr.name!r}")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode() for v in value]
    if isinstance(value, onnx.GraphProto):
        return value
    return value


def read_model(source: Any) -> Any:
    """A ``ModelProto`` from a path, bytes or a ``ModelProto``."""
    onnx = _onnx()
    if isinstance(source, onnx.ModelProto):
        return source
    if isinstance(source, (bytes, bytearray)):
        try:
            return onnx.load_from_string(bytes(source))
        except Exception as error:  # noqa: BLE001 - protobuf's DecodeError and friends
            raise OnnxImportError(
                f"juanji.onnx.load: the {len(source)} bytes given are not an ONNX model ({error})"
            ) from error
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise OnnxImportError(f"juanji.onnx.load: no such file {path!r}")
        try:
            return onnx.load(path)
        except Exception as error:  # protobuf's DecodeError and friends
            raise OnnxImportError(
                f"juanji.onnx.load: {path!r} is not a readable ONNX file ({error})"
            ) from error
    raise TypeError(
        "juanji.onnx.load: path_or_model_proto must be a path, bytes or an onnx.ModelProto, "
        f"got {type(source).__name__}"
    )


def default_opset(model: Any) -> int:
    """The model's opset of the default (``ai.onnx``) domain."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise OnnxImportError("juanji.onnx.load: the model imports no opset of the ai.onnx domain")


def _safe_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name) or "value"
    if base[0].isdigit():
        base = "v_" + base
    candidate, index = base, 1
    while candidate in taken:
        candidate, index = f"{base}_{index}", index + 1
    taken.add(candidate)
    return candidate


def _check_supported(nodes: list[Node], opset: int, domains: list[str]) -> None:
    if opset < MIN_OPSET:
        raise OnnxImportError(
            f"juanji.onnx.load: opset {opset} is older than the oldest juanji reads "
            f"({MIN_OPSET}); convert it with onnx.version_converter first"
        )
    default = ("", "ai.onnx")
    missing = sorted({n.op_type for n, d in zip(nodes, domains, strict=True)
                      if d in default and n.op_type not in _import_ops.OPS})
    foreign = sorted({f"{d}.{n.op_type}" for n, d in zip(nodes, domains, strict=True)
                      if d not in default})
    if missing or foreign:
        parts = []
        if missing:
            parts.append(f"unsupported ops: {', '.join(missing)}")
        if foreign:
            parts.append(f"ops of other domains: {', '.join(foreign)}")
        raise OnnxImportError(
            f"juanji.onnx.load: the graph cannot run in juanji ({'; '.join(parts)}); "
            "docs/onnx.md lists the ops juanji reads"
        )


def _declared_shape(value: Any) -> tuple[Any, ...]:
    """A graph input's declared dims: ints, symbolic names, or None where unknown."""
    dims = tuple(d.dim_value if d.HasField("dim_value") else d.dim_param or None
                 for d in value.type.tensor_type.shape.dim)
    if any(isinstance(d, int) and d < 0 for d in dims):
        raise OnnxImportError(
            f"juanji.onnx.load: input {value.name!r} declares a negative dimension in {dims}"
        )
    return dims


def build_module(source: Any, trainable: bool) -> OnnxModule:
    """``juanji.onnx.load``: the module, or one ``OnnxImportError`` for whatever is wrong."""
    model = read_model(source)
    try:
        return OnnxModule(model, trainable=trainable)
    except (JuanjiError, MemoryError):  # MemoryError: no size is trusted, so none is expected
        raise
    except Exception as error:  # noqa: BLE001 - whatever else a malformed graph provokes
        raise OnnxImportError(
            f"juanji.onnx.load: the model is malformed ({type(error).__name__}: "
            f"{str(error)[:200]})"
        ) from error


class OnnxModule(Module):
    """A juanji Module that runs an ONNX graph; made by ``juanji.onnx.load``.

    ``forward`` takes the graph's inputs (those that are not initialisers) positionally, in
    graph order, as Tensors or arrays, and returns one Tensor per graph output (a tuple when
    there are several).
    """

    def __init__(self, model: Any, trainable: bool = False) -> None:
        super().__init__()
        graph = model.graph
        self.opset = default_opset(model)
        self.nodes = [
            Node(
                n.op_type,
                tuple(n.input),
                tuple(n.output),
                {"_outputs": len(n.output), **{a.name: _attribute(a) for a in n.attribute}},
                n.name,
            )
            for n in graph.node
        ]
        _check_supported(self.nodes, self.opset, [n.domain for n in graph.node])
        self.constants: dict[str, np.ndarray] = {}
        self.value_names: dict[str, str] = {}  # onnx name -> attribute name
        taken: set[str] = set()
        # BatchNormalization's running mean and variance are statistics, not weights: buffers
        statistics = {name for n in self.nodes if n.op_type == "BatchNormalization"
                      for name in n.inputs[3:5]}
        for init in graph.initializer:
            array = tensor_array(init, f"initialiser {init.name!r}")
            learn = trainable and init.name not in statistics
            self._add_initialiser(init.name, array, learn, taken)
        initialised = {i.name for i in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in initialised]
        declared = {i.name: _declared_shape(i) for i in graph.input}
        self.input_shapes = [declared[n] for n in self.input_names]  # ints, names or None
        self.output_names = [o.name for o in graph.output]
        self.trainable = trainable
        self.metadata = {p.key: p.value for p in model.metadata_props}

    def _add_initialiser(self, name: str, array: Any, trainable: bool, taken: set[str]) -> None:
        if array.dtype.kind != "f":
            self.constants[name] = array
            return
        attribute = _safe_name(name, taken)
        self.value_names[name] = attribute
        tensor = Tensor(np.array(array))
        if trainable:
            self.register_parameter(attribute, Parameter(tensor))
        else:
            self.register_buffer(attribute, tensor)

    def extra_repr(self) -> str:
        return (
            f"opset={self.opset}, nodes={len(self.nodes)}, inputs={self.input_names}, "
            f"outputs={self.output_names}"
        )

    def _initial_values(self, inputs: tuple[Any, ...]) -> dict[str, Any]:
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"OnnxModule.forward: the graph takes {len(self.input_names)} input(s) "
                f"{self.input_names}, got {len(inputs)}"
            )
        values: dict[str, Any] = {"": None}
        for name, array in self.constants.items():
            values[name] = Tensor(array)
        for name, attribute in self.value_names.items():
            values[name] = getattr(self, attribute)
        for name, value in zip(self.input_names, inputs, strict=True):
            values[name] = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        return values

    def forward(self, *inputs: Any) -> Any:
        values = self._initial_values(inputs)
        for node in self.nodes:
            args = [values[name] for name in node.inputs]
            try:
                outputs = _import_ops.OPS[node.op_type](self.opset, args, node.attrs)
            except _import_ops.NodeError as error:
                raise OnnxImportError(
                    f"juanji.onnx: node {node.name or node.op_type!r} ({node.op_type}): {error}"
                ) from error
            for name, out in zip(node.outputs, outputs, strict=False):
                if name:
                    values[name] = out
        results = tuple(values[name] for name in self.output_names)
        return results[0] if len(results) == 1 else results
