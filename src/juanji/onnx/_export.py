"""``juanji.onnx.export``: record one forward pass op by op, write it as an ONNX graph.

How the trace is taken:

1. The model runs in eval mode, with gradients enabled, on a copy of the example input that is
   the output of a graph node: every op downstream of the input then records a graph edge,
   so in-place writes (``ReLU(inplace=True)``, ``out += identity``) are computed out of place
   or adopted into the graph, as juanji's autograd does it, and never hide a value.
2. ``juanji.autograd.trace.recording`` calls back after every Function; the callback names each
   value at that instant: the output ``k`` of Function ``f`` is ``(f, k)``, a leaf tensor is
   itself (a parameter or buffer of the model, found by identity, or a constant).
3. Layers whose functional is a composite of several Functions (the transposed convolutions,
   a GEMM and a fold) are recorded as one node by a module hook that mutes what runs inside.

Each recorded Function becomes ONNX nodes through ``_export_emitters.EMITTERS``; parameters and
buffers become initialisers with their ``state_dict`` names. With ``dynamic_batch`` the first
axis of the inputs and outputs is the named dimension ``batch``, and a Reshape that keeps the
batch axis writes 0 ("copy this axis") there instead of the example's batch size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.autograd import trace
from juanji.autograd.grad_mode import enable_grad
from juanji.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from juanji.nn.module import Module
from juanji.onnx._export_emitters import EMITTERS
from juanji.onnx._export_graph import GraphBuilder, Key, OnnxExportError
from juanji.tensor.tensor import Tensor

#: The opset ``export`` writes unless told otherwise, and the oldest it can write.
DEFAULT_OPSET = 18
MIN_OPSET = 13

_COMPOSITE = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)


@dataclass
class Event:
    """One recorded op: a Function (or a composite layer), its named inputs and outputs."""

    op: Any  # the Function instance, or the layer Module for composite layers
    inputs: list[Any]  # value keys (see Tracer.key), or non-tensor constants as given
    params: dict[str, Any]
    outputs: list[Any]  # value keys
    shapes_in: list[Any]
    shapes_out: list[tuple[int, ...]]
    dtype: Any = None  # the NumPy dtype of the first Tensor input (for scalar constants)
    values: tuple[Any, ...] = ()  # the output Tensors (constant-folded when not input-driven)


@dataclass
class Tracer:
    """Collects ``Event``s while the model runs; see the module docstring."""

    events: list[Event] = field(default_factory=list)
    keep: list[Any] = field(default_factory=list)  # holds every tensor seen, so ids stay unique
    muted: int = 0
    produced: dict[int, Key] = field(default_factory=dict)  # id(output Tensor) -> its key

    def key(self, value: Any) -> Any:
        if not isinstance(value, Tensor):
            return value
        self.keep.append(value)
        if value._ctx is not None:
            return Key("node", id(value._ctx), value._output_index)
        # A recorded op's output without a graph node (made under no_grad inside the model)
        # is still that op's output, not a constant.
        return self.produced.get(id(value), Key("leaf", id(value)))

    def __call__(self, fn: Any, inputs: tuple[Any, ...], params: dict[str, Any], out: Any) -> None:
        if self.muted:
            return
        outs = out if isinstance(out, tuple) else (out,)
        self.keep.append(fn)
        self.events.append(Event(
            fn, [self.key(t) for t in inputs], dict(params),
            [Key("node", id(fn), i) for i in range(len(outs))],
            [tuple(t.shape) if isinstance(t, Tensor) else None for t in inputs],
            [tuple(o.shape) for o in outs],
            next((t._data.dtype for t in inputs if isinstance(t, Tensor)), None),
            outs,
        ))
        for index, o in enumerate(outs):
            self.keep.append(o)
            self.produced[id(o)] = Key("node", id(fn), index)

    def hooks(self, model: Module) -> list[Any]:
        """Record each composite layer as one event, muting the Functions inside it."""
        handles = []
        for module in model.modules():
            if isinstance(module, _COMPOSITE):
                handles.append(module.register_forward_pre_hook(self._enter))
                handles.append(module.register_forward_hook(self._leave))
        return handles

    def _enter(self, module: Module, args: tuple[Any, ...]) -> None:
        if not self.muted:
            self._pending = [self.key(args[0])]
        self.muted += 1

    def _leave(self, module: Module, args: tuple[Any, ...], output: Any) -> None:
        self.muted -= 1
        if self.muted:
            return
        self.keep.append(output)
        inputs = [*self._pending, self.key(module.weight),
                  None if module.bias is None else self.key(module.bias)]
        self.events.append(Event(module, inputs, {}, [self.key(output)],
                                 [tuple(args[0].shape)], [tuple(output.shape)],
                                 args[0]._data.dtype, (output,)))


def _onnx() -> Any:
    from juanji.onnx import _require

    return _require("onnx")


def _as_inputs(example_input: Any) -> tuple[Tensor, ...]:
    inputs = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    converted = []
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray):
            x = Tensor(x)
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise OnnxExportError(
                f"juanji.onnx.export: example_input must be a float Tensor or a tuple of them, "
                f"got {type(x).__name__ if not isinstance(x, Tensor) else x.dtype} at {i}"
            )
        converted.append(x)
    return tuple(converted)


def _names(given: Any, count: int, stem: str, argument: str) -> list[str]:
    if given is None:
        return [stem if i == 0 else f"{stem}_{i}" for i in range(count)]
    names = [given] if isinstance(given, str) else list(given)
    if len(names) != count or not all(isinstance(n, str) and n for n in names):
        raise OnnxExportError(
            f"juanji.onnx.export: {argument} must be {count} non-empty string(s), got {given!r}"
        )
    if len(set(names)) != len(names):
        raise OnnxExportError(f"juanji.onnx.export: {argument} repeats a name: {given!r}")
    return names


def _opset(opset_version: Any) -> int:
    onnx = _onnx()
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset_version, bool) or not isinstance(opset_version, int) or not (
        MIN_OPSET <= opset_version <= newest
    ):
        raise OnnxExportError(
            f"juanji.onnx.export: opset_version must be an int from {MIN_OPSET} to {newest} "
            f"(the installed onnx's newest), got {opset_version!r}"
        )
    return opset_version


def trace_model(model: Module, inputs: tuple[Tensor, ...]) -> tuple[Tracer, list[Any], Any]:
    """Run ``model`` once under the tracer; returns it, the input keys and the outputs."""
    tracer = Tracer()
    was_training = model.training
    handles = tracer.hooks(model)
    model.eval()
    try:
        with enable_grad():
            starts = [Tensor(np.array(x.detach().numpy()), requires_grad=True) for x in inputs]
            graph_inputs = [s * 1.0 for s in starts]  # outputs of a node: see the docstring
            input_keys = [tracer.key(x) for x in graph_inputs]
            with trace.recording(tracer):
                outputs = model(*graph_inputs)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return tracer, input_keys, outputs


def _output_tensors(outputs: Any) -> list[Tensor]:
    values = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    if not values or not all(isinstance(v, Tensor) for v in values):
        raise OnnxExportError(
            "juanji.onnx.export: the model must return a Tensor or a tuple of Tensors, got "
            f"{type(outputs).__name__}"
        )
    return values


def export_model(
    model: Any, example_input: Any, path: Any, opset_version: Any, dynamic_batch: bool,
    input_names: Any, output_names: Any, metadata: Any = None,
) -> Any:
    """``juanji.onnx.export``; see its docstring."""
    if not isinstance(model, Module):
        raise OnnxExportError(
            f"juanji.onnx.export: model must be a juanji Module, got {type(model).__name__}"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise OnnxExportError(f"juanji.onnx.export: path must be a path, got {path!r}")
    target = Path(path)
    if not target.parent.is_dir():
        raise OnnxExportError(f"juanji.onnx.export: no such folder {str(target.parent)!r}")
    opset = _opset(opset_version)
    inputs = _as_inputs(example_input)
    in_names = _names(input_names, len(inputs), "input", "input_names")
    tracer, input_keys, outputs = trace_model(model, inputs)
    out_tensors = _output_tensors(outputs)
    out_names = _names(output_names, len(out_tensors), "output", "output_names")
    builder = GraphBuilder(opset, model, inputs[0].shape[0], bool(dynamic_batch), EMITTERS)
    proto = builder.build(tracer, list(zip(in_names, input_keys, inputs, strict=True)),
                          [(n, tracer.key(t), t) for n, t in zip(out_names, out_tensors,
                                                                 strict=True)])
    onnx = _onnx()
    _add_metadata(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    from juanji.serialization.safetensors import atomic_write_bytes

    atomic_write_bytes(target, proto.SerializeToString())
    return proto


def _add_metadata(proto: Any, metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise OnnxExportError(
            f"juanji.onnx.export: metadata must be a dict of strings, got {metadata!r}"
        )
    _onnx().helper.set_model_props(proto, metadata)
