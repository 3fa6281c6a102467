"""The pickle side of PyTorch's file format, without PyTorch: a restricted reader and a writer.

A ``torch.save`` file holds a pickle (``data.pkl``) whose tensors point, through *persistent
ids*, at raw storages stored beside it. Reading a pickle can call any function it names, so
``TorchUnpickler`` resolves only the names a checkpoint needs (the tensor and parameter
rebuilders, the storage types, ``OrderedDict``, ``Counter``, ``torch.Size``, sets, complex
numbers) and refuses everything else, as ``torch.load(weights_only=True)`` does. It is the
standard library's Python unpickler, not the C one: the C one grows its memo table to the largest
index a file names (a 16-byte pickle can make it allocate 32 GiB), the Python one keeps a dict.

Writing uses the standard library's pickler. The names of PyTorch's functions are written by
stand-in objects (``_TorchGlobal``) whose ``__reduce__`` returns the global's name: the pickler
then emits an ordinary GLOBAL opcode for them, without importing torch.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from juanji.errors import CheckpointError

__all__ = ["STORAGE_DTYPES", "TorchPickler", "TorchUnpickler", "UnsafePickleError"]

# PyTorch's typed storage names and the NumPy dtype of their elements (None: bfloat16, which
# NumPy lacks; its 16-bit patterns are widened to float32 on load).
STORAGE_DTYPES: dict[str, Any] = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,
    "ByteStorage": np.uint8,
    "CharStorage": np.int8,
    "ShortStorage": np.int16,
    "IntStorage": np.int32,
    "LongStorage": np.int64,
    "BoolStorage": np.bool_,
}
_STORAGE_NAMES = {np.dtype(d): name for name, d in STORAGE_DTYPES.items() if d is not None}


class UnsafePickleError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint's pickle names something other than tensors, containers and numbers."""


class StorageType:
    """What a ``torch.<Name>Storage`` global resolves to: the element dtype of a storage."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, STORAGE_DTYPES[name]


class TorchUnpickler(pickle._Unpickler):  # noqa: SLF001 - see the module docstring
    """An unpickler for ``data.pkl`` that admits only tensors, storages, containers and numbers.

    Args:
        file: the pickle's bytes, as a binary file.
        load_storage: ``load_storage(key, storage_type, numel)`` returns the storage's elements
            as a flat NumPy array; called once per storage key.
        rebuild: ``rebuild(where, kind, *args)`` builds a tensor (``kind`` is ``'tensor'`` with the
            arguments of ``torch._utils._rebuild_tensor_v2``, or ``'parameter'``).
        where: the file's name, for messages.

    Raises (from ``load()``):
        UnsafePickleError: the pickle names any other global (``os.system``, ``builtins.eval``).
    """

    def __init__(
        self,
        file: io.BufferedIOBase,
        load_storage: Callable[[str, StorageType, int], np.ndarray],
        rebuild: Callable[..., Any],
        where: str,
    ) -> None:
        super().__init__(file, encoding="utf-8")
        self._load_storage, self._rebuild, self._where = load_storage, rebuild, where
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str) -> Any:
        """Resolve only the globals a checkpoint of tensors needs."""
        module = "builtins" if module == "__builtin__" else module  # Python 2 names, protocol 2
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        allowed = {
            ("torch._utils", "_rebuild_tensor_v2"): self._tensor,
            ("torch._utils", "_rebuild_parameter"): self._parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self._parameter,
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("collections", "Counter"): collections.Counter,
            ("torch", "Size"): self._size,
            ("builtins", "set"): set,
            ("builtins", "frozenset"): frozenset,
            ("builtins", "complex"): complex,
            ("builtins", "bytearray"): self._bytearray,
            ("_codecs", "encode"): _latin1_encode,
        }
        found = allowed.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"juanji.load: refusing to load {self._where}: its pickle names {module}.{name}, "
                "which is not a tensor, storage, container or number. juanji.load never runs "
                "code from a file (as torch.load(weights_only=True)); if you trust the file, "
                "load it with torch and save its state_dict() instead"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        """A storage named by ``('storage', type, key, location, numel)``, read once per key."""
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise UnsafePickleError(
                f"juanji.load: {self._where}: unknown persistent id {pid!r:.80} (expected a "
                "tensor storage)"
            )
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if not _is_count(numel):
            raise CheckpointError(
                f"juanji.load: {self._where}: storage {key} declares {numel!r:.40} elements (not "
                "a count); the file is damaged"
            )
        if len(pid) > 5 and pid[5] is not None:  # a legacy storage view (PyTorch before 1.0)
            raise CheckpointError(
                f"juanji.load: {self._where} holds a storage view (PyTorch before 1.0), which "
                "juanji does not read; re-save the file with a recent torch"
            )
        if not isinstance(storage_type, StorageType):
            raise UnsafePickleError(
                f"juanji.load: {self._where}: storage {key} has type {storage_type!r:.80}"
            )
        if key not in self._storages:
            self._storages[key] = self._load_storage(key, storage_type, numel)
        return self._storages[key]

    def _tensor(self, storage: Any, offset: int, size: Any, stride: Any, *rest: Any) -> Any:
        return self._rebuild(self._where, "tensor", storage, offset, size, stride, *rest)

    def _parameter(self, data: Any, requires_grad: bool = True, *rest: Any) -> Any:
        return self._rebuild(self._where, "parameter", data, requires_grad)

    def _size(self, dims: Any = ()) -> tuple[int, ...]:
        """``torch.Size`` becomes a tuple of ints (juanji's shapes are tuples)."""
        if not isinstance(dims, (tuple, list)) or not all(_is_count(d) for d in dims):
            raise CheckpointError(
                f"juanji.load: {self._where}: torch.Size({dims!r:.60}) is not a list of sizes; "
                "the file is damaged"
            )
        return tuple(dims)

    def _bytearray(self, source: Any = b"", *args: Any) -> bytearray:
        """From bytes or text only: ``bytearray(n)`` would allocate n zero bytes."""
        if not isinstance(source, (bytes, bytearray, str)):
            raise UnsafePickleError(
                f"juanji.load: refusing {self._where}: its pickle asks for "
                f"bytearray({type(source).__name__}); a bytearray is rebuilt from its bytes, "
                "never made to a size a file names"
            )
        return bytearray(source, *args)


    def _load_build(self) -> None:
        """BUILD (``obj.__dict__.update(state)``) only on an OrderedDict: its ``_metadata``."""
        state, target = self.stack[-1], self.stack[-2]
        if type(target) is not collections.OrderedDict or not (
            isinstance(state, dict) and all(isinstance(k, str) and k[:2] != "__" for k in state)
        ):
            raise UnsafePickleError(
                f"juanji.load: refusing {self._where}: its pickle sets the state of a "
                f"{type(target).__name__}; only a state_dict's metadata may be set"
            )
        pickle._Unpickler.load_build(self)  # noqa: SLF001

    def _load_bytearray8(self) -> None:
        """BYTEARRAY8 from the bytes present (the library's allocates the declared length)."""
        (size,) = struct.unpack("<Q", self.read(8))
        data = self.read(size)
        if len(data) != size:
            raise pickle.UnpicklingError(f"a bytearray of {size} bytes has only {len(data)}")
        self.append(bytearray(data))

    dispatch = dict(pickle._Unpickler.dispatch)  # noqa: SLF001
    dispatch[pickle.BUILD[0]] = _load_build
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8


def _is_count(value: Any) -> bool:
    """A non-negative Python int below 2**62 (a size, stride, offset or element count)."""
    return type(value) is int and 0 <= value < 2**62


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles write bytes as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding != "latin1":
        raise UnsafePickleError("juanji.load: refusing _codecs.encode other than str -> latin1")
    return text.encode("latin1")


# ----------------------------------------------------------------------------- writing


class _TorchGlobal:
    """Stands for the PyTorch global ``module.name`` in a pickle being written."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __reduce__(self) -> str:
        return self.name  # a string: "pickle me as the global of that name"

    def __call__(self, *args: Any) -> Any:  # pickle requires a reduce function to be callable
        raise TypeError(f"{self.module}.{self.name} is a stand-in for writing pickles")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")


class _Storage:
    """A storage to be written as ``data/<key>``: its persistent id names it in the pickle."""

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array
        self.type = _TorchGlobal("torch", _STORAGE_NAMES[array.dtype])


class TorchPickler(pickle._Pickler):  # the Python pickler: its save_global can be extended
    """Pickle ``obj`` as ``torch.save`` would, with tensors replaced by storage references.

    Args:
        file: where the pickle goes.
        as_array: returns ``(array, is_parameter, requires_grad)`` for a tensor, None for any
            other object.

    After ``dump()``, ``storages`` lists the ``_Storage`` objects to write, in key order.
    """

    def __init__(self, file: io.BufferedIOBase, as_array: Callable[[Any], Any]) -> None:
        super().__init__(file, protocol=2)
        self._as_array = as_array
        self.storages: list[_Storage] = []
        self._by_tensor: dict[int, tuple[Any, _Storage]] = {}

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if isinstance(obj, _TorchGlobal):  # a name only: torch need not be importable
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _Storage):
            return ("storage", obj.type, obj.key, "cpu", int(obj.array.size))
        return None

    def reducer_override(self, obj: Any) -> Any:
        found = self._as_array(obj)
        if found is None:
            return NotImplemented
        array, is_parameter, requires_grad = found
        if array.dtype not in _STORAGE_NAMES:
            raise TypeError(f"juanji.save: cannot write a tensor of dtype {array.dtype}")
        entry = self._by_tensor.get(id(obj))
        if entry is None:  # the same tensor twice shares one storage, as in torch
            storage = _Storage(str(len(self.storages)), np.ascontiguousarray(array).reshape(-1))
            self.storages.append(storage)
            self._by_tensor[id(obj)] = entry = (obj, storage)  # obj kept alive: id stays unique
        stride = tuple(int(np.prod(array.shape[i + 1 :])) for i in range(array.ndim))
        hooks = collections.OrderedDict()
        args = (entry[1], 0, tuple(int(n) for n in array.shape), stride, False, hooks)
        if not is_parameter:
            return (_REBUILD_TENSOR, args[:4] + (bool(requires_grad), hooks))
        return (_REBUILD_PARAMETER, (_Rebuilt(args), bool(requires_grad), hooks))


class _Rebuilt:
    """The tensor inside a parameter: ``_rebuild_tensor_v2(*args)`` in the pickle."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args

    def __reduce__(self) -> tuple[Any, ...]:
        return (_REBUILD_TENSOR, self.args)
