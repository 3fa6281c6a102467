"""The default process group: which rank this process is, how many there are, and how to stop.

A job is started by an MPI launcher (``mpiexec -n 4 python train.py``, ``srun``, ``mpirun
-hostfile``); each process calls ``init_process_group()`` and reads its rank and the world size
from MPI. A process started without a launcher gets a group of one (rank 0 of 1) and never
imports mpi4py, so a data-parallel script also runs as a plain ``python train.py``.

Faults end the whole job instead of hanging it:

* an exception that reaches the top of any rank prints its traceback there and calls
  ``MPI_Abort``, which makes the launcher kill every other rank (``init_process_group`` installs
  the hook, ``destroy_process_group`` removes it);
* every collective waits with a deadline (``timeout``, 30 minutes by default as in PyTorch):
  a rank that waits longer, because another rank died, hangs or called a different collective,
  says so on stderr and aborts the job.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import sys
import time
from typing import Any

from juanji.errors import MissingDependencyError

__all__ = [
    "ProcessGroup",
    "init_process_group",
    "destroy_process_group",
    "is_initialized",
    "is_available",
    "is_mpi_available",
    "get_rank",
    "get_world_size",
    "get_backend",
    "get_node_local_rank",
]

# Environment variables that MPI launchers set in each process they start: MPICH's Hydra and
# Intel MPI (PMI_*), PMIx-based launchers (Open MPI 5, Slurm's srun --mpi=pmix), Open MPI 4,
# MVAPICH.
_LAUNCHER_VARIABLES = (
    "PMI_RANK",
    "PMI_SIZE",
    "PMIX_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "MV2_COMM_WORLD_SIZE",
)
_BACKENDS = ("mpi", "gloo")  # gloo: PyTorch's CPU backend name, so its scripts run unchanged
_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
_HINT = 'the MPI backend needs mpi4py and an MPI library: pip install "juanji[distributed]"'


class ProcessGroup:
    """The ranks of one job: a communicator (None for a group of one), this rank and the size.

    Attributes:
        comm: the mpi4py communicator, or None when the job is this process alone.
        timeout: seconds any collective may wait before the job is aborted.
    """

    def __init__(self, comm: Any, rank: int, size: int, timeout: float) -> None:
        self.comm = comm
        self._rank = rank
        self._size = size
        self.timeout = timeout
        self._node: tuple[int, int] | None = None

    def node_rank_and_size(self) -> tuple[int, int]:
        """This rank's place among the ranks on its machine, and their number.

        The ranks sharing memory with this one (MPI's ``COMM_TYPE_SHARED`` split, a collective
        the first time: every rank must call it). A machine's cores are shared by that many
        processes, so each may use ``cores // size`` threads.
        """
        if self._node is None:
            if self.comm is None:
                self._node = (0, 1)
            else:
                node = self.comm.Split_type(mpi().COMM_TYPE_SHARED, key=self._rank)
                self._node = (node.Get_rank(), node.Get_size())
                node.Free()
        return self._node

    def rank(self) -> int:
        """This process's rank in the group."""
        return self._rank

    def size(self) -> int:
        """The number of ranks in the group."""
        return self._size

    def abort(self, message: str) -> None:
        """Print ``message`` on stderr and end every rank of the job (``MPI_Abort``)."""
        sys.stderr.write(f"juanji.distributed: rank {self._rank} of {self._size}: {message}\n")
        sys.stderr.flush()
        if self.comm is not None:
            self.comm.Abort(1)
        raise SystemExit(1)  # pragma: no cover - Abort does not return

    def wait(self, requests: list[Any], what: str) -> None:
        """Wait for MPI ``requests`` to complete, aborting the job past the timeout.

        Spins for the first 2 ms (small collectives finish there), then polls with growing
        sleeps up to 1 ms, so a rank that waits for a slow one leaves its core free.
        """
        if not requests:
            return
        test_all = type(requests[0]).Testall
        start = time.monotonic()
        pause = 0.0
        while not test_all(requests):
            waited = time.monotonic() - start
            if waited > self.timeout:
                self.abort(
                    f"waited {waited:.0f} s in {what} for the other ranks (timeout "
                    f"{self.timeout:g} s): a rank died, hangs, or called another collective; "
                    "aborting the job"
                )
            if waited > 0.002:
                time.sleep(pause)
                pause = min(1e-3, pause * 2 or 5e-5)


_world: ProcessGroup | None = None
_previous_excepthook: Any = None


def _launched_by_mpi() -> bool:
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def mpi() -> Any:
    """``mpi4py.MPI``, or MissingDependencyError with the install hint."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise MissingDependencyError(
            f"init_process_group: launched by an MPI launcher, but {_HINT} ({error})"
        ) from None
    return MPI


def _seconds(timeout: Any) -> float:
    if timeout is None:
        return _DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        seconds = float(timeout)
    else:
        raise TypeError(
            f"init_process_group: timeout must be a datetime.timedelta, got "
            f"{type(timeout).__name__}"
        )
    if seconds <= 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {seconds} s")
    return seconds


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the job: read this process's rank and the world size from MPI.

    Under an MPI launcher the group is ``MPI.COMM_WORLD``; without one it is this process alone
    (rank 0 of 1) and mpi4py is not imported. Rank and size always come from the launcher:
    ``world_size`` and ``rank``, when given (PyTorch scripts pass them), must agree with it.

    Args:
        backend: ``"mpi"`` (the default) or ``"gloo"``, accepted as a name for the same MPI
            collectives so that PyTorch CPU scripts run unchanged.
        init_method: accepted and ignored: MPI's launcher has already connected the ranks.
        timeout: how long any collective may wait for the other ranks before the job is
            aborted (a ``datetime.timedelta``). Default: 30 minutes.
        world_size: the expected number of ranks, or -1.
        rank: the expected rank of this process, or -1.
        store: PyTorch's; must be None (MPI connects the ranks).
        group_name: PyTorch's; must be empty.
        pg_options: PyTorch's; must be None.
        device_id: PyTorch's; must be None (CPU only).

    Raises:
        RuntimeError: if the default group is already initialised.
        ValueError: for another backend, or a ``world_size``/``rank`` the launcher contradicts.
        MissingDependencyError: launched by MPI without mpi4py installed.
    """
    global _world, _previous_excepthook
    if _world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in _BACKENDS:
        raise ValueError(
            f"init_process_group: backend must be one of {_BACKENDS} (juanji's collectives run "
            f"over MPI), got {backend!r}"
        )
    if store is not None or group_name or pg_options is not None or device_id is not None:
        raise ValueError(
            "init_process_group: store, group_name, pg_options and device_id are not supported"
        )
    seconds = _seconds(timeout)
    if _launched_by_mpi():
        comm = mpi().COMM_WORLD
        _check_launcher_size(comm.Get_size())
        group = ProcessGroup(comm, comm.Get_rank(), comm.Get_size(), seconds)
    else:
        group = ProcessGroup(None, 0, 1, seconds)
    for name, given, actual in (
        ("world_size", world_size, group.size()),
        ("rank", rank, group.rank()),
    ):
        if given not in (-1, None) and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given} but the MPI launcher made this process "
                f"{name} {actual} (launch with mpiexec -n N; the launcher decides both)"
            )
    _world = group
    if group.comm is not None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _check_launcher_size(size: int) -> None:
    """Refuse a job whose launcher and MPI library disagree on the number of processes.

    An mpiexec of another MPI than mpi4py's starts N processes that each see a world of one:
    N separate trainings, each believing it is the whole job.
    """
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        declared = os.environ.get(name, "")
        if declared.isdigit() and int(declared) != size:
            raise RuntimeError(
                f"init_process_group: the launcher started {declared} processes ({name}) but "
                f"MPI sees {size}: mpiexec belongs to another MPI library than mpi4py's; use "
                "the mpiexec installed with it (pip's mpich wheel puts one beside python)"
            )


def _abort_on_exception(kind: type, value: BaseException, traceback: Any) -> None:
    """Print the traceback as usual, then end every rank (installed by init_process_group)."""
    (_previous_excepthook or sys.__excepthook__)(kind, value, traceback)
    if _world is not None:
        _world.abort(f"raised {kind.__name__}; aborting all {_world.size()} ranks (MPI_Abort)")


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (and remove the abort-on-exception hook).

    Raises:
        ValueError: if no group is initialised.
    """
    global _world, _previous_excepthook
    world = default_group("destroy_process_group")
    if group is not None and group is not world:
        raise ValueError("destroy_process_group: only the default group exists in juanji")
    if world.comm is not None and sys.excepthook is _abort_on_exception:
        sys.excepthook = _previous_excepthook
    _world, _previous_excepthook = None, None


def default_group(caller: str, group: ProcessGroup | None = None) -> ProcessGroup:
    """The default group, or PyTorch's error when ``init_process_group`` was not called."""
    if _world is None:
        raise ValueError(
            f"{caller}: Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )
    if group is not None and group is not _world:
        raise ValueError(f"{caller}: only the default group (group=None) exists in juanji")
    return _world


def is_initialized() -> bool:
    """Whether ``init_process_group`` was called (and ``destroy_process_group`` not since)."""
    return _world is not None


def is_available() -> bool:
    """True: ``juanji.distributed`` always works (a job of one without MPI)."""
    return True


def is_mpi_available() -> bool:
    """Whether the MPI backend can be used (mpi4py is installed)."""
    return importlib.util.find_spec("mpi4py") is not None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, ``0 .. world_size - 1``."""
    return default_group("get_rank", group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in the job."""
    return default_group("get_world_size", group).size()


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank among those on its machine.

    ``LOCAL_RANK`` when the launcher set it (as torchrun does); else, in an initialised group,
    the rank among the processes that share this machine's memory (a collective the first time:
    call it on every rank); else ``fallback_rank``.

    Raises:
        RuntimeError: none of the three is available.
    """
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if _world is not None:
        return _world.node_rank_and_size()[0]
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError(
        "get_node_local_rank: LOCAL_RANK is not set, no process group is initialised and no "
        "fallback_rank was given"
    )


def get_backend(group: ProcessGroup | None = None) -> str:
    """``"mpi"``: the backend of every juanji group."""
    default_group("get_backend", group)
    return "mpi"
