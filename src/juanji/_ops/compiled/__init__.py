"""Optional Numba-compiled kernels (``pip install juanji[fast]``): direct depthwise conv, pooling.

juanji stays NumPy-only: nothing here imports Numba until ``kernels(name)`` is first asked for a
kernel module, and without Numba (or with ``juanji.backends.compiled.enabled = False``, whose
default ``JUANJI_NUMBA=0`` in the environment sets, as CI does to
test the NumPy path) ``enabled()`` is False and every caller keeps its NumPy code. The compiled
functions are ``cache=True``: a second process loads them from ``__pycache__`` instead of
compiling again (a few seconds per kernel and dtype the first time).

Layout. A kernel sees its arrays in one canonical order, ``(A, C, H, W, B)`` C-contiguous, where
``B`` is the batch when the caller's array is batch-last in memory (the output of the ``gemm``
conv: ``(C, H, W, N)``) and 1 otherwise (NCHW). ``canonical`` builds that view (a copy only when
the array is in neither layout) and ``from_canonical`` turns a result back into ``(N, C, H, W)``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from juanji.backend import get_num_threads

__all__ = ["enabled", "set_enabled", "kernels", "canonical", "from_canonical", "is_batch_last"]

_state: dict[str, Any] = {"enabled": None, "modules": {}}


def _numba_importable() -> bool:
    try:
        import numba  # noqa: F401, PLC0415 - optional: juanji[fast]
    except ImportError:
        return False
    return True


def enabled() -> bool:
    """Whether the compiled kernels are used: Numba importable and ``JUANJI_NUMBA`` is not 0."""
    if _state["enabled"] is None:
        wanted = os.environ.get("JUANJI_NUMBA", "1").strip().lower() not in ("0", "false", "no")
        _state["enabled"] = wanted and _numba_importable()
    return _state["enabled"]


def set_enabled(value: bool | None) -> None:
    """Turn the compiled kernels on or off for this process (None: back to the environment).

    Raises:
        ValueError: ``value`` is True and Numba is not installed.
    """
    if value and not _numba_importable():
        raise ValueError(
            "juanji._ops.compiled.set_enabled: Numba is not installed "
            "(pip install 'juanji[fast]' or pip install numba)"
        )
    _state["enabled"] = None if value is None else bool(value)


# A compiled call of less work than this (multiply-adds, or numbers moved) runs on one thread:
# waking Numba's second worker costs more than it saves there, and on a busy machine the
# parallel region waits for that worker's time slice (measured: a batch-8 depthwise 3x3 took
# 0.23 ms on one thread and 28 ms on two while the other core was busy).
PARALLEL_MIN_WORK = 8 * 2**20


def kernels(name: str, work: int = PARALLEL_MIN_WORK) -> Any:
    """The compiled kernel module ``juanji._ops.compiled.<name>``, with Numba's threads set.

    Call only when ``enabled()``. Numba runs its ``prange`` loops on juanji's thread count
    (``juanji.backend.set_num_threads``), capped at the threads Numba started with, or on one
    thread when the call's ``work`` is under ``PARALLEL_MIN_WORK``.
    """
    modules = _state["modules"]
    if name not in modules:
        _choose_threading_layer()
        modules[name] = importlib.import_module(f"juanji._ops.compiled.{name}")
    import numba  # noqa: PLC0415 - optional, and already imported by the kernel module

    threads = min(get_num_threads(), numba.config.NUMBA_NUM_THREADS)
    if work < PARALLEL_MIN_WORK:
        threads = 1
    if numba.get_num_threads() != threads:
        numba.set_num_threads(threads)
    return modules[name]


def _choose_threading_layer() -> None:
    """Numba's own thread pool ("workqueue") unless NUMBA_THREADING_LAYER says otherwise.

    Numba picks OpenMP when it finds it, and then shares GNU OpenMP with PyTorch in the same
    process: its ``set_num_threads`` became PyTorch's too (measured: after one compiled call,
    ``torch.get_num_threads()`` read 2 where it had been set to 1, and PyTorch's LeNet5 step
    went from 48 to 394 ms on this busy machine; with workqueue, 46 and 31 ms).
    """
    import numba  # noqa: PLC0415 - optional: juanji[fast]

    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"


def is_batch_last(x: Any) -> bool:
    """Whether the (N, C, *sizes) array x is (C, *sizes, N) C-contiguous in memory."""
    if x.shape[0] <= 1:
        return False
    return x.transpose(tuple(range(1, x.ndim)) + (0,)).flags.c_contiguous


def canonical(x: Any, batch_last: bool) -> Any:
    """The (A, C, H, W, B) C-contiguous form of an (N, C, H, W) array (see the module docstring)."""
    import numpy as np  # noqa: PLC0415

    if batch_last:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))[None]  # (1, C, H, W, N)
    return np.ascontiguousarray(x)[..., None]  # (N, C, H, W, 1)


def from_canonical(y: Any, batch_last: bool) -> Any:
    """(A, C, H, W, B) -> the (N, C, H, W) view."""
    return y[0].transpose(3, 0, 1, 2) if batch_last else y[..., 0]
