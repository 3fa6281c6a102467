"""``juanji train`` under ``mpiexec -n N``: which rank this process is, and how the ranks agree.

A run of one process never initialises a process group and every helper here is then a no-op
(rank 0 of 1), so single-process training is unchanged. Under a launcher (``join`` finds more
than one rank) the ranks train data-parallel: rank 0 alone prints, writes the run directory and
evaluates; the others wait for it at barriers (``barrier``), receive what it decided
(``from_rank0``), and a ``JuanjiError`` on any rank ends the whole job (``abort_job_on_error``)
instead of leaving the others waiting in a collective.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import juanji.distributed as dist
from juanji.errors import JuanjiError

__all__ = [
    "join",
    "rank",
    "world_size",
    "barrier",
    "from_rank0",
    "local_size",
    "default_threads",
    "check_global_batch",
    "abort_job_on_error",
]

T = TypeVar("T")


def join() -> int:
    """Join the launcher's job when there is one; the world size (1 without a launcher).

    A job of one leaves no process group behind, so a later in-process run starts afresh.
    """
    if not dist.is_initialized():
        dist.init_process_group()
        if dist.get_world_size() == 1:
            dist.destroy_process_group()
    return world_size()


def world_size() -> int:
    """The number of ranks training together (1 when no group is initialised)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 when no group is initialised)."""
    return dist.get_rank() if dist.is_initialized() else 0


def barrier() -> None:
    """Wait for every rank (nothing to wait for in a job of one)."""
    if world_size() > 1:
        dist.barrier()


def from_rank0(make: Callable[[], T]) -> T:
    """``make()`` evaluated on rank 0 only, its (picklable) result sent to every rank."""
    if world_size() == 1:
        return make()
    box = [make() if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def local_size() -> int:
    """How many ranks of the job run on this machine (a collective: call it on every rank)."""
    if world_size() == 1:
        return 1
    names: list[Any] = [None] * world_size()
    dist.all_gather_object(names, socket.gethostname())
    return names.count(socket.gethostname())


def default_threads() -> int | None:
    """Threads per rank when ``--threads`` is not given: the machine's cores shared by its ranks.

    None in a job of one (the backend's own default: one per core).
    """
    if world_size() == 1:
        return None
    return max(1, (os.cpu_count() or 1) // local_size())


def check_global_batch(batch_size: int) -> None:
    """Refuse a global batch that the ranks cannot share equally.

    Raises:
        JuanjiError: ``batch_size`` is not a multiple of the world size.
    """
    world = world_size()
    if batch_size % world:
        raise JuanjiError(
            f"--batch-size {batch_size} is the global batch, shared by the {world} processes of "
            f"mpiexec -n {world}: it must be a multiple of {world}"
        )


@contextlib.contextmanager
def abort_job_on_error(command: str) -> Iterator[None]:
    """End every rank of the job when a ``JuanjiError`` leaves the block on one of them.

    The error is told in one line on stderr (``juanji COMMAND: message``) and ``MPI_Abort``
    stops the ranks, which might otherwise wait in a collective for this one. In a job of one
    the error is re-raised, for the command's usual one-line report.
    """
    try:
        yield
    except JuanjiError as error:
        if world_size() == 1:
            raise
        sys.stdout.flush()
        group = dist.group.default_group("juanji " + command)
        group.abort(f"juanji {command}: {error}")
