"""The generic pieces of a crash-safe checkpoint, which know nothing of run directories.

Strict JSON files, atomic replaces, Ctrl-C held back, and an optimiser's ``state_dict()`` split
into arrays (safetensors) and JSON, then joined back.

This module knows nothing of run directories (their layout, config and commit record belong
to ``juanji.apps.training.run_directory``), nor of modules or optimisers: it stores the plain
dicts that ``state_dict()`` gives. No file holds pickled objects: arrays are safetensors,
everything else is strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from juanji.errors import CheckpointError
from juanji.serialization.safetensors import atomic_write_bytes
from juanji.tensor.tensor import Tensor

__all__ = [
    "write_json",
    "json_bytes",
    "read_json",
    "replace_file",
    "interrupts_deferred",
    "split_optimizer_state",
    "join_optimizer_state",
]


# ---------------------------------------------------------------------- JSON files
def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path``, atomically.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
        >>> read_json(write_json(path, {"epoch": 1}), "a test file")
        {'epoch': 1}
    """
    return atomic_write_bytes(path, json_bytes(path, data))


def json_bytes(path: str | os.PathLike, data: Any) -> bytes:
    """Strict JSON (RFC 8259 has no NaN or Infinity; many readers refuse them)."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError as error:
        raise ValueError(f"cannot write {path}: a value is NaN or infinite ({error})") from None
    return text.encode("utf-8")


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


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
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


def split_optimizer_state(state_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
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


def join_optimizer_state(arrays: Mapping[str, Tensor], saved: Mapping[str, Any]) -> dict:
    """The inverse of ``split_optimizer_state``: a dict ``Optimizer.load_state_dict`` takes."""
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in saved["state"].items()}
    for key, value in arrays.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": saved["param_groups"]}


def replace_file(path: Path, data: bytes, before_rename: Callable[[], None] | None = None) -> None:
    """``atomic_write_bytes`` with a call between the temporary file and the rename.

    ``before_rename`` lets a caller mark that instant (a test seam that stops the process there).
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if before_rename is not None:
            before_rename()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
