"""What juanji runs on: the array library, NumPy's BLAS, the cores and the memory budget.

One file per role: ``array`` (NumPy or CuPy, devices, the spellings that differ between them),
``blas`` (OpenBLAS threads and its fast transpose, through ctypes), ``tasks`` (the thread count
and the task pool ops split their work over) and ``memory`` (the work-array budget). The names
below are the ones the rest of juanji imports; ``from juanji.backend import xp_of`` and
``juanji.backend.set_num_threads`` stay the way to reach them.
"""

from juanji.backend.array import (
    Device,
    as_device,
    as_numpy,
    as_strided,
    cupy_or_none,
    device_of,
    scatter_add,
    sliding_window_view,
    to_device,
    xp_of,
)
from juanji.backend.blas import transposed
from juanji.backend.memory import get_memory_budget, memory_budget, set_memory_budget
from juanji.backend.tasks import (
    SMALL_OP_MACS,
    TASK_MIN_MACS,
    get_num_threads,
    op_threads,
    run_tasks,
    set_num_threads,
)

__all__ = [
    "Device",
    "as_device",
    "xp_of",
    "device_of",
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
    "SMALL_OP_MACS",
    "TASK_MIN_MACS",
]
