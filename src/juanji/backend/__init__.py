"""The one place that chooses the array library: NumPy on the CPU, CuPy on a GPU when installed.

Ops call ``xp = xp_of(array)`` once and use ``xp.`` for everything after; nothing else in juanji
branches on the device. CuPy is imported lazily and only when a ``cuda`` device is asked for or a
CuPy array is seen, so ``import juanji`` needs NumPy alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

__all__ = [
    "Device",
    "as_device",
    "xp_of",
    "to_device",
    "as_numpy",
    "sliding_window_view",
    "as_strided",
    "scatter_add",
    "cupy_or_none",
    "set_num_threads",
    "get_num_threads",
    "set_memory_budget",
    "get_memory_budget",
    "memory_budget",
    "op_threads",
    "run_tasks",
    "transposed",
]

_cupy: ModuleType | None = None
_cupy_checked = False


def cupy_or_none() -> ModuleType | None:
    """Return the ``cupy`` module if it imports and sees a GPU, else ``None`` (checked once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional GPU backend, imported only when asked for

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy = None
    return _cupy


class Device:
    """Where a tensor's memory lives: ``Device('cpu')`` or ``Device('cuda')``; prints like torch."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu") -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda', got {spec!r}")
        kind, _, index = spec.partition(":")
        if kind not in ("cpu", "cuda") or (index and not index.isdigit()):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        self.type = kind
        self.index = int(index) if index else None

    def __repr__(self) -> str:
        suffix = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{suffix})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def as_device(spec: str | Device | None) -> Device:
    """Normalise a device argument; ``'cuda'`` without CuPy and a GPU is a clear error."""
    device = Device("cpu" if spec is None else spec)
    if device.type == "cuda" and cupy_or_none() is None:
        raise RuntimeError(
            "device 'cuda' needs CuPy and an NVIDIA GPU; install cupy (pip install "
            "'cupy-cuda12x') or use device='cpu'"
        )
    return device


def xp_of(*arrays: Any) -> ModuleType:
    """Return the array module (numpy or cupy) that holds these arrays."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array: Any) -> Device:
    """Return the Device an array lives on."""
    return Device("cuda") if xp_of(array) is not np else Device("cpu")


def to_device(array: Any, device: Device) -> Any:
    """Copy an array to ``device`` (no copy when it is already there)."""
    if device.type == "cpu":
        return as_numpy(array)
    cupy = cupy_or_none()
    assert cupy is not None, "as_device() checked that CuPy is present"
    return cupy.asarray(array)


def as_numpy(array: Any) -> np.ndarray:
    """Return a NumPy array (copying from the GPU if needed)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def scatter_add(target: Any, indices: Any, values: Any) -> None:
    """``target[indices] += values`` with repeated indices accumulated (``np.add.at``)."""
    xp = xp_of(target)
    if xp is np:
        np.add.at(target, indices, values)
    else:  # pragma: no cover - GPU only
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(target, indices, values)


# ------------------------------------------------------------------------------ BLAS threads
# NumPy's matrix products run in its BLAS (OpenBLAS in the NumPy wheels), which has its own
# thread pool. These names are what OpenBLAS builds export: the NumPy >= 2 wheels
# (scipy-openblas, 64-bit integers), older wheels, and a system OpenBLAS.
# Per build: the thread setter and getter, and the (prefix, suffix, integer type) of its CBLAS
# names (cblas_somatcopy, the out-of-place transpose used by ``transposed``).
_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_", "scipy_", "64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads", "scipy_", ""),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_", "", "64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads", "", ""),
)
_blas_functions: tuple[Any, Any] | None = None
_blas_transposers: dict[str, Any] = {}  # numpy dtype char ('f', 'd') -> ?omatcopy
_blas_checked = False


def _loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries mapped into this process (Linux), else NumPy's lib dir."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
        return sorted(p for p in paths if p.startswith("/"))
    except OSError:  # not Linux: look where NumPy's build says its BLAS lives
        blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        folder = blas.get("lib directory") or ""
        if not os.path.isdir(folder):
            return []
        return [os.path.join(folder, f) for f in os.listdir(folder) if "openblas" in f.lower()]


def _openblas_functions() -> tuple[Any, Any] | None:
    """``(set, get)`` thread functions of the OpenBLAS NumPy loaded, or None (checked once)."""
    global _blas_functions, _blas_checked
    if not _blas_checked:
        _blas_checked = True
        for path in _loaded_openblas():
            try:
                library = ctypes.CDLL(path)  # already loaded: this only returns its handle
            except OSError:
                continue
            for set_name, get_name, prefix, suffix in _OPENBLAS_SYMBOLS:
                if hasattr(library, set_name) and hasattr(library, get_name):
                    setter, getter = getattr(library, set_name), getattr(library, get_name)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    _blas_functions = (setter, getter)
                    _find_transposers(library, prefix, suffix)
                    return _blas_functions
    return _blas_functions


def _find_transposers(library: Any, prefix: str, suffix: str) -> None:
    integer = ctypes.c_int64 if suffix else ctypes.c_int
    for char, real in (("f", ctypes.c_float), ("d", ctypes.c_double)):
        name = f"{prefix}cblas_{'s' if char == 'f' else 'd'}omatcopy{suffix}"
        if hasattr(library, name):
            function = getattr(library, name)
            function.restype = None
            # (order, trans, rows, cols, alpha, a, lda, b, ldb)
            function.argtypes = [ctypes.c_int, ctypes.c_int, integer, integer, real]
            function.argtypes += [ctypes.c_void_p, integer, ctypes.c_void_p, integer]
            _blas_transposers[char] = function


def transposed(a: Any) -> Any:
    """A C-contiguous copy of ``a.T`` for a C-contiguous 2-D array, cache-blocked.

    NumPy copies a transposed view element by element across cache lines (2 GB/s: 3.8 ms for
    LeNet-sized or 3x3-conv-sized 8 MB activations); OpenBLAS's ``cblas_somatcopy`` does it in
    blocks, 7x faster. Used where juanji changes an activation's layout (``_ops/conv.py``).
    Falls back to NumPy for other arrays, dtypes and BLAS builds.
    """
    _openblas_functions()
    function = _blas_transposers.get(a.dtype.char) if isinstance(a, np.ndarray) else None
    if function is None or a.ndim != 2 or not a.flags.c_contiguous or a.size == 0:
        return xp_of(a).ascontiguousarray(a.T)
    rows, cols = a.shape
    out = np.empty((cols, rows), dtype=a.dtype)
    function(
        101, 112, rows, cols, 1.0, a.ctypes.data, cols, out.ctypes.data, rows
    )  # RowMajor, Trans
    return out


def set_num_threads(threads: int) -> bool:
    """Set how many threads juanji uses: NumPy's BLAS threads and juanji's own workers.

    The counterpart of ``torch.set_num_threads``. Big matrix products are split by the BLAS
    (OpenBLAS) itself; small ops, where handing every GEMM to another BLAS thread costs more
    than it saves, split their work into independent tasks instead (see ``op_threads``).

    Returns False when NumPy's BLAS is not an OpenBLAS juanji can reach (Accelerate on macOS,
    MKL builds): juanji's workers follow ``threads`` then, the BLAS keeps its own setting.

    Raises:
        ValueError: ``threads`` is not a positive int.
    """
    global _threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"set_num_threads: threads expected a positive int, got {threads!r}")
    _threads = threads
    functions = _openblas_functions()
    if functions is None:
        return False
    functions[0](threads)
    return True


def get_num_threads() -> int:
    """Threads juanji uses (default: as many as NumPy's BLAS starts with, usually the cores)."""
    global _threads
    if _threads is None:  # read once: op_threads lowers the BLAS count inside small ops
        functions = _openblas_functions()
        _threads = max(1, int(functions[1]())) if functions is not None else 1
    return _threads


_threads: int | None = None
_pool: Any = None  # (workers, ThreadPoolExecutor), created on first use

# How an op uses the threads (op_threads). A matrix product under SMALL_OP_MACS multiply-adds
# runs on one BLAS thread: handing a small GEMM to a second BLAS thread costs a wake-up and a
# barrier per call, and on a busy core the barrier waits for a time slice. An op that can split
# its work into independent tasks (convolution: slabs of rows, grad_W beside grad_x) does so
# instead, with single-threaded GEMMs: one hand-off per op, and its copies (im2col, col2im)
# run in parallel too, which BLAS threads never do. Under TASK_MIN_MACS even that hand-off and
# the GIL between NumPy calls cost more than a second core gives (LeNet5's first conv, 15 M).
SMALL_OP_MACS = 64 * 2**20
TASK_MIN_MACS = 24 * 2**20


@contextlib.contextmanager
def op_threads(macs: int, splits: bool = False) -> Iterator[int]:
    """How an op of ``macs`` multiply-adds uses the threads: yields its number of tasks.

    An op that ``splits`` gets ``get_num_threads()`` tasks (1 when it is under
    ``TASK_MIN_MACS``) for ``run_tasks``, and single-threaded BLAS inside the block. Any other
    op gets 1: its GEMMs use the BLAS threads when it is big (``SMALL_OP_MACS``), one when not.

    Example:
        >>> with op_threads(10, splits=True) as tasks:  # a tiny op: one task
        ...     tasks
        1
    """
    threads = get_num_threads()
    if threads == 1 or (not splits and macs >= SMALL_OP_MACS):
        yield 1
        return
    functions = _openblas_functions()
    blas = None if functions is None else functions[1]()
    if blas is not None and blas > 1:
        functions[0](1)
    try:
        yield threads if splits and macs >= TASK_MIN_MACS else 1
    finally:
        if blas is not None and blas > 1:
            functions[0](blas)


def run_tasks(tasks: list[Any]) -> list[Any]:
    """Run zero-argument callables in parallel (the caller runs the first); their results.

    NumPy releases the GIL inside copies, ufuncs and matrix products on large arrays, so tasks
    made of those run on separate cores. Tasks must not write to the same memory.
    """
    global _pool
    if len(tasks) <= 1:
        return [task() for task in tasks]
    workers = len(tasks) - 1
    if _pool is None or _pool[0] < workers:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only when threaded

        if _pool is not None:
            _pool[1].shutdown(wait=False)
        _pool = (workers, ThreadPoolExecutor(workers, thread_name_prefix="juanji"))
    futures = [_pool[1].submit(task) for task in tasks[1:]]
    first = tasks[0]()
    return [first] + [future.result() for future in futures]


# ----------------------------------------------------------------------------- memory budget
_memory_budget = 256 * 2**20


def set_memory_budget(nbytes: int) -> None:
    """Set the largest temporary work array one op may build at once, in bytes.

    Convolution lowers to a matrix product over its im2col matrix, which holds about
    ``prod(kernel_size) / prod(stride)`` copies of the input; when that matrix would pass the
    budget it is built and multiplied in slabs (rows of the output, then samples), with the same
    results, so a large batch or image never exhausts memory. Default: 256 MiB.
    ``memory_budget`` sets it for a ``with`` block.

    Raises:
        ValueError: ``nbytes`` is not a positive int.
    """
    global _memory_budget
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < 1:
        raise ValueError(f"set_memory_budget: nbytes expected a positive int, got {nbytes!r}")
    _memory_budget = nbytes


def get_memory_budget() -> int:
    """The current work-array budget in bytes (see ``set_memory_budget``)."""
    return _memory_budget


@contextlib.contextmanager
def memory_budget(nbytes: int) -> Iterator[None]:
    """Use ``set_memory_budget(nbytes)`` inside a ``with`` block, then restore the old budget.

    Example:
        >>> with memory_budget(2**20):
        ...     get_memory_budget()
        1048576
    """
    previous = get_memory_budget()
    set_memory_budget(nbytes)
    try:
        yield
    finally:
        set_memory_budget(previous)
