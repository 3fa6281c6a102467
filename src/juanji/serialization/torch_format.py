"""``juanji.save`` / ``juanji.load``: PyTorch's checkpoint file format, without PyTorch.

The format is the one ``torch.save`` writes since PyTorch 1.6: a zip archive (entries stored,
not compressed) holding, under one folder,

* ``data.pkl``: a protocol-2 pickle of the object, in which each tensor is a call to
  ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` and each storage a
  persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)``;
* ``data/<key>``: each storage's raw little-endian bytes (aligned to 64 bytes in the archive);
* ``byteorder``, ``version``, ``.format_version``, ``.storage_alignment``: small text records.

So ``torch.load(path, weights_only=True)`` reads what ``juanji.save`` writes, and ``juanji.load``
reads what ``torch.save`` writes, through a restricted unpickler that admits only tensors,
containers and numbers: a file cannot run code. Nor can it make ``juanji.load`` allocate more
than it holds: every declared size is checked against the bytes present first, tensors are views
of their storages as in torch, and a compressed entry may expand at most ``MAX_EXPANSION`` (64)
times (see ``_torch_reader``).

Example:
    >>> import io, juanji
    >>> buffer = io.BytesIO()
    >>> juanji.save({"epoch": 3, "w": juanji.tensor([1.0, 2.0])}, buffer)
    >>> _ = buffer.seek(0)
    >>> juanji.load(buffer, weights_only=True)
    {'epoch': 3, 'w': tensor([1., 2.])}
"""

from __future__ import annotations

import codecs
import collections
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from juanji.backend import as_numpy
from juanji.nn.parameter import Parameter
from juanji.serialization._pickle import TorchPickler
from juanji.serialization._torch_reader import MAX_EXPANSION, check_kind, read_checkpoint
from juanji.serialization.safetensors import atomic_write_bytes
from juanji.tensor.tensor import Tensor

__all__ = ["save", "load", "MAX_EXPANSION"]

_ALIGNMENT = 64
# What a protocol-2 pickle names to rebuild OrderedDicts, Counters (MultiStepLR's milestones),
# sets, complex numbers and bytes.
_NAMED = (collections.OrderedDict, collections.Counter, set, frozenset, complex, codecs.encode)
_PLAIN = (dict, list, tuple, set, frozenset, str, bytes, int, float, bool, complex, type(None))


def save(
    obj: Any,
    f: str | os.PathLike | io.IOBase,
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    *,
    format: str = "torch",  # noqa: A002 - the option's name in the issue
) -> None:
    """Write ``obj`` (tensors in dicts, lists, tuples, numbers, strings) as ``torch.save`` does.

    ``torch.load(f, weights_only=True)`` reads the file. Writes to a path are atomic: the file
    appears complete or not at all, and a failed write leaves no temporary file behind.

    Args:
        obj: a state_dict, an optimiser's state_dict, a checkpoint dict nesting them with
            numbers and strings, a tensor, or containers of these.
        f: a path, or a binary file object opened for writing.
        pickle_module: accepted for compatibility; must be None or the ``pickle`` module.
        pickle_protocol: the pickle protocol, 2 (PyTorch's default) to 5.
        _use_new_zipfile_serialization: must be True: the legacy format is not written.
        format: ``'torch'`` (default, whatever ``f``'s suffix: as ``torch.save``) or
            ``'safetensors'`` (a flat dict of tensors only; see ``save_file``).

    Raises:
        TypeError: ``obj`` holds something that is not a tensor, container or number (such
            as a whole ``Module``: save its ``state_dict()``), or a dtype torch lacks.
        ValueError: an unknown ``format`` or an unsupported option.
    """
    if format == "safetensors":
        from juanji.serialization.safetensors import save_file

        save_file(obj, f)
        return
    if format != "torch":
        raise ValueError(f"juanji.save: format must be 'torch' or 'safetensors', got {format!r}")
    if pickle_module not in (None, pickle) or not 2 <= pickle_protocol <= 5:
        raise ValueError(
            "juanji.save: pickle_module must be None or pickle, and pickle_protocol 2 to 5 "
            f"(got {pickle_module!r}, {pickle_protocol!r})"
        )
    if not _use_new_zipfile_serialization:
        raise ValueError(
            "juanji.save: the legacy (pre-1.6) format is not written; "
            "_use_new_zipfile_serialization must be True"
        )
    data = _archive(obj, pickle_protocol)
    if isinstance(f, (str, os.PathLike)):
        atomic_write_bytes(f, data)
    else:
        f.write(data)


def load(
    f: str | os.PathLike | io.IOBase,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Read a file written by ``torch.save`` or ``juanji.save``, as ``torch.load`` would.

    Tensors come back as juanji Tensors (``nn.Parameter`` where the file holds one), in the
    file's containers; as in torch, each is a view of its storage (tensors that shared one still
    do, and a stride-0 tensor costs one element; an overlapping view is read-only).
    Only tensors, storages, ``OrderedDict``, lists, dicts, tuples, sets,
    strings and numbers are admitted, whatever ``weights_only`` says: a pickle naming anything
    else (a module class, ``os.system``...) is refused before it runs.

    Args:
        f: a path, or a binary file object.
        map_location: accepted for compatibility: ``None``, ``'cpu'``, a ``device``, a dict or
            a function all load onto the CPU (the only place a file's storages can be read);
            another device name moves the tensors there after loading.
        pickle_module: must be None or ``pickle``.
        weights_only: accepted; loading is always restricted as ``weights_only=True``.
        mmap: accepted and ignored (the file is read whole).
        pickle_load_args: accepted for compatibility (``encoding=``...), ignored.

    Returns:
        The saved object.

    Raises:
        CheckpointError: the file is not a PyTorch checkpoint (a safetensors file, the tar
            format of PyTorch before 0.4...), or is truncated or damaged (a size, stride or
            offset that is not a non-negative integer or reaches past its storage, a storage
            whose bytes are not its declared count, a zip entry expanding more than
            ``MAX_EXPANSION`` times); the message names the file and says which. The legacy
            (1.0 to 1.5, non-zip) format is read.
        UnsafePickleError: the pickle names a global that is not a tensor, container or number.
    """
    del mmap, pickle_load_args
    if pickle_module not in (None, pickle):
        raise ValueError(
            f"juanji.load: pickle_module must be None or pickle, got {pickle_module!r}"
        )
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    data = Path(f).read_bytes() if isinstance(f, (str, os.PathLike)) else f.read()
    check_kind(data, name)
    return _to_location(read_checkpoint(data, name), map_location)


# ----------------------------------------------------------------------------- writing


def _as_array(obj: Any) -> Any:
    """``(array, is_parameter, requires_grad)`` for a tensor; None for what pickles as it is."""
    if isinstance(obj, Tensor):
        return as_numpy(obj._data), isinstance(obj, Parameter), bool(obj.requires_grad)
    if type(obj) in _PLAIN or type(obj) in (collections.OrderedDict, collections.Counter):
        return None
    if any(obj is named for named in _NAMED):  # globals protocol 2 names for these values
        return None
    if type(obj).__module__ == "juanji.serialization._pickle":  # the writer's own stand-ins
        return None
    raise TypeError(
        f"juanji.save: cannot write a {type(obj).__module__}.{type(obj).__qualname__}: files "
        "hold tensors, dicts, lists, tuples, strings and numbers only (what "
        "torch.load(weights_only=True) reads); save model.state_dict() instead of a model, "
        "and juanji.from_numpy(array) instead of a NumPy array"
    )


def _archive(obj: Any, protocol: int) -> bytes:
    """The complete zip archive of ``obj``, as bytes."""
    pickled = io.BytesIO()
    pickler = TorchPickler(pickled, _as_array)
    pickler.proto = protocol
    pickler.dump(_plain_numbers(obj))
    records = [("data.pkl", pickled.getvalue()), ("byteorder", b"little")]
    records += [(f"data/{s.key}", _little_endian(s.array).tobytes()) for s in pickler.storages]
    records += [("version", b"3\n"), (".format_version", b"1"), (".storage_alignment", b"64")]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in records:
            info = zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            # Pad the local header so the payload starts at a multiple of 64 bytes, as torch
            # does (its memory-mapped loading needs aligned storages).
            start = output.tell() + 30 + len(info.filename.encode()) + 4
            padding = -start % _ALIGNMENT
            info.extra = struct.pack("<HH", 0x4246, padding) + b"Z" * padding
            archive.writestr(info, payload)
    return output.getvalue()


def _plain_numbers(obj: Any) -> Any:
    """``obj`` with NumPy scalars (``np.float32(0.5)``) as Python numbers, which torch reads."""
    if isinstance(obj, np.generic):
        return obj.item()
    if type(obj) in (dict, collections.OrderedDict):
        converted = type(obj)((k, _plain_numbers(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            converted._metadata = obj._metadata  # type: ignore[attr-defined]
        return converted
    if type(obj) in (list, tuple):
        return type(obj)(_plain_numbers(v) for v in obj)
    return obj


def _little_endian(array: np.ndarray) -> np.ndarray:
    return array.astype(array.dtype.newbyteorder("<"), copy=False)


def _to_location(obj: Any, map_location: Any) -> Any:
    """Move the tensors in ``obj`` to ``map_location`` when it names a device other than CPU."""
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return obj
    if str(map_location).split(":")[0] == "cpu":
        return obj
    return _map(obj, lambda t: t.to(map_location))


def _map(obj: Any, function: Any) -> Any:
    if isinstance(obj, Tensor):
        return function(obj)
    if isinstance(obj, dict):
        return type(obj)((k, _map(v, function)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map(v, function) for v in obj)
    return obj
