"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a header followed by the array's bytes in C order, big-endian::

    bytes 0-1   0x00 0x00                  (every IDX file starts with two zero bytes)
    byte  2     type code                  0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                           0x0D float32, 0x0E float64
    byte  3     number of dimensions D     (>= 1)
    4 * D       the sizes, uint32 big-endian each
    the rest    prod(sizes) values         (nothing before, nothing after)

So the magic number of MNIST's image file is 0x00000803 (uint8, 3 dimensions) and of its label
file 0x00000801. Files may be gzip-compressed; ``read_idx`` recognises gzip by its first two bytes
(0x1F 0x8B), not by the file name. A file whose magic number, type, or length does not add up is
refused with a ``DataError`` that names it and says what to do: it is never used half-read.
"""

from __future__ import annotations

import gzip
import os
import secrets
import zlib
from pathlib import Path

import numpy as np

from juanji.errors import DataError

__all__ = [
    "read_idx",
    "read_idx_bytes",
    "gunzip_if_compressed",
    "parse_idx",
    "encode_idx",
    "write_idx",
    "write_atomic",
    "REMEDY",
]

# IDX type code -> big-endian NumPy dtype, and the reverse for writing.
_CODE_TO_DTYPE = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_TO_CODE = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}
_GZIP_MAGIC = b"\x1f\x8b"

REMEDY = "delete it and run again to download a fresh copy"


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    r"""The uncompressed bytes of an IDX file, gunzipped when it is gzip-compressed.

    Args:
        path: the file, raw or gzip (detected from its first bytes).

    Returns:
        The IDX bytes (header and data), exactly as ``encode_idx`` would write them.

    Raises:
        DataError: the file cannot be read or its gzip stream is truncated or corrupt.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "x-idx1-ubyte.gz")
        ...     write_idx(path, np.arange(3, dtype=np.uint8))
        ...     read_idx_bytes(path)
        b'\x00\x00\x08\x01\x00\x00\x00\x03\x00\x01\x02'
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from error
    return gunzip_if_compressed(raw, path)


def gunzip_if_compressed(raw: bytes, name: str | os.PathLike = "<bytes>") -> bytes:
    """``raw`` decompressed if it starts with the gzip magic bytes, else ``raw`` itself.

    Raises:
        DataError: a gzip stream that is truncated or corrupt (naming ``name``).

    Example:
        >>> gunzip_if_compressed(gzip.compress(b"idx")), gunzip_if_compressed(b"idx")
        (b'idx', b'idx')
    """
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(
            f"{name} is a truncated or corrupt gzip file ({error}); {REMEDY}"
        ) from error


def parse_idx(data: bytes, name: str | os.PathLike = "<bytes>") -> np.ndarray:
    """Decode IDX bytes into a native-endian NumPy array, checking header and exact length.

    Args:
        data: the uncompressed IDX bytes.
        name: the file name to put in error messages.

    Returns:
        A new, writable array with the file's shape and dtype (big-endian types are converted to
        the machine's byte order).

    Raises:
        DataError: bad magic number, unknown type code, zero dimensions, or a length that is not
            exactly header + prod(sizes) * itemsize.

    Example:
        >>> parse_idx(bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9]))
        array([[7, 9]], dtype=uint8)
    """
    if len(data) < 4:
        raise DataError(f"{name} is too short to be an IDX file ({len(data)} bytes); {REMEDY}")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    magic = int.from_bytes(data[:4], "big")
    if zero0 != 0 or zero1 != 0 or code not in _CODE_TO_DTYPE or ndim == 0:
        raise DataError(
            f"{name} has a bad magic number 0x{magic:08X} (an IDX file starts with 00 00, "
            f"a type code and a dimension count), so it is not an IDX file; {REMEDY}"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(f"{name} is truncated inside its header; {REMEDY}")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = _CODE_TO_DTYPE[code]
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "too long"
        raise DataError(
            f"{name} is {what}: an IDX file of shape {shape} and type {dtype.name} has "
            f"{expected} bytes, this one {len(data)}; {REMEDY}"
        )
    array = np.frombuffer(data, dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a copy: writable and native-endian


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a NumPy array.

    Args:
        path: the file.

    Returns:
        The array, native-endian and writable.

    Raises:
        DataError: the file is unreadable, truncated, too long, or not IDX.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "y-idx2-ubyte")
        ...     write_idx(path, np.array([[1, 2], [3, 4]], dtype=np.uint8))
        ...     read_idx(path)
        array([[1, 2],
               [3, 4]], dtype=uint8)
    """
    return parse_idx(read_idx_bytes(path), path)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes (header and big-endian data) of an array.

    Args:
        array: uint8, int8, int16, int32, float32 or float64; at least one dimension.

    Returns:
        The bytes of the uncompressed IDX file.

    Raises:
        ValueError: unsupported dtype, zero dimensions, or a size past 2**32 - 1.

    Example:
        >>> encode_idx(np.array([5, 0], dtype=np.uint8)).hex()
        '00000801000000020500'
    """
    array = np.asarray(array)
    code = _KIND_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"encode_idx: dtype {array.dtype} has no IDX type code")
    if array.ndim == 0 or array.ndim > 255 or any(s >= 2**32 for s in array.shape):
        raise ValueError(f"encode_idx: shape {array.shape} cannot be written as IDX")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, _CODE_TO_DTYPE[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write an array as an IDX file, atomically (a temporary file renamed into place).

    Args:
        path: the destination; an existing file is replaced only once the new one is complete.
        array: see ``encode_idx``.
        compress: gzip the file; by default when ``path`` ends in ``.gz``. The gzip header
            carries no time stamp, so the same array always gives the same bytes.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "z-idx1-ubyte")
        ...     write_idx(path, np.zeros(4, dtype=np.uint8))
        ...     os.path.getsize(path)
        12
    """
    path = Path(path)
    data = encode_idx(array)
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it.

    The temporary name is unique (process id and random digits) and the file gets the usual
    permissions (the umask applies), unlike ``tempfile.mkstemp``'s owner-only mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
