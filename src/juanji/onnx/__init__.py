"""``juanji.onnx``: run ONNX graphs as juanji Modules, and write juanji models as ONNX files.

* ``load(path_or_model_proto, trainable=False)``: an ``OnnxModule`` that runs the graph with
  juanji's ops (opsets 7 to current); ``trainable=True`` makes the float initialisers
  Parameters, so the graph can be fine-tuned with ``juanji.optim``.
* ``export(model, example_input, path, ...)``: one forward pass of ``model`` is recorded, op by
  op, and written as an ONNX graph with the parameters as initialisers.

Both need the ``onnx`` package (``pip install 'juanji[onnx]'``), imported when called, never at
``import juanji``. docs/onnx.md lists the ops and the decisions where ONNX leaves a choice;
docs/security.md what ``load`` checks in a file before trusting it (every initialiser's data
against its dims, no negative dims, external data only from the model's folder, and at most
``MAX_CREATED`` elements created from sizes the graph holds).
"""

from __future__ import annotations

import importlib
from typing import Any

from juanji.errors import MissingDependencyError

__all__ = ["load", "export", "OnnxImportError", "OnnxExportError"]


def _require(name: str) -> Any:
    """Import an optional package, or say how to install it."""
    hint = "pip install 'juanji[onnx]'" if name == "onnx" else f"pip install {name}"
    message = f"juanji.onnx needs the {name!r} package, which is not installed; {hint}"
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise MissingDependencyError(message) from error
    if getattr(module, "__file__", None) is None:  # a folder named like it (tests/onnx), no code
        raise MissingDependencyError(message)
    return module


def load(path_or_model_proto: Any, trainable: bool = False) -> Any:
    """Load an ONNX model as a juanji ``Module`` that runs its graph.

    Args:
        path_or_model_proto: a path to a ``.onnx`` file, its bytes, or an ``onnx.ModelProto``.
        trainable: make the float initialisers ``Parameter``s (else buffers), except the
            running statistics BatchNormalization reads. Default: False.

    Returns:
        An ``OnnxModule``; call it with the graph's inputs (Tensors or arrays).

    Raises:
        OnnxImportError: an unreadable file or bytes, a malformed graph (an initialiser
            whose data disagrees with its dims, a negative dimension...), an opset older than
            7, or ops juanji cannot run (all of them listed in one message).
        MissingDependencyError: the ``onnx`` package is not installed.
    """
    from juanji.onnx._graph import build_module

    return build_module(path_or_model_proto, bool(trainable))


def export(
    model: Any,
    example_input: Any,
    path: Any,
    opset_version: int | None = None,
    dynamic_batch: bool = True,
    input_names: Any = None,
    output_names: Any = None,
    metadata: Any = None,
) -> Any:
    """Write ``model`` as an ONNX file, from the ops one forward pass on ``example_input`` runs.

    Args:
        model: a juanji ``Module`` (run in eval mode; its mode is restored afterwards).
        example_input: a Tensor (or a tuple of Tensors) of the shape the model takes.
        path: where to write the ``.onnx`` file (written atomically).
        opset_version: the ``ai.onnx`` opset to write; default ``DEFAULT_OPSET``.
        dynamic_batch: make the first axis of inputs and outputs a named, free dimension.
        input_names: names of the graph inputs. Default: ``input``, ``input_1``...
        output_names: names of the graph outputs. Default: ``output``, ``output_1``...
        metadata: a dict of strings stored as the model's ``metadata_props`` (``juanji
            export`` keeps the run's config there, so ``juanji eval`` preprocesses alike).

    Returns:
        The ``onnx.ModelProto`` written.

    Raises:
        OnnxExportError: an op ONNX cannot express (named), or a bad argument.
        MissingDependencyError: the ``onnx`` package is not installed.
    """
    from juanji.onnx._export import export_model

    return export_model(
        model, example_input, path, opset_version, dynamic_batch, input_names, output_names,
        metadata,
    )


def __getattr__(name: str) -> Any:
    if name == "OnnxImportError":
        from juanji.onnx._graph import OnnxImportError

        return OnnxImportError
    if name == "OnnxExportError":
        from juanji.onnx._export import OnnxExportError

        return OnnxExportError
    raise AttributeError(f"module 'juanji.onnx' has no attribute {name!r}")
