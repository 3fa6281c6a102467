"""Reading ``torch.save`` files (zip and legacy) without trusting a single number in them.

Every size a file declares (a storage's element count, a zip entry's length, a tensor's size,
stride and offset) is checked against the bytes actually present before anything is allocated:

* a storage holds exactly the bytes its entry (zip) or its length field (legacy) has; a zip
  entry may expand at most ``MAX_EXPANSION`` times its compressed bytes, and all entries read
  together at most ``MAX_EXPANSION`` times the file (a stored entry, as torch writes, expands 1x);
* a tensor is a view of its storage, as in PyTorch: a stride-0 or overlapping layout costs no
  memory (and is read-only, as juanji's ``expand`` is); its last element must lie inside the
  storage, so sizes, strides and offsets are non-negative integers that fit;
* the legacy format's first pass (finding where the object's pickle ends) allocates nothing.

Anything wrong is a ``CheckpointError`` naming the file and the problem.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
import zipfile
from typing import Any

import numpy as np

from juanji.errors import CheckpointError
from juanji.nn.parameter import Parameter
from juanji.serialization._pickle import StorageType, TorchUnpickler, _is_count
from juanji.tensor.tensor import Tensor

__all__ = ["MAX_EXPANSION", "check_kind", "read_checkpoint"]

#: How many times its compressed size a zip entry, and all entries read, may expand.
MAX_EXPANSION = 64
_MAX_DIMS = 32  # NumPy 1's limit (NumPy 2 allows 64); PyTorch files rarely pass 8
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def check_kind(data: bytes, name: str) -> None:
    """Recognise the files that are not checkpoints and say what they are."""
    if data[:2] == b"PK" or data[:1] == b"\x80":
        return
    if not data:
        raise CheckpointError(f"juanji.load: {name} is empty (0 bytes): it holds no checkpoint")
    if data[257:262] == b"ustar":
        raise CheckpointError(
            f"juanji.load: {name} uses PyTorch's oldest (tar, before 0.4) format, which juanji "
            "does not read; load it once with torch and save it again with torch.save (any "
            "PyTorch from 1.6 on writes the zip format)"
        )
    if len(data) > 9 and data[8:9] == b"{":
        raise CheckpointError(
            f"juanji.load: {name} is a safetensors file, not a torch.save file; read it with "
            "juanji.serialization.load_file"
        )
    raise CheckpointError(
        f"juanji.load: {name} is not a PyTorch checkpoint (it does not start as a zip archive "
        f"does; first bytes {data[:8]!r})"
    )


def read_checkpoint(data: bytes, name: str) -> Any:
    """The object in a checkpoint's bytes (``check_kind`` passed).

    Raises:
        CheckpointError: for anything the bytes provoke; MemoryError is not caught, since no
            allocation a file can ask for is larger than ``MAX_EXPANSION`` times the file.
    """
    try:
        if data[:1] == b"\x80":
            return _read_legacy(data, name)
        return _read_archive(data, name)
    except CheckpointError:
        raise
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever else the bytes provoke is damage
        raise CheckpointError(
            f"juanji.load: {name} is truncated or damaged ({type(error).__name__}: "
            f"{str(error)[:200]}). If it is still being written or downloaded, wait for that "
            "to finish; otherwise write or fetch it again (the file was not changed)"
        ) from error


def _damaged(name: str, problem: str) -> CheckpointError:
    return CheckpointError(f"juanji.load: {name}: {problem}; the file is damaged")


class _Entries:
    """The zip entries of one archive, each read once its declared sizes are checked."""

    def __init__(self, data: bytes, name: str) -> None:
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        self.infos = {info.filename: info for info in self.archive.infolist()}
        self.name, self.size, self.budget = name, len(data), MAX_EXPANSION * len(data)

    def read(self, entry: str, expected: int | None = None) -> bytes:
        info = self.infos.get(entry)
        if info is None:
            raise CheckpointError(f"juanji.load: {self.name} lacks the entry {entry!r}")
        size, packed = info.file_size, info.compress_size
        if expected is not None and size != expected:
            raise _damaged(self.name, f"entry {entry!r} holds {size} bytes, expected {expected}")
        if packed > self.size or (info.compress_type == zipfile.ZIP_STORED and size != packed):
            raise _damaged(self.name, f"entry {entry!r} declares {packed} stored bytes for "
                           f"{size}, in a file of {self.size}")
        if size > MAX_EXPANSION * max(packed, 1) or size > self.budget:
            raise CheckpointError(
                f"juanji.load: refusing {self.name}: entry {entry!r} would expand to {size} "
                f"bytes from {packed} (juanji.load expands an entry, and the file, at most "
                f"{MAX_EXPANSION} times)"
            )
        self.budget -= size
        with self.archive.open(info) as stream:  # stops at the declared size; checks the CRC
            raw = stream.read()
        if len(raw) != size:
            raise _damaged(self.name, f"entry {entry!r} holds {len(raw)} bytes, not {size}")
        return raw


def _read_archive(data: bytes, name: str) -> Any:
    entries = _Entries(data, name)
    pickles = [n for n in entries.infos if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(
            f"juanji.load: {name} is a zip archive but not a PyTorch checkpoint (expected one "
            f"'<folder>/data.pkl' entry, found {len(pickles)})"
        )
    prefix = pickles[0][: -len("data.pkl")]
    big = False
    if prefix + "byteorder" in entries.infos:
        big = entries.read(prefix + "byteorder").strip() == b"big"

    def load_storage(key: str, storage_type: StorageType, numel: int) -> np.ndarray:
        raw = entries.read(f"{prefix}data/{key}", numel * _itemsize(storage_type))
        return _storage_array(raw, storage_type, name, big, 9)

    stream = io.BytesIO(entries.read(pickles[0]))
    return TorchUnpickler(stream, load_storage, _rebuild, name).load()


def _itemsize(storage_type: StorageType) -> int:
    return np.dtype(storage_type.dtype or np.uint16).itemsize


def _storage_array(raw: bytes, storage_type: StorageType, name: str, big: bool, depth: int) -> Any:
    """The elements of one storage from exactly its bytes (bfloat16 widened to float32).

    ``depth`` is the number of frames between this function and ``juanji.load``'s caller.
    """
    dtype = np.dtype(storage_type.dtype or np.uint16).newbyteorder(">" if big else "<")
    array = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
    if storage_type.dtype is None:  # bfloat16: the high half of a float32
        warnings.warn(
            f"juanji.load: {name}: bfloat16 tensors become float32 (exactly: every bfloat16 "
            "is a float32); juanji has no bfloat16",
            stacklevel=depth,
        )
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array


class _Declared:
    """A legacy storage during the first pass: its element count, nothing allocated."""

    def __init__(self, storage_type: StorageType, numel: int) -> None:
        self.type, self.size = storage_type, numel


def _read_legacy(data: bytes, name: str) -> Any:
    """The legacy (pre-1.6) format: pickles in a row, then each storage as int64 numel + bytes.

    The header pickles (a magic number, the protocol 1001, the writer's type sizes) and the
    object come first, the storages after them; so the object is read once with ``_Declared``
    stand-ins to find where its pickle ends, then again with the real storages.
    """
    stream = io.BytesIO(data)
    declared: dict[str, _Declared] = {}

    def stand_in(key: str, storage_type: StorageType, numel: int) -> _Declared:
        return declared.setdefault(key, _Declared(storage_type, numel))

    def unpickle(load_storage: Any, rebuild: Any = _checked_only) -> Any:
        return TorchUnpickler(stream, load_storage, rebuild, name).load()

    if unpickle(stand_in) != _LEGACY_MAGIC or unpickle(stand_in) != 1001:
        raise CheckpointError(f"juanji.load: {name} is a pickle, but not a torch.save file")
    info = unpickle(stand_in)  # the writer's byte order and type sizes
    big = isinstance(info, dict) and info.get("little_endian") is False
    start = stream.tell()
    unpickle(stand_in)
    keys = unpickle(stand_in)
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(declared):
        raise _damaged(name, f"its storage list {keys!r:.80} is not the storages its tensors use")
    storages = {}
    for key in map(str, keys):
        storage = declared[key]
        header = stream.read(8)
        numel = struct.unpack("<q", header)[0] if len(header) == 8 else "no"
        nbytes, left = storage.size * _itemsize(storage.type), len(data) - stream.tell()
        if numel != storage.size or nbytes > left:
            raise _damaged(name, f"storage {key} declares {storage.size} elements, its data "
                           f"{numel}, and {left} bytes are left")
        storages[key] = _storage_array(stream.read(nbytes), storage.type, name, big, 5)
    stream.seek(start)
    return unpickle(lambda key, storage_type, numel: storages[key], _rebuild)


def _checked_only(name: str, kind: str, *args: Any) -> None:
    """The legacy first pass: check each tensor's layout against its declared storage."""
    if kind == "tensor":
        storage, offset, size, stride = args[:4]
        if not isinstance(storage, _Declared):
            raise _damaged(name, f"a tensor's storage is a {type(storage).__name__}")
        _check_layout(name, storage.size, offset, size, stride)


def _rebuild(name: str, kind: str, *args: Any) -> Any:
    """A tensor (``kind`` 'tensor') or a Parameter around one (``kind`` 'parameter')."""
    if kind == "parameter":
        data, requires_grad = args
        if not isinstance(data, Tensor):
            raise _damaged(name, f"a parameter holds a {type(data).__name__}, not a tensor")
        return Parameter(data._data, requires_grad=bool(requires_grad))
    return _rebuild_tensor(name, *args)


def _check_layout(name: str, numel: int, offset: Any, size: Any, stride: Any) -> None:
    """Refuse a layout that is not integers, or reaches outside a storage of ``numel``."""
    layout = f"size {size!r:.60}, stride {stride!r:.60} and offset {offset!r:.30}"
    if not (
        isinstance(size, (tuple, list))
        and isinstance(stride, (tuple, list))
        and len(size) == len(stride) <= _MAX_DIMS
        and all(_is_count(n) for n in (offset, *size, *stride))
    ):
        raise _damaged(name, f"a tensor has {layout} (not non-negative integers of one length)")
    if math.prod(max(n, 1) for n in size) >= 2**62 // 8:  # NumPy counts an empty one's too
        raise _damaged(name, f"a tensor has {layout}: more elements than NumPy can index")
    reach = sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    last = offset + reach if all(size) else offset - 1  # an empty tensor: offset <= numel
    if last >= numel:
        raise _damaged(name, f"a tensor with {layout} does not fit its storage of {numel} "
                       "elements")


def _overlaps(size: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    """Whether two indices of the layout reach one element (stride 0, or strides that cross)."""
    reach = 0  # the largest offset the smaller-stride dims reach
    for step, count in sorted((s, n) for n, s in zip(size, stride, strict=True) if n > 1):
        if step <= reach:
            return True
        reach += (count - 1) * step
    return False


def _rebuild_tensor(
    name: str, storage: Any, offset: Any, size: Any, stride: Any,
    requires_grad: bool = False, *rest: Any,
) -> Tensor:
    """The tensor ``storage[offset:]`` viewed with ``size`` and ``stride`` (no copy, as torch)."""
    if not isinstance(storage, np.ndarray):
        raise _damaged(name, f"a tensor's storage is a {type(storage).__name__}")
    _check_layout(name, storage.size, offset, size, stride)
    if not all(size):
        return Tensor(storage[:0].reshape(size), requires_grad=bool(requires_grad))
    pairs = zip(size, stride, strict=True)
    steps = tuple(s * storage.itemsize if n > 1 else 0 for n, s in pairs)  # size-1 dims: any
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=steps,
        writeable=not _overlaps(tuple(size), tuple(stride)),
    )
    return Tensor(view, requires_grad=bool(requires_grad))
