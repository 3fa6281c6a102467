"""The run directory that ``juanji train`` writes, and its crash-safe checkpoints.

A run directory holds::

    config.json               model name and kwargs, preprocessing, hyperparameters (written once)
    training_state.json       the commit record: which epoch folder holds the last checkpoint
    checkpoints/e0003/        that checkpoint, written whole before the record names it:
        model.safetensors     the weights after epoch 3 (a state_dict)
        metrics.json          per-epoch loss/accuracy, final test_accuracy, train_seconds
        state.json            for --resume: optimiser groups, scheduler, RNG states
        state.safetensors     for --resume: the optimiser's buffers
    model.safetensors         copies (hard links) of the committed epoch's files, for people
    metrics.json              and other programs; refreshed after each commit
    curves.png                loss and accuracy per epoch (drawn by the trainer)

**One atomic step.** A checkpoint is written into ``checkpoints/.e0003.partial/``, the folder is
renamed to ``checkpoints/e0003``, and then ``training_state.json`` is replaced (temp file +
rename) by a record naming it: that one rename is the state change. Every reader in juanji
(``load_weights``, ``load_metrics``, ``load_resume_state``) goes through the record, so it sees
the previous epoch or the new one, never a mixture. A run directory without a record (weights
saved by hand next to a config) is read from its top-level ``model.safetensors``.

``tidy_run`` (called when a run is resumed) removes what a killed process leaves: hidden
``.NAME.XXXX.tmp`` files, ``.partial`` folders, epoch folders the record does not name; and it
refreshes the top-level copies. While a checkpoint is being written, Ctrl-C is held back until
the last rename, then raised as usual.

**A seam for tests.** ``before_rename(point, epoch)`` is called just before each rename of a
checkpoint (the points are the names in ``FAULT_POINTS``) and does nothing; tests replace it to
stop the process there and check every file of the run directory after a crash at each step.

This module is the only one that knows the layout: the command line and ``runs.py`` ask it for
paths and files. The generic pieces (strict JSON, atomic replaces, the optimiser's state split
into safetensors and JSON) are ``juanji.serialization.checkpoint``'s; no file holds pickled
objects.
"""

from __future__ import annotations

import contextlib
import filecmp
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from juanji.errors import CheckpointError, JuanjiError
from juanji.serialization.checkpoint import (
    interrupts_deferred,
    join_optimizer_state,
    json_bytes,
    read_json,
    replace_file,
    split_optimizer_state,
    write_json,
)
from juanji.serialization.safetensors import atomic_write_bytes, load_file, save_file
from juanji.tensor.tensor import Tensor

__all__ = [
    "CONFIG_FILE",
    "MODEL_FILE",
    "METRICS_FILE",
    "STATE_FILE",
    "CURVES_FILE",
    "CHECKPOINTS_DIR",
    "CONFIG_FORMAT",
    "FAULT_POINTS",
    "PUBLISHED_FILES",
    "new_run_path",
    "create_run",
    "config_path",
    "state_path",
    "curves_path",
    "ResumeState",
    "validate_config",
    "save_config",
    "load_config",
    "load_weights",
    "read_weights",
    "weights_path",
    "load_metrics",
    "save_checkpoint",
    "load_resume_state",
    "committed_epoch",
    "tidy_run",
    "before_rename",
    "write_json",
    "read_json",
]

CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
METRICS_FILE = "metrics.json"
STATE_FILE = "training_state.json"
CURVES_FILE = "curves.png"
CHECKPOINTS_DIR = "checkpoints"
# The files of a finished run that people and other programs read (curves.png comes on top).
PUBLISHED_FILES = (MODEL_FILE, CONFIG_FILE, METRICS_FILE)
CONFIG_FORMAT = "juanji-run/1"
STATE_FORMAT = "juanji-checkpoint/2"
FAULT_POINTS = ("folder", "commit", "publish-model", "publish-metrics")
_OPTIMIZER_ARRAYS, _OPTIMIZER_JSON = "state.safetensors", "state.json"
# Bounds of a config.json's sizes, so that a damaged file cannot ask for gigabytes: a model of
# 10**9 classes, or an input image of 10**10 values (2**24 values are 64 MB in float32).
MAX_CLASSES, MAX_INPUT_VALUES = 100_000, 2**24


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
    ``mean``/``std`` with one value per channel, std positive), ``hyperparameters``, and bounds
    on the sizes (``MAX_CLASSES``, ``MAX_INPUT_VALUES``).
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
    if not 2 <= classes <= MAX_CLASSES:
        raise _bad(path, f"'num_classes' should be 2 to {MAX_CLASSES:,}, got {classes}")
    prep = _need(config, "preprocessing", dict, path)
    size = prep.get("input_size")
    if (
        not isinstance(size, list)
        or len(size) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        raise _bad(path, f"'input_size' should be [channels, height, width], got {size!r}")
    if math.prod(size) > MAX_INPUT_VALUES:
        raise _bad(path, f"'input_size' {size} holds over {MAX_INPUT_VALUES:,} values")
    pad = _need(prep, "pad", int, path)
    if pad < 0 or 2 * pad >= min(size[1:]):
        raise _bad(path, f"'pad' should be >= 0 and smaller than half the input, got {pad}")
    mean, std = _numbers(prep.get("mean"), "mean", path), _numbers(prep.get("std"), "std", path)
    if len(mean) != size[0] or len(std) != size[0]:
        raise _bad(path, f"'mean' and 'std' need one value per channel ({size[0]})")
    if not all(s > 0 for s in std):
        raise _bad(path, f"'std' should be positive, got {std}")
    _need(config, "hyperparameters", dict, path)
    return config


def save_config(run_dir: str | os.PathLike, config: Mapping[str, Any]) -> Path:
    """Validate ``config`` and write it to ``run_dir/config.json``."""
    path = Path(run_dir) / CONFIG_FILE
    data = dict(config)  # any Mapping that reads as the JSON object
    validate_config(data, path)
    return write_json(path, data)


def _run_path(run_dir: str | os.PathLike) -> Path:
    run = Path(run_dir)
    if not run.is_dir():
        raise CheckpointError(
            f"{run} is not a run directory (no such folder); pass the folder that "
            f"`juanji train` wrote, e.g. runs/lenet5-mnist-..."
        )
    return run


def config_path(run_dir: str | os.PathLike) -> Path:
    """Where the run's ``config.json`` is (for messages that name it)."""
    return Path(run_dir) / CONFIG_FILE


def state_path(run_dir: str | os.PathLike) -> Path:
    """Where the run's commit record ``training_state.json`` is."""
    return Path(run_dir) / STATE_FILE


def curves_path(run_dir: str | os.PathLike) -> Path:
    """Where the picture of the run's loss and accuracy per epoch goes."""
    return Path(run_dir) / CURVES_FILE


def new_run_path(out: str | os.PathLike | None, model: str, dataset: str) -> Path:
    """The folder of a new run: ``out``, or ``runs/MODEL-DATASET-YYYYmmdd-HHMMSS``.

    Nothing is created (``create_run`` does that once the data has loaded).

    Raises:
        JuanjiError: the folder already holds a run, or is a file.
    """
    if out:
        run = Path(out)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        run = Path("runs") / f"{model}-{dataset}-{stamp}"
    if (run / CONFIG_FILE).exists() or (run / MODEL_FILE).exists():
        raise JuanjiError(
            f"{run} already holds a run; continue it with --resume {run}, or pass another --out"
        )
    if run.exists() and not run.is_dir():
        raise JuanjiError(f"{run} is a file; pass a folder to --out")
    return run


def create_run(run_dir: str | os.PathLike, config: Mapping[str, Any]) -> Path:
    """Make the run directory (and its parents) and write its validated ``config.json``.

    Raises:
        CheckpointError: the folder cannot be created, or the config is malformed.
    """
    run = Path(run_dir)
    try:
        run.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"cannot create {run}: {error.strerror or error}") from error
    save_config(run, config)
    return run


def load_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Read and validate ``run_dir/config.json``.

    Raises:
        CheckpointError: the folder or file is missing, or the config is malformed.
    """
    path = _run_path(run_dir) / CONFIG_FILE
    return validate_config(
        read_json(path, "the run's configuration, written by `juanji train`"), path
    )


# ---------------------------------------------------------------------- checkpoints
def before_rename(point: str, epoch: int) -> None:
    """The instant just before a rename of epoch ``epoch``'s checkpoint; does nothing.

    A test seam: ``point`` is one of ``FAULT_POINTS``; tests replace this function (e.g. with
    one that sends the process ``SIGKILL`` at ``("commit", 2)``) to crash a run at that step.
    """


def _epoch_name(epoch: int) -> str:
    return f"e{epoch:04d}"


def _replace_file(path: Path, data: bytes, point: str, epoch: int) -> None:
    """``replace_file`` with the test seam ``before_rename`` just before the rename."""
    replace_file(path, data, lambda: before_rename(point, epoch))


def _publish(source: Path, target: Path, point: str, epoch: int) -> None:
    """Make ``target`` the same file as ``source`` (a hard link, else a copy), atomically."""
    with contextlib.suppress(FileNotFoundError):
        if os.path.samefile(source, target):
            return
    temporary = target.with_name(f".{target.name}.{os.getpid()}.link.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:  # a file system without hard links
        _replace_file(target, source.read_bytes(), point, epoch)
        return
    try:
        before_rename(point, epoch)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


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

    The epoch's folder is written whole under a ``.partial`` name and renamed; the record
    ``training_state.json`` is then replaced by one naming it (the commit); finally the
    top-level ``model.safetensors`` and ``metrics.json`` are pointed at the new files and
    older epoch folders removed. Ctrl-C is deferred until all that is done.

    Args:
        run_dir: the run directory (it must exist).
        epoch: the number of completed epochs (1 after the first).
        model_state: ``model.state_dict()``.
        metrics: the content of ``metrics.json`` (strict JSON: no NaN or infinity).
        optimizer_state: ``optimizer.state_dict()``; its buffers go to safetensors, the rest
            to JSON.
        training_state: anything else needed to resume (scheduler state, RNG states...),
            JSON-able.

    Raises:
        CheckpointError: a file cannot be written (the message names it), or a value is not
            finite.
    """
    run = Path(run_dir)
    folders = run / CHECKPOINTS_DIR
    name = _epoch_name(epoch)
    partial, final = folders / f".{name}.partial", folders / name
    optimizer_arrays, optimizer_json = (
        split_optimizer_state(optimizer_state) if optimizer_state is not None else ({}, None)
    )
    state = {"optimizer": optimizer_json, **dict(training_state or {})}
    record = {"format": STATE_FORMAT, "epoch": epoch, "folder": f"{CHECKPOINTS_DIR}/{name}"}
    target = partial
    try:
        files = {METRICS_FILE: json_bytes(METRICS_FILE, metrics)}
        files[_OPTIMIZER_JSON] = json_bytes(_OPTIMIZER_JSON, state)
        with interrupts_deferred():
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            save_file(model_state, partial / MODEL_FILE, metadata={"epoch": str(epoch)})
            save_file(optimizer_arrays, partial / _OPTIMIZER_ARRAYS)
            for file_name, data in files.items():
                atomic_write_bytes(partial / file_name, data)
            before_rename("folder", epoch)
            if final.exists():  # an epoch redone after a crash before its commit
                shutil.rmtree(final)
            target = final
            os.replace(partial, final)
            target = run / STATE_FILE
            _replace_file(target, json_bytes(STATE_FILE, record), "commit", epoch)
            _publish_and_prune(run, final, epoch)
    except ValueError as error:
        raise CheckpointError(f"checkpoint of epoch {epoch} not written: {error}") from error
    except OSError as error:
        raise CheckpointError(
            f"cannot write {target}: {error.strerror or error}; check that the folder is "
            f"writable and the disk has space (earlier checkpoints are intact)"
        ) from error


def _publish_and_prune(run: Path, folder: Path, epoch: int) -> None:
    """Point the top-level files at ``folder``'s; remove every other epoch folder."""
    _publish(folder / MODEL_FILE, run / MODEL_FILE, "publish-model", epoch)
    _publish(folder / METRICS_FILE, run / METRICS_FILE, "publish-metrics", epoch)
    for other in (run / CHECKPOINTS_DIR).iterdir():
        if other != folder and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _committed(run: Path) -> tuple[int, Path] | None:
    """(epoch, folder) of the run's commit record; None when no epoch was committed."""
    path = run / STATE_FILE
    if not path.is_file():
        return None
    record = read_json(path, "the record of the last checkpoint")
    epoch, folder = record.get("epoch"), record.get("folder")
    if (
        record.get("format") != STATE_FORMAT
        or not isinstance(epoch, int)
        or epoch < 1
        or folder != f"{CHECKPOINTS_DIR}/{_epoch_name(epoch)}"
    ):
        raise CheckpointError(
            f"{path} is not a checkpoint record written by this juanji (format, epoch or "
            f"folder entry wrong); the run cannot be resumed, start it again"
        )
    if not (run / folder).is_dir():
        raise CheckpointError(f"{run / folder} is missing although {path} names it")
    return epoch, run / folder


def committed_epoch(run_dir: str | os.PathLike) -> int:
    """Epochs in the run's last committed checkpoint; 0 when none was committed.

    Raises:
        CheckpointError: the record is damaged.
    """
    found = _committed(_run_path(run_dir))
    return 0 if found is None else found[0]


def weights_path(run_dir: str | os.PathLike) -> Path:
    """The weights file juanji reads: the committed epoch's, else the top-level copy.

    Raises:
        CheckpointError: the folder is missing or the record is damaged.
    """
    run = _run_path(run_dir)
    found = _committed(run)
    return run / MODEL_FILE if found is None else found[1] / MODEL_FILE


def load_weights(run_dir: str | os.PathLike) -> dict[str, Tensor]:
    """Read the weights of the run's committed epoch (or its top-level ``model.safetensors``).

    Raises:
        CheckpointError: the folder or the weights are missing or damaged.
    """
    return read_weights(run_dir)[0]


def read_weights(run_dir: str | os.PathLike) -> tuple[dict[str, Tensor], Path, str | None]:
    """``load_weights``, with the file it read and a note when the top-level copy differs.

    juanji always reads the committed epoch's ``model.safetensors`` (the weights that
    ``config.json``, ``metrics.json`` and ``--resume`` describe); the top-level copy is for other
    programs. When someone replaced that copy (it is no longer the same file, nor the same
    bytes), the note says which file is read, so that the answers do not silently come from
    other weights than the ones the user sees.

    Returns:
        ``(state_dict, the path read, a one-line note or None)``.

    Raises:
        CheckpointError: the folder or the weights are missing or damaged.
    """
    run = _run_path(run_dir)
    found = _committed(run)
    path = run / MODEL_FILE if found is None else found[1] / MODEL_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{path} is missing: the run has no weights yet (training stopped before its first "
            f"epoch ended); train again, or resume it with `juanji train --resume {run_dir}`"
        )
    state = load_file(path)
    note = None
    if found is not None and _copy_differs(run / MODEL_FILE, path):
        note = (
            f"note: {run / MODEL_FILE} differs from the committed checkpoint; juanji reads "
            f"{path} (the weights config.json and metrics.json describe); to use the other "
            f"file, put it in a new folder with a copy of config.json"
        )
    return state, path, note


def _copy_differs(copy: Path, committed: Path) -> bool:
    """Whether the top-level ``copy`` exists and holds other bytes than ``committed``."""
    try:
        if not copy.is_file() or os.path.samefile(copy, committed):
            return False  # the usual case: a hard link to the committed file
        return not filecmp.cmp(copy, committed, shallow=False)  # sizes first, then bytes
    except OSError:
        return False  # unreadable: nothing to compare, the committed file is read anyway


def load_metrics(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Read the metrics of the run's committed epoch (or its top-level ``metrics.json``)."""
    run = _run_path(run_dir)
    found = _committed(run)
    folder = run if found is None else found[1]
    return read_json(folder / METRICS_FILE, "per-epoch metrics")


def tidy_run(run_dir: str | os.PathLike) -> list[Path]:
    """Remove what an interrupted checkpoint left; refresh the top-level copies.

    Removes hidden ``.NAME.XXXX.tmp`` files of the run, ``.partial`` epoch folders and epoch
    folders the record does not name; then points ``model.safetensors`` and ``metrics.json``
    at the committed epoch's files. Call it only when no other process writes the run.

    Returns:
        The paths removed.
    """
    run = _run_path(run_dir)
    found = _committed(run)
    removed = [p for p in run.glob(".*.tmp") if p.is_file()]
    folders = run / CHECKPOINTS_DIR
    if folders.is_dir():
        removed += [p for p in folders.iterdir() if found is None or p != found[1]]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if found is not None:
        try:
            _publish_and_prune(run, found[1], found[0])
        except OSError as error:
            raise CheckpointError(f"cannot update {run}: {error.strerror or error}") from error
    return removed


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
        CheckpointError: no checkpoint was committed yet, or its files are damaged.
    """
    run = _run_path(run_dir)
    found = _committed(run)
    if found is None:
        raise CheckpointError(
            f"{run / STATE_FILE} is missing: {run} has no completed epoch to resume from; start "
            f"the run again without --resume"
        )
    epoch, folder = found
    model_state = load_file(folder / MODEL_FILE)
    arrays = load_file(folder / _OPTIMIZER_ARRAYS)
    state = read_json(folder / _OPTIMIZER_JSON, "the state --resume continues from")
    metrics = read_json(folder / METRICS_FILE, "per-epoch metrics")
    optimizer = state.pop("optimizer", None)
    optimizer_state = None if optimizer is None else join_optimizer_state(arrays, optimizer)
    return ResumeState(epoch, model_state, optimizer_state, metrics, state)
