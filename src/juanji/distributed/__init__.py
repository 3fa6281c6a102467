"""Data-parallel training over MPI, with ``torch.distributed``'s names.

Start the same script once per process with an MPI launcher; each process is one *rank*::

    mpiexec -n 2 python train.py

and in the script::

    import juanji.distributed as dist
    dist.init_process_group()          # rank and world size come from MPI
    model = juanji.nn.parallel.DistributedDataParallel(model)
    sampler = juanji.data.DistributedSampler(dataset)

Without a launcher the group is the process alone (rank 0 of 1) and mpi4py is not needed;
with one, install the extra: ``pip install "juanji[distributed]"`` (mpi4py and MPICH).

* ``group``: ``init_process_group``, ``get_rank``, ``get_world_size``, ``get_node_local_rank``,
  ``destroy_process_group``; an exception on any rank, or a collective that waits past the
  timeout, aborts the whole job;
* ``collectives``: ``all_reduce``, ``broadcast``, ``all_gather``, ``barrier`` on Tensors, in
  place, and ``all_gather_object``/``broadcast_object_list`` for picklable objects;
* ``functional``: ``all_reduce`` that gradients flow through (for ``nn.SyncBatchNorm``).
"""

from juanji.distributed import functional
from juanji.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
)
from juanji.distributed.group import (
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_node_local_rank,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "functional",
    "ReduceOp",
    "Work",
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
    "all_reduce",
    "broadcast",
    "all_gather",
    "barrier",
    "all_gather_object",
    "broadcast_object_list",
]
