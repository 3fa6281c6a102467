"""How juanji uses the cores: a thread count, the rule for splitting an op, and a task pool.

``set_num_threads`` sets both NumPy's BLAS threads and juanji's own workers. Big matrix products
are split by the BLAS; an op that can cut its work into independent tasks (convolution: slabs of
output rows, grad_weight beside grad_input) runs them with ``run_tasks`` on a thread pool,
each with single-threaded BLAS (``op_threads`` decides which, from the op's multiply-adds).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from juanji.backend.blas import blas_threads, set_blas_threads


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
    return set_blas_threads(threads)


def get_num_threads() -> int:
    """Threads juanji uses (default: as many as NumPy's BLAS starts with, usually the cores)."""
    global _threads
    if _threads is None:  # read once: op_threads lowers the BLAS count inside small ops
        blas = blas_threads()
        _threads = max(1, blas) if blas is not None else 1
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
# Tests lower TASK_MIN_MACS (monkeypatch) to make a small convolution split.
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
    blas = blas_threads()
    if blas is not None and blas > 1:
        set_blas_threads(1)
    try:
        yield threads if splits and macs >= TASK_MIN_MACS else 1
    finally:
        if blas is not None and blas > 1:
            set_blas_threads(blas)


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
