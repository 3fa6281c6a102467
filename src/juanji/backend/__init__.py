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
    "gemm_threads",
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
_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)
_blas_functions: tuple[Any, Any] | None = None
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
            for set_name, get_name in _OPENBLAS_SYMBOLS:
                if hasattr(library, set_name) and hasattr(library, get_name):
                    setter, getter = getattr(library, set_name), getattr(library, get_name)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    _blas_functions = (setter, getter)
                    return _blas_functions
    return _blas_functions


def set_num_threads(threads: int) -> bool:
    """Set how many threads NumPy's BLAS (OpenBLAS) uses for matrix products.

    The counterpart of ``torch.set_num_threads``; everything else in juanji is single-threaded.

    Returns False, changing nothing, when NumPy's BLAS is not an OpenBLAS juanji can reach
    (Accelerate on macOS, MKL builds); set that library's own variable then.

    Raises:
        ValueError: ``threads`` is not a positive int.
    """
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"set_num_threads: threads expected a positive int, got {threads!r}")
    functions = _openblas_functions()
    if functions is None:
        return False
    functions[0](threads)
    return True


def get_num_threads() -> int | None:
    """Threads NumPy's BLAS uses for matrix products; None when juanji cannot tell."""
    functions = _openblas_functions()
    return None if functions is None else int(functions[1]())


# Below this many multiply-adds an op's matrix products run on one BLAS thread. Handing a small
# GEMM to a second thread costs a wake-up and a barrier per call, more than it saves, and on a
# busy core the barrier waits for a time slice: LeNet5's training step (GEMMs of 0.5-6 M
# multiply-adds) took 10.1 ms with one OpenBLAS thread and 14.6 ms with two (benchmarks/README).
SMALL_OP_MACS = 64 * 2**20


@contextlib.contextmanager
def gemm_threads(macs: int) -> Iterator[None]:
    """Run the block's BLAS calls on one thread when ``macs`` (the op's work) is small.

    Example:
        >>> with gemm_threads(10):  # a tiny op: one thread inside, the setting restored after
        ...     pass
    """
    functions = _openblas_functions() if macs < SMALL_OP_MACS else None
    threads = 1 if functions is None else functions[1]()
    if threads <= 1:
        yield
        return
    functions[0](1)
    try:
        yield
    finally:
        functions[0](threads)


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
