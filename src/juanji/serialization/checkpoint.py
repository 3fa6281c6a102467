"""The run directory that ``juanji train`` writes, and its crash-safe checkpoints.

A run directory holds::

    config.json                     model name and kwargs, preprocessing, hyperparameters
    model.safetensors               the weights after the last completed epoch (a state_dict)
    metrics.json                    per-epoch loss/accuracy, final test_accuracy, train_seconds
    training_state.json             for --resume: epoch, optimiser groups, scheduler, RNG states
    training_state-e0003.safetensors  for --resume: weights and optimiser buffers of that epoch
    curves.png                      loss and accuracy per epoch (drawn by the trainer)

Every file is written whole to a temporary file and renamed into place (``atomic_write_bytes``),
so a crash or Ctrl-C never leaves a half-written file. ``training_state.json`` is written last
and names the arrays file of its epoch: it is the commit record. A crash between two files
therefore leaves either the previous epoch's pair or the new one, never a mix; older arrays
files are deleted only after the new record is in place. While a checkpoint is being written,
Ctrl-C is held back until the last file is renamed, then raised as usual.

No file holds pickled objects: arrays are safetensors, everything else is JSON. This module
knows nothing of modules or optimisers; it stores the plain dicts that ``state_dict()`` gives.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from juanji.errors import CheckpointError
from juanji.serialization.safetensors import atomic_write_bytes, load_file, save_file
from juanji.tensor.tensor import Tensor

__all__ = [
    "CONFIG_FILE",
    "MODEL_FILE",
    "METRICS_FILE",
    "STATE_FILE",
    "CURVES_FILE",
    "CONFIG_FORMAT",
    "ResumeState",
    "write_json",
    "read_json",
    "validate_config",
    "save_config",
    "load_config",
    "load_weights",
    "load_metrics",
    "save_checkpoint",
    "load_resume_state",
]

CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
METRICS_FILE = "metrics.json"
STATE_FILE = "training_state.json"
CURVES_FILE = "curves.png"
CONFIG_FORMAT = "juanji-run/1"
_ARRAYS_PREFIX = "training_state-e"


# ---------------------------------------------------------------------- JSON files
def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path``, atomically.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
        >>> read_json(write_json(path, {"epoch": 1}), "a test file")
        {'epoch': 1}
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=True) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: str | os.PathLike, what: str) -> dict[str, Any]:
    """Read a JSON object from ``path``; ``what`` says what the file is, for the error message.

    Raises:
        CheckpointError: the file is missing, unreadable, not JSON, or not a JSON object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CheckpointError(f"{path} is missing ({what})") from error
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error
    except ValueError as error:
        raise CheckpointError(
            f"{path} is not valid JSON ({error}); it was edited or damaged: restore it or "
            f"train again"
        ) from error
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} should hold a JSON object, found {type(data).__name__}")
    return data


def _bad(path: Path, problem: str) -> CheckpointError:
    return CheckpointError(
        f"{path}: {problem}; it is not a config.json written by `juanji train` (restore it "
        f"or train again)"
    )


def _need(mapping: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _bad(path, f"'{key}' should be a {names}, got {value!r}")
    return value


def _numbers(values: Any, key: str, path: Path) -> list[float]:
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        or not all(math.isfinite(v) for v in values)
    ):
        raise _bad(path, f"'{key}' should be a non-empty list of numbers, got {values!r}")
    return values


def validate_config(config: Any, path: str | os.PathLike = CONFIG_FILE) -> dict[str, Any]:
    """Check the structure of a run's config; return it unchanged.

    Checks the keys every command relies on: ``format``, ``model.name``/``model.kwargs``,
    ``dataset``, ``num_classes``, ``preprocessing`` (``input_size`` as [C, H, W], ``pad``,
    ``mean``/``std`` with one value per channel, no zero std) and ``hyperparameters``.
    Whether the model name is known is for the caller to check.

    Raises:
        CheckpointError: naming the file and the first problem found.

    Example:
        >>> validate_config({"format": "juanji-run/0"}, "run/config.json")
        Traceback (most recent call last):
        ...
        juanji.errors.CheckpointError: run/config.json: format 'juanji-run/0' is not ...
    """
    path = Path(path)
    if not isinstance(config, dict):
        raise _bad(path, "the file should hold a JSON object")
    if config.get("format") != CONFIG_FORMAT:
        raise _bad(path, f"format {config.get('format')!r} is not {CONFIG_FORMAT!r}")
    model = _need(config, "model", dict, path)
    _need(model, "name", str, path)
    _need(model, "kwargs", dict, path)
    _need(config, "dataset", str, path)
    classes = _need(config, "num_classes", int, path)
    if classes < 2:
        raise _bad(path, f"'num_classes' should be at least 2, got {classes}")
    prep = _need(config, "preprocessing", dict, path)
    size = prep.get("input_size")
    if (
        not isinstance(size, list)
        or len(size) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        raise _bad(path, f"'input_size' should be [channels, height, width], got {size!r}")
    pad = _need(prep, "pad", int, path)
    if pad < 0 or 2 * pad >= min(size[1:]):
        raise _bad(path, f"'pad' should be >= 0 and smaller than half the input, got {pad}")
    mean, std = _numbers(prep.get("mean"), "mean", path), _numbers(prep.get("std"), "std", path)
    if len(mean) != size[0] or len(std) != size[0]:
        raise _bad(path, f"'mean' and 'std' need one value per channel ({size[0]})")
    if any(s == 0 for s in std):
        raise _bad(path, "'std' has a zero")
    _need(config, "hyperparameters", dict, path)
    return config


def save_config(run_dir: str | os.PathLike, config: Mapping[str, Any]) -> Path:
    """Validate ``config`` and write it to ``run_dir/config.json``."""
    path = Path(run_dir) / CONFIG_FILE
    validate_config(dict(config), path)
    return write_json(path, config)


def _run_path(run_dir: str | os.PathLike) -> Path:
    run = Path(run_dir)
    if not run.is_dir():
        raise CheckpointError(
            f"{run} is not a run directory (no such folder); pass the folder that "
            f"`juanji train` wrote, e.g. runs/lenet5-mnist-..."
        )
    return run


def load_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Read and validate ``run_dir/config.json``.

    Raises:
        CheckpointError: the folder or file is missing, or the config is malformed.
    """
    path = _run_path(run_dir) / CONFIG_FILE
    return validate_config(read_json(path, "the run's configuration, written by `juanji train`"))


def load_weights(run_dir: str | os.PathLike) -> dict[str, Tensor]:
    """Read ``run_dir/model.safetensors`` (a state_dict).

    Raises:
        CheckpointError: the folder or the weights are missing or damaged.
    """
    path = _run_path(run_dir) / MODEL_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{path} is missing: the run has no weights yet (training stopped before its first "
            f"epoch ended); train again, or resume it with `juanji train --resume {run_dir}`"
        )
    return load_file(path)


def load_metrics(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Read ``run_dir/metrics.json``."""
    return read_json(_run_path(run_dir) / METRICS_FILE, "per-epoch metrics")


# ---------------------------------------------------------------------- checkpoints
@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) inside the block and raise it when the block ends.

    Only the main thread can set signal handlers; elsewhere the block runs unprotected
    (each file is still atomic).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt


def _arrays_name(epoch: int) -> str:
    return f"{_ARRAYS_PREFIX}{epoch:04d}.safetensors"


def _split_optimizer_state(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
    """Optimizer.state_dict() -> (arrays for safetensors, the JSON-able rest)."""
    arrays: dict[str, Any] = {}
    state: dict[str, dict[str, Any]] = {}
    for index, values in state_dict["state"].items():
        entry = state.setdefault(str(index), {})
        for name, value in values.items():
            if name == "step":  # a count, kept readable in the JSON
                entry[name] = int(value.item() if hasattr(value, "item") else value)
            elif hasattr(value, "shape"):
                arrays[f"optimizer.{index}.{name}"] = value
            else:
                entry[name] = value
    return arrays, {"state": state, "param_groups": list(state_dict["param_groups"])}


def _join_optimizer_state(arrays: Mapping[str, Tensor], saved: Mapping[str, Any]) -> dict:
    """The inverse of ``_split_optimizer_state``: a dict ``Optimizer.load_state_dict`` takes."""
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in saved["state"].items()}
    for key, value in arrays.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": saved["param_groups"]}


def save_checkpoint(
    run_dir: str | os.PathLike,
    *,
    epoch: int,
    model_state: Mapping[str, Any],
    metrics: Mapping[str, Any],
    optimizer_state: Mapping[str, Any] | None = None,
    training_state: Mapping[str, Any] | None = None,
) -> None:
    """Write the checkpoint of a completed epoch: weights, metrics and the state to resume.

    Order: ``model.safetensors``, ``metrics.json``, the epoch's arrays file (weights and
    optimiser buffers), then ``training_state.json`` (the commit record); finally older
    arrays files are removed. Ctrl-C is deferred until all are written.

    Args:
        run_dir: the run directory (it must exist).
        epoch: the number of completed epochs (1 after the first).
        model_state: ``model.state_dict()``.
        metrics: the content of ``metrics.json``.
        optimizer_state: ``optimizer.state_dict()``; its buffers go to safetensors, the rest
            to JSON.
        training_state: anything else needed to resume (scheduler state, RNG states...),
            JSON-able.

    Raises:
        CheckpointError: a file cannot be written (the message names it).
    """
    run = Path(run_dir)
    arrays_name = _arrays_name(epoch)
    optimizer_arrays, optimizer_json = (
        _split_optimizer_state(optimizer_state) if optimizer_state is not None else ({}, None)
    )
    arrays = {f"model.{key}": value for key, value in model_state.items()}
    arrays.update(optimizer_arrays)
    record = {
        "format": CONFIG_FORMAT,
        "epoch": epoch,
        "arrays": arrays_name,
        "optimizer": optimizer_json,
        **dict(training_state or {}),
        "metrics": dict(metrics),
    }
    target = run / MODEL_FILE
    try:
        with _interrupts_deferred():
            save_file(model_state, target, metadata={"epoch": str(epoch)})
            target = run / METRICS_FILE
            write_json(target, metrics)
            target = run / arrays_name
            save_file(arrays, target, metadata={"epoch": str(epoch)})
            target = run / STATE_FILE
            write_json(target, record)
            for old in run.glob(f"{_ARRAYS_PREFIX}*.safetensors"):
                if old.name != arrays_name:
                    old.unlink(missing_ok=True)
    except OSError as error:
        raise CheckpointError(
            f"cannot write {target}: {error.strerror or error}; check that the folder is "
            f"writable and the disk has space (earlier checkpoints are intact)"
        ) from error


@dataclass
class ResumeState:
    """What ``load_resume_state`` returns: everything to continue a run after ``epoch``.

    Attributes:
        epoch: completed epochs.
        model_state: the weights at that point.
        optimizer_state: the dict for ``Optimizer.load_state_dict`` (None if none was saved).
        metrics: the content of metrics.json at that point.
        extra: the other entries of the record (scheduler, RNG states...), as saved.
    """

    epoch: int
    model_state: dict[str, Tensor]
    optimizer_state: dict[str, Any] | None
    metrics: dict[str, Any]
    extra: dict[str, Any]


def load_resume_state(run_dir: str | os.PathLike) -> ResumeState:
    """Read the last committed checkpoint of ``run_dir`` for ``--resume``.

    Raises:
        CheckpointError: no checkpoint was committed yet, or its files are damaged or disagree.
    """
    run = _run_path(run_dir)
    path = run / STATE_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{path} is missing: {run} has no completed epoch to resume from; start the run "
            f"again without --resume"
        )
    record = read_json(path, "the state --resume continues from")
    epoch, arrays_name = record.get("epoch"), record.get("arrays")
    if (
        record.get("format") != CONFIG_FORMAT
        or not isinstance(epoch, int)
        or epoch < 1
        or arrays_name != _arrays_name(epoch)
        or not isinstance(record.get("metrics"), dict)
    ):
        raise CheckpointError(
            f"{path} is not a training state written by `juanji train` (format, epoch or "
            f"arrays entry wrong); the run cannot be resumed, start it again"
        )
    arrays = load_file(run / arrays_name)
    model_state = {
        key[len("model.") :]: value for key, value in arrays.items() if key.startswith("model.")
    }
    optimizer = record.pop("optimizer", None)
    optimizer_state = None if optimizer is None else _join_optimizer_state(arrays, optimizer)
    for key in ("format", "epoch", "arrays"):
        record.pop(key)
    metrics = record.pop("metrics")
    return ResumeState(epoch, model_state, optimizer_state, metrics, record)
