"""NumPy's BLAS, reached through ctypes: its thread count and a cache-blocked transpose.

NumPy's matrix products run in its BLAS (OpenBLAS in the NumPy wheels), which has its own thread
pool and no Python API to size it. juanji finds the OpenBLAS library NumPy already loaded and
calls its C functions: the thread setter and getter, and ``cblas_?omatcopy``. Any other BLAS
(Accelerate, MKL) is left alone and these helpers report that they could not reach it.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

import numpy as np

from juanji.backend.array import xp_of

# What OpenBLAS builds export: the NumPy >= 2 wheels (scipy-openblas, 64-bit integers), older
# wheels, and a system OpenBLAS.
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


def blas_threads() -> int | None:
    """Threads the OpenBLAS that NumPy loaded uses now, or None when juanji cannot reach it."""
    functions = _openblas_functions()
    return None if functions is None else int(functions[1]())


def set_blas_threads(threads: int) -> bool:
    """Set OpenBLAS's thread count; False when juanji cannot reach NumPy's BLAS."""
    functions = _openblas_functions()
    if functions is None:
        return False
    functions[0](threads)
    return True
