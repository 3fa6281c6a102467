"""Save and load a state_dict as a ``.safetensors`` file, written atomically.

The format (https://github.com/huggingface/safetensors) is an 8-byte little-endian header
length, a JSON header naming each tensor's dtype, shape and byte range, then the raw bytes. It
holds arrays and string metadata only, so loading a file can never run code (a pickle can). The
encoding itself is done by the ``safetensors`` package's NumPy API, imported on first use; a
file written here loads with ``safetensors.numpy.load_file`` or, in PyTorch, with
``safetensors.torch.load_file`` followed by ``model.load_state_dict``.

Every file is written atomically: the bytes go to a temporary file in the same folder, are
flushed to disk (``fsync``), and only then renamed over the target with ``os.replace``. A crash
or Ctrl-C while saving leaves either the old file or the new one, never a truncated mix.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import numpy as np

from juanji.backend import as_numpy
from juanji.errors import CheckpointError, MissingDependencyError
from juanji.tensor.tensor import Tensor

__all__ = ["save_file", "load_file", "load_metadata", "atomic_write_bytes"]

INSTALL_HINT = 'pip install "juanji[cli]"'
_CHUNK = 1 << 20  # bytes per write() call
_UMASK = os.umask(0o022)  # read the process umask (the only way) and put it back
os.umask(_UMASK)


def require_safetensors() -> None:
    """Fail now, with the install hint, if saving weights will fail later (no safetensors).

    ``juanji train`` calls this before it loads data or trains, so that a missing package is
    reported in the first second rather than after the first epoch.
    """
    _safetensors_numpy()


def _safetensors_numpy() -> ModuleType:
    """The ``safetensors.numpy`` module, or a JuanjiError saying how to install it."""
    try:
        import safetensors.numpy
    except ImportError as error:
        raise MissingDependencyError(
            f"saving and loading weights needs the safetensors package; install it with "
            f"{INSTALL_HINT}"
        ) from error
    return safetensors.numpy


def _write_all(handle: BinaryIO, data: bytes) -> None:
    """Write ``data`` to ``handle`` in chunks (a separate function so tests can break it)."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        handle.write(view[start : start + _CHUNK])


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Replace the file ``path`` with ``data`` so that readers see the old or the new bytes.

    The data goes to a temporary file next to ``path`` (same folder, so the rename stays on
    one file system), is fsync'ed, then renamed over ``path``. On any failure, including
    KeyboardInterrupt, the temporary file is removed and ``path`` is untouched.

    Args:
        path: the file to write; its folder must exist.
        data: the complete new contents.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        OSError: the folder is missing or not writable, or the disk is full.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> atomic_write_bytes(folder / "a.txt", b"hello").read_bytes()
        b'hello'
    """
    path = Path(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:  # name the file asked for, not the hidden temporary one
        if not path.parent.exists():
            raise FileNotFoundError(error.errno, "no such folder", str(path.parent)) from None
        raise type(error)(error.errno, error.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a rename to disk (POSIX; a no-op where folders can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _as_array(key: Any, value: Any) -> np.ndarray:
    if not isinstance(key, str):
        raise TypeError(f"save_file: keys must be strings, got {key!r}")
    if isinstance(value, Tensor):
        value = value._data
    if not hasattr(value, "shape"):
        raise TypeError(
            f"save_file: the value for {key!r} must be a Tensor or an array, "
            f"got {type(value).__name__}"
        )
    return np.asarray(as_numpy(value), order="C")  # C order, as the format stores; 0-d stays 0-d


def save_file(
    tensors: Mapping[str, Any],
    filename: str | os.PathLike,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``tensors`` (a state_dict) to ``filename`` in the safetensors format, atomically.

    Args:
        tensors: names to Tensors or NumPy arrays, e.g. ``model.state_dict()``; arrays on a
            GPU are copied to the host.
        filename: the file to create or replace.
        metadata: extra string-to-string entries for the header (``__metadata__``).

    Returns:
        The path written.

    Raises:
        TypeError: a key is not a string, or a value is not a Tensor or array.
        JuanjiError: the ``safetensors`` package is not installed.
        OSError: the file cannot be written (see ``atomic_write_bytes``).

    Example:
        >>> import tempfile, pathlib, juanji
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.safetensors"
        >>> _ = save_file({"weight": juanji.ones(2, 3)}, path, metadata={"epoch": "1"})
        >>> load_file(path)["weight"].shape, load_metadata(path)
        ((2, 3), {'epoch': '1'})
    """
    arrays = {key: _as_array(key, value) for key, value in tensors.items()}
    if metadata is not None:
        metadata = {str(key): str(value) for key, value in metadata.items()}
    data = _safetensors_numpy().save(arrays, metadata=metadata)
    return atomic_write_bytes(filename, data)


def _read(filename: str | os.PathLike) -> bytes:
    path = Path(filename)
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise CheckpointError(f"{path} does not exist") from error
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error


def _corrupt(path: Any, reason: Any) -> CheckpointError:
    return CheckpointError(
        f"{path} is not a valid safetensors file ({reason}); it may be truncated or "
        f"overwritten: delete it and save or train again"
    )


def load_file(filename: str | os.PathLike) -> dict[str, Tensor]:
    """Read a safetensors file into a dict of Tensors (a state_dict).

    The file is read into memory whole (no memory map stays open, so the file can be
    replaced right after).

    Args:
        filename: a file written by ``save_file``, ``safetensors.numpy.save_file`` or
            ``safetensors.torch.save_file``.

    Returns:
        Names to Tensors, in the file's order.

    Raises:
        CheckpointError: the file is missing, unreadable or not a valid safetensors file.
        JuanjiError: the ``safetensors`` package is not installed.
    """
    data = _read(filename)
    dtypes = _dtypes(filename, data)
    if "BF16" in dtypes.values():
        try:
            arrays = _load_with_bfloat16(filename, data)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise _corrupt(filename, f"a header entry is malformed ({error!r:.200})") from error
    else:
        unknown = sorted(set(dtypes.values()) - set(_NUMPY_DTYPES))
        if unknown:
            raise _unsupported(filename, unknown[0], dtypes)
        try:
            arrays = _safetensors_numpy().load(data)
        except Exception as error:  # noqa: BLE001 - SafetensorError has no public import path
            raise _corrupt(filename, error) from error
    return {key: Tensor(np.array(value)) for key, value in arrays.items()}


# The safetensors dtypes NumPy has; BF16 is read as float32 (below); others (F8_*) are refused.
_NUMPY_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}  # fmt: skip


def _unsupported(path: Any, dtype: str, dtypes: dict[str, str]) -> CheckpointError:
    key = next(k for k, v in dtypes.items() if v == dtype)
    return CheckpointError(
        f"{path}: tensor {key!r} has dtype {dtype}, which juanji cannot load (it reads "
        f"{', '.join(_NUMPY_DTYPES)} and BF16); convert the file to float32 with PyTorch"
    )


def _header(path: Any, data: bytes) -> tuple[dict[str, Any], int]:
    """The JSON header of the file bytes ``data`` and where the tensor bytes start."""
    if len(data) < 8:
        raise _corrupt(path, "shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + length])
    except (ValueError, RecursionError) as error:  # RecursionError: nested 10**5 deep
        raise _corrupt(path, "the header is not JSON") from error
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    return header, 8 + length


def _dtypes(path: Any, data: bytes) -> dict[str, str]:
    header, _ = _header(path, data)
    try:
        return {k: str(v["dtype"]) for k, v in header.items() if k != "__metadata__"}
    except (KeyError, TypeError) as error:
        raise _corrupt(path, f"a header entry lacks its dtype ({error})") from error


def _load_with_bfloat16(path: Any, data: bytes) -> dict[str, np.ndarray]:
    """Decode a file that holds bfloat16 tensors, which ``safetensors.numpy`` refuses.

    bfloat16 is the top half of a float32 (same sign and 8-bit exponent, 7 of the 23 mantissa
    bits), so shifting each 16-bit pattern left by 16 gives the same number as a float32,
    exactly: what ``tensor.float()`` gives in PyTorch.
    """
    header, start = _header(path, data)
    entries = sorted(
        ((k, v) for k, v in header.items() if k != "__metadata__"),
        key=lambda item: item[1].get("data_offsets", [0])[0],
    )
    arrays = {}
    for key, entry in entries:
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype != "BF16" and dtype not in _NUMPY_DTYPES:
            raise _unsupported(path, dtype, {key: dtype})
        item = np.dtype("<u2" if dtype == "BF16" else _NUMPY_DTYPES[dtype])
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(data) - start or end - begin != count * item.itemsize:
            raise _corrupt(path, f"tensor {key!r} has data offsets {[begin, end]} that do not "
                           f"fit its shape {shape} and the file's {len(data)} bytes")  # fmt: skip
        raw = np.frombuffer(data, item, count, start + begin)
        if dtype == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        arrays[key] = raw.astype(raw.dtype.newbyteorder("="), copy=True).reshape(shape)
    return arrays


def load_metadata(filename: str | os.PathLike) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file ({} if it has none).

    Reads only the header, with the standard library, so it works without ``safetensors``.

    Raises:
        CheckpointError: the file is missing, unreadable or has no valid header.
    """
    path = Path(filename)
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise _corrupt(path, "shorter than its 8-byte header length")
            (length,) = struct.unpack("<Q", prefix)
            # A corrupt length must not make us allocate petabytes: read at most the file.
            header_bytes = handle.read(min(length, os.fstat(handle.fileno()).st_size))
    except FileNotFoundError as error:
        raise CheckpointError(f"{path} does not exist") from error
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error
    if len(header_bytes) != length:
        raise _corrupt(path, f"header of {length} bytes but only {len(header_bytes)} present")
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError) as error:
        raise _corrupt(path, "the header is not JSON") from error
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return dict(metadata or {})
