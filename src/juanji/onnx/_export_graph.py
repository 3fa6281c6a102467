"""The ONNX graph an export builds: ``GraphBuilder`` and the emitter signature.

The builder names values and asks an emitter table (``_export_emitters.EMITTERS``, handed in
by ``_export``) to write each recorded op; the emitters import this module, never the reverse.

An emitter is ``emit(builder, event, inputs, outputs)``: ``inputs`` are the ONNX names of the
recorded op's Tensor inputs (None for an absent optional one) or the constants it was given,
``outputs`` the names its results get. It adds nodes (and constant initialisers) through the
builder. A Function without an emitter ends the export with an error naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from juanji.errors import JuanjiError
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor

Emitter = Callable[["GraphBuilder", Any, list[Any], list[str]], None]


class OnnxExportError(JuanjiError, ValueError):
    """A model or argument ``juanji.onnx.export`` cannot turn into ONNX."""


@dataclass(frozen=True)
class Key:
    """Names one traced value: output ``index`` of node ``ident``, or the leaf tensor ``ident``."""

    kind: str  # "node" or "leaf"
    ident: int
    index: int = 0


class CannotExpress(ValueError):  # noqa: N818 - read as "cannot express <reason>"
    """An op (or these attributes of it) has no ONNX form juanji writes."""


def _onnx() -> Any:
    from juanji.onnx import _require

    return _require("onnx")


class GraphBuilder:
    """Names values, collects nodes and initialisers, and assembles the ``ModelProto``."""

    def __init__(
        self, opset: int, model: Module, batch: int, dynamic: bool, emitters: dict[str, Emitter]
    ) -> None:
        self.opset, self.batch, self.dynamic = opset, batch, dynamic
        self.emitters = emitters
        self.names: dict[Any, str] = {}
        self.nodes: list[Any] = []
        self.initialisers: dict[str, np.ndarray] = {}
        self.counter = 0
        self.live: set[Any] = set()  # values that depend on a graph input
        self.folded: dict[Any, Any] = {}  # values computed from parameters alone: constants
        self.failed: set[Any] = set()  # outputs of ops that could not be written
        self.state_names: dict[int, str] = {}
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            self.state_names.setdefault(id(tensor), name)
            self.state_names.setdefault(id(tensor._data), name)

    # ------------------------------------------------------------------ values
    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def const(self, array: Any, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initialisers[name] = np.asarray(array)
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def array_input(self, array: Any, hint: str) -> str:
        """An array given as a Function parameter (batch norm's running mean, var)."""
        for candidate in (array, getattr(array, "base", None)):
            name = self.state_names.get(id(candidate))
            if name is not None:
                self.initialisers.setdefault(name, np.asarray(candidate).reshape(-1))
                return name
        return self.const(np.asarray(array).reshape(-1), hint)

    def value(self, key: Any, leaves: dict[int, Any]) -> Any:
        if not isinstance(key, Key):
            return key  # a non-tensor constant, passed as given
        if key in self.names:
            return self.names[key]
        if key in self.folded:
            self.names[key] = self.const(self.folded[key].detach().numpy(), "folded")
            return self.names[key]
        if key in self.failed:
            raise _Cascade()
        if key.kind != "leaf":
            raise CannotExpress("a value made outside the recorded forward pass")
        tensor = leaves[key.ident]
        name = self.state_names.get(id(tensor))
        if name is None:
            name = self.const(tensor.detach().numpy(), "const")
        else:
            self.initialisers.setdefault(name, np.array(tensor.detach().numpy()))
        self.names[key] = name
        return name

    def node(self, op_type: str, inputs: list[Any], outputs: list[str], **attrs: Any) -> None:
        onnx = _onnx()
        inputs = ["" if i is None else i for i in inputs]
        while inputs and inputs[-1] == "":
            inputs.pop()
        self.nodes.append(onnx.helper.make_node(op_type, inputs, outputs,
                                                name=self.fresh(op_type), **attrs))

    # ------------------------------------------------------------------ the graph
    def _info(self, name: str, tensor: Tensor) -> Any:
        onnx = _onnx()
        shape: list[Any] = list(tensor.shape)
        if self.dynamic and shape:
            shape[0] = "batch"
        element = onnx.helper.np_dtype_to_tensor_dtype(tensor.detach().numpy().dtype)
        return onnx.helper.make_tensor_value_info(name, element, shape)

    def build(self, tracer: Any, inputs: list[Any], outputs: list[Any]) -> Any:
        onnx = _onnx()
        leaves = {id(t): t for t in tracer.keep if isinstance(t, Tensor)}
        for name, key, _ in inputs:
            self.names[key] = name
            self.live.add(key)
        cannot: list[str] = []
        for event in tracer.events:
            self._emit(event, leaves, cannot)
        if cannot:
            raise _export_error(cannot)
        for name, key, _ in outputs:
            if key not in self.names:
                raise _export_error(["an output that no recorded op made (a constant?)"])
            self.node("Identity", [self.names[key]], [name])
        graph = onnx.helper.make_graph(
            self.nodes, "juanji",
            [self._info(n, t) for n, _, t in inputs],
            [self._info(n, t) for n, _, t in outputs],
            [onnx.numpy_helper.from_array(a, n) for n, a in self.initialisers.items()],
        )
        from juanji._version import __version__

        return onnx.helper.make_model(
            graph, producer_name="juanji", producer_version=__version__,
            opset_imports=[onnx.helper.make_opsetid("", self.opset)],
        )

    def _emit(self, event: Any, leaves: dict[int, Any], cannot: list[str]) -> None:
        """Write one event; an op on parameters alone that has no ONNX form becomes a constant.

        (LeNet5Classic builds C3's dense kernel from its partial table by a scatter: the
        kernel is then an initialiser, exact for inference, no longer the parameters.)
        """
        live = any(isinstance(k, Key) and k in self.live for k in event.inputs)
        problem = self._try_emit(event, leaves)
        if problem is None:
            if live:
                self.live.update(event.outputs)
            return
        if not live:
            self.folded.update(zip(event.outputs, event.values, strict=True))
            return
        self.live.update(event.outputs)
        self.failed.update(event.outputs)
        if problem:
            cannot.append(problem)

    def _try_emit(self, event: Any, leaves: dict[int, Any]) -> str | None:
        """None when written; else why not ('' when an input already failed)."""
        op = event.op
        name = type(op).__name__
        emitter = self.emitters.get("ConvTranspose" if isinstance(op, Module) else name)
        if emitter is None:
            return f"{name} (no ONNX form)"
        mark, known = len(self.nodes), set(self.initialisers)
        try:
            inputs = [self.value(k, leaves) for k in event.inputs]
            outputs = [self.fresh(name.lower()) for _ in event.outputs]
            emitter(self, event, inputs, outputs)
        except (CannotExpress, _Cascade) as error:
            del self.nodes[mark:]
            for added in set(self.initialisers) - known:
                del self.initialisers[added]
            # '' when an input is the output of an op already reported
            return f"{name} ({error})" if isinstance(error, CannotExpress) else ""
        for key, out in zip(event.outputs, outputs, strict=True):
            self.names[key] = out
        return None


class _Cascade(Exception):  # noqa: N818
    """An input comes from an op that could not be written (reported once, there)."""


def _export_error(cannot: list[str]) -> Exception:
    unique = list(dict.fromkeys(cannot))
    return OnnxExportError(
        f"juanji.onnx.export: ONNX cannot express these ops as juanji ran them: "
        f"{'; '.join(unique)}; docs/onnx.md lists what export writes"
    )
