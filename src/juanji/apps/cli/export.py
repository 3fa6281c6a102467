"""``juanji export``, and opening a model from a run, an ``.onnx`` file or a ``.pt`` state_dict.

* ``juanji export RUN_DIR -o model.onnx`` writes a trained run's model as ONNX (batch axis
  free unless ``--static-batch``), checks the file, and says what it wrote.
* ``open_model`` is what ``eval``, ``predict`` and ``summary`` use to accept, besides a run
  directory, an ``.onnx`` file (run by ``juanji.onnx.load``) or a ``.pt``/``.pth`` state_dict
  with ``--model NAME`` (read by ``juanji.load``'s restricted unpickler, never torch). Files
  carry no run config, so the preprocessing is the dataset's (``--dataset``, default mnist),
  padded to the model's input size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from juanji.errors import CheckpointError, JuanjiError

__all__ = ["register", "open_model", "add_model_options", "onnx_summary"]

STATE_SUFFIXES = (".pt", ".pth")
#: The ``metadata_props`` key under which ``juanji export`` stores the run's config.json.
CONFIG_KEY = "juanji.run_config"
#: The most elements one sample of an ONNX graph's declared input may hold (a 4096 x 4096
#: image): eval, predict and summary pad every image to that size (issue 25: a file declaring
#: 1x1x100000x100000 had predict pad MNIST digits to 37 GiB).
MAX_ONNX_SAMPLE = 2**24


def register(subparsers: Any) -> None:
    """Add the ``export`` command."""
    parser = subparsers.add_parser(
        "export",
        help="write a trained run's model as an ONNX file",
        description="Trace the run's model once on an input of its size and write the graph, "
        "with the trained weights as initialisers, to an ONNX file that onnxruntime and other "
        "runtimes load. The file is checked with onnx.checker before it replaces OUTPUT.",
    )
    parser.add_argument("source", metavar="RUN_DIR", help="a run directory (or a .pt state_dict "
                        "with --model NAME)")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=None,
                        help="ONNX opset to write (default: juanji.onnx's, 18)")
    parser.add_argument("--static-batch", action="store_true",
                        help="fix the batch axis to 1 instead of leaving it free")
    add_model_options(parser)
    parser.set_defaults(func=run_export)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model`` and ``--dataset``, for commands that accept a file instead of a run."""
    parser.add_argument("--model", metavar="NAME",
                        help="the registered model a .pt state_dict belongs to (e.g. lenet5)")
    parser.add_argument("--dataset", default="mnist",
                        help="for a file: the dataset its model was trained on (default mnist)")


def _config(name: str, dataset: str, input_size: tuple[int, ...] | None = None) -> Any:
    from juanji.apps.cli._bounds import check_input_size
    from juanji.apps.training import make_config

    config = make_config(name, dataset)
    if input_size is None or tuple(input_size) == tuple(config.preprocessing.input_size):
        return config
    shape = "x".join(map(str, input_size)) or "no axis but the batch"
    if len(input_size) != 3 or input_size[1] != input_size[2] or input_size[1] < 28 or (
        input_size[1] - 28
    ) % 2:
        raise JuanjiError(
            f"the model takes inputs of {shape} (without the batch), which no padding of "
            f"28x28 {dataset} images gives"
        )
    check_input_size("the model's input", input_size)
    channels = input_size[0]
    prep = config.preprocessing
    prep = replace(prep, input_size=tuple(input_size), pad=(input_size[1] - 28) // 2,
                   mean=prep.mean[:1] * channels, std=prep.std[:1] * channels)
    return replace(config, preprocessing=prep)


def _state_dict(path: Path) -> dict[str, Any]:
    """The tensors of a ``.pt`` file: a state_dict, or one inside a checkpoint dict."""
    from juanji.serialization import load
    from juanji.tensor.tensor import Tensor

    state = load(path)
    if isinstance(state, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise CheckpointError(f"{path} holds no state_dict (a dict of tensor names to tensors)")
    if state and all(k.startswith("module.") for k in state):  # saved from DataParallel
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def _from_state_dict(path: Path, name: str | None, dataset: str) -> tuple[Any, Any]:
    from juanji.models import get_model, list_models

    if name is None:
        raise JuanjiError(
            f"{path} is a state_dict, which does not say which model it belongs to: add "
            f"--model NAME ({', '.join(list_models())})"
        )
    try:
        model = get_model(name)
    except ValueError as error:
        raise JuanjiError(str(error)) from None
    try:
        model.load_state_dict(_state_dict(path))
    except (RuntimeError, TypeError) as error:
        first = str(error).splitlines()[-1].strip()
        raise CheckpointError(f"{path} does not fit the model {name} ({first})") from error
    return model.eval(), _config(name, dataset)


def onnx_input_size(module: Any) -> tuple[int, ...]:
    """One sample's input size from the graph's first input (symbolic sizes read as 1)."""
    (dims,) = module.input_shapes[:1] or [None]
    if not dims:
        raise JuanjiError("the ONNX graph's input has no declared shape; pass --input")
    size = tuple(d if isinstance(d, int) and d > 0 else 1 for d in dims[1:])
    if math.prod(size) > MAX_ONNX_SAMPLE:
        raise JuanjiError(
            f"the ONNX graph declares inputs of {'x'.join(map(str, size))} per image, more than "
            f"the {MAX_ONNX_SAMPLE:,} values juanji gives a model from a file"
        )
    return size


def _from_onnx(path: Path, name: str | None, dataset: str) -> tuple[Any, Any]:
    import juanji.onnx

    module = juanji.onnx.load(path)
    if len(module.input_names) != 1:
        raise JuanjiError(f"{path}: the graph takes {len(module.input_names)} inputs; "
                          "eval and predict give it one image batch")
    saved = module.metadata.get(CONFIG_KEY)
    if saved is not None and name is None:  # written by `juanji export`: the run's own config
        from juanji.apps.training import checked_run_config

        try:
            return module.eval(), checked_run_config(json.loads(saved), f"{path} metadata")
        except (ValueError, JuanjiError) as error:
            raise CheckpointError(
                f"{path}: its {CONFIG_KEY} metadata is damaged ({error})"
            ) from None
    return module.eval(), _config(name or "lenet5", dataset, onnx_input_size(module))


def open_model(target: str, model: str | None = None, dataset: str = "mnist") -> tuple[Any, Any]:
    """``(model in eval mode, RunConfig)`` from a run directory, an .onnx or a .pt file."""
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return _from_onnx(path, model, dataset)
    if suffix in STATE_SUFFIXES:
        if not path.is_file():
            raise JuanjiError(f"{target}: no such file")
        return _from_state_dict(path, model, dataset)
    if path.is_file():
        raise JuanjiError(
            f"{target}: not a run directory, an .onnx file or a .pt/.pth state_dict"
        )
    from juanji.apps import training

    return training.restore_model(path)  # a run directory (its errors name what is missing)


def _check_output(output: str) -> Path:
    path = Path(output)
    if path.suffix.lower() != ".onnx":
        raise JuanjiError(f"-o {output}: the output file must end in .onnx")
    if not path.parent.is_dir():
        raise JuanjiError(f"-o {output}: no such folder {str(path.parent)!r}")
    if path.is_dir():
        raise JuanjiError(f"-o {output}: is a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise JuanjiError(f"-o {output}: not writable")
    return path


def run_export(args: argparse.Namespace) -> int:
    """The ``juanji export`` command."""
    import juanji.onnx
    from juanji.tensor.creation import zeros

    output = _check_output(args.output)
    if Path(args.source).suffix.lower() == ".onnx":
        raise JuanjiError(f"{args.source} is already an ONNX file")
    model, config = open_model(args.source, args.model, args.dataset)
    example = zeros(1 if args.static_batch else 2, *config.preprocessing.input_size)
    try:
        proto = juanji.onnx.export(model, example, output, opset_version=args.opset,
                                   dynamic_batch=not args.static_batch,
                                   output_names=["logits"],
                                   metadata={CONFIG_KEY: json.dumps(config.to_json())})
    except ValueError as error:
        raise JuanjiError(str(error)) from None
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    shape = " x ".join(d.dim_param or str(d.dim_value) for d in dims)
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"wrote {output}: {config.model} from {args.source}, opset "
        f"{proto.opset_import[0].version}, {len(proto.graph.node)} nodes, {parameters:,} "
        f"parameters; input 'input' ({shape}), output 'logits'"
    )
    return 0


def onnx_summary(module: Any, input_size: tuple[int, ...]) -> str:
    """One row per ONNX node: op, output shape, parameters it brings (initialisers)."""
    import numpy as np

    from juanji.autograd import no_grad
    from juanji.onnx import _import_ops

    rows, seen, total = [], set(), 0
    with no_grad():
        values = module._initial_values((np.zeros((1, *input_size), np.float32),))
        for index, node in enumerate(module.nodes):
            outputs = _import_ops.OPS[node.op_type](module.opset, [values[n] for n in node.inputs],
                                             node.attrs)
            values.update((n, o) for n, o in zip(node.outputs, outputs, strict=False) if n)
            fresh = [n for n in node.inputs if n in module.value_names and n not in seen]
            seen.update(fresh)
            count = sum(int(values[n].numel()) for n in fresh)
            total += count
            shape = "x".join(str(s) for s in values[node.outputs[0]].shape)
            rows.append((str(index), node.op_type, node.name or node.outputs[0], shape,
                         f"{count:,}"))
    header = ("#", "op", "node", "output", "initialiser values")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    lines.append(f"total: {len(rows)} nodes, {total:,} initialiser values (parameters and "
                 f"buffers), opset {module.opset}")
    return "\n".join(lines)
