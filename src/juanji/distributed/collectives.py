"""Collectives on Tensors and picklable objects, with ``torch.distributed``'s names.

``all_reduce``, ``broadcast``, ``all_gather`` and ``barrier`` work in place on Tensors, as in
PyTorch; ``all_gather_object`` and ``broadcast_object_list`` move picklable objects.

Each one starts MPI's non-blocking collective (``Iallreduce``, ``Ibcast``, ...) on the tensor's
own memory and waits for it with the group's timeout (see ``juanji.distributed.group``); with
``async_op=True`` it returns a ``Work`` whose ``wait()`` does that later. In a group of one
every collective leaves the tensor as it is. The tensors must hold NumPy arrays (CPU); writes
bump the autograd version counter, as any in-place operation does.
"""

from __future__ import annotations

import enum
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from juanji.autograd import version
from juanji.distributed.group import ProcessGroup, default_group, mpi
from juanji.tensor.tensor import Tensor

__all__ = [
    "ReduceOp",
    "Work",
    "all_reduce",
    "broadcast",
    "all_gather",
    "barrier",
    "all_gather_object",
    "broadcast_object_list",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values (``AVG``: the sum divided by the size)."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PROD"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"


class Work:
    """A started collective: ``wait()`` finishes it (with the group's timeout)."""

    def __init__(
        self,
        group: ProcessGroup,
        requests: list[Any],
        what: str,
        finish: Callable[[], None] | None = None,
    ) -> None:
        self._group, self._requests, self._what, self._finish = group, requests, what, finish
        self._done = False

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective is complete and its result written; returns True."""
        if not self._done:
            self._group.wait(self._requests, self._what)
            self._done = True
            if self._finish is not None:
                self._finish()
        return True

    def is_completed(self) -> bool:
        """Whether ``wait()`` has finished the collective."""
        return self._done


def _array(caller: str, name: str, tensor: Any) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{caller}: {name} must be a Tensor, got {type(tensor).__name__}")
    if not isinstance(tensor._data, np.ndarray):
        raise TypeError(f"{caller}: {name} must be a CPU (NumPy) tensor, got {tensor.device}")
    return tensor._data


def _start(
    group: ProcessGroup,
    what: str,
    start: Callable[[], list[Any]],
    finish: Callable[[], None] | None,
    async_op: bool,
) -> Work | None:
    work = Work(group, start() if group.comm is not None else [], what, finish)
    if async_op:
        return work
    work.wait()
    return None


def _contiguous(array: np.ndarray) -> np.ndarray:
    """``array`` itself when MPI can use its memory, else a C-ordered copy to copy back."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _write_back(target: np.ndarray, buffer: np.ndarray) -> None:
    if buffer is not target:
        target[...] = buffer
    version.bump(target)


def all_reduce(
    tensor: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Combine ``tensor`` across all ranks, in place: every rank receives the result.

    Args:
        tensor: the same shape and dtype on every rank; overwritten with the result.
        op: a ``ReduceOp``. Default: ``SUM``. ``AVG`` needs a floating-point tensor.
        group: None (the default group, the only one).
        async_op: return a ``Work`` to ``wait()`` on instead of waiting here.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Example:
        >>> import juanji, juanji.distributed as dist
        >>> dist.init_process_group()  # a job of one without mpiexec
        >>> t = juanji.tensor([1.0, 2.0])
        >>> dist.all_reduce(t, op=dist.ReduceOp.AVG)
        >>> t
        tensor([1., 2.])
        >>> dist.destroy_process_group()
    """
    world = default_group("all_reduce", group)
    array = _array("all_reduce", "tensor", tensor)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and array.dtype.kind not in "fc":
        raise ValueError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got {tensor.dtype}")
    buffer = _contiguous(array)

    def start() -> list[Any]:
        MPI = mpi()
        reduce = MPI.SUM if op is ReduceOp.AVG else getattr(MPI, op.value)
        return [world.comm.Iallreduce(MPI.IN_PLACE, buffer, op=reduce)]

    def finish() -> None:
        if op is ReduceOp.AVG and world.size() > 1:
            buffer[...] /= world.size()
        _write_back(array, buffer)

    return _start(world, "all_reduce", start, finish, async_op)


def broadcast(
    tensor: Tensor,
    src: int = 0,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place.

    Args:
        tensor: the same shape and dtype on every rank.
        src: the rank whose values every rank receives. Default: 0.
        group: None (the default group).
        async_op: return a ``Work`` instead of waiting.
    """
    world = default_group("broadcast", group)
    array = _array("broadcast", "tensor", tensor)
    _check_rank("broadcast", "src", src, world)
    buffer = _contiguous(array)
    finish = None if world.rank() == src else (lambda: _write_back(array, buffer))
    return _start(
        world, "broadcast", lambda: [world.comm.Ibcast(buffer, root=src)], finish, async_op
    )


def all_gather(
    tensor_list: list[Tensor],
    tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor``, on every rank.

    Args:
        tensor_list: ``world_size`` tensors shaped and typed as ``tensor``; overwritten.
        tensor: this rank's contribution.
        group: None (the default group).
        async_op: return a ``Work`` instead of waiting.
    """
    world = default_group("all_gather", group)
    array = np.ascontiguousarray(_array("all_gather", "tensor", tensor))
    if not isinstance(tensor_list, list) or len(tensor_list) != world.size():
        got = len(tensor_list) if isinstance(tensor_list, list) else type(tensor_list).__name__
        raise ValueError(
            f"all_gather: tensor_list must be a list of world_size={world.size()} tensors, "
            f"got {got}"
        )
    targets = [_array("all_gather", f"tensor_list[{i}]", t) for i, t in enumerate(tensor_list)]
    for i, target in enumerate(targets):
        if target.shape != array.shape or target.dtype != array.dtype:
            raise ValueError(
                f"all_gather: tensor_list[{i}] has shape {target.shape} and dtype {target.dtype}"
                f" but tensor has shape {array.shape} and dtype {array.dtype}"
            )
    gathered = np.empty((world.size(),) + array.shape, dtype=array.dtype)

    def finish() -> None:
        for target, part in zip(targets, gathered if world.comm is not None else [array]):  # noqa: B905
            target[...] = part
            version.bump(target)

    return _start(
        world, "all_gather", lambda: [world.comm.Iallgather(array, gathered)], finish, async_op
    )


def barrier(
    group: ProcessGroup | None = None,
    async_op: bool = False,
    device_ids: Any = None,
    timeout: Any = None,
) -> Work | None:
    """Wait until every rank has called ``barrier``."""
    world = default_group("barrier", group)
    return _start(world, "barrier", lambda: [world.comm.Ibarrier()], None, async_op)


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list[r]`` with rank ``r``'s picklable ``obj``, on every rank."""
    world = default_group("all_gather_object", group)
    if not isinstance(object_list, list) or len(object_list) != world.size():
        raise ValueError(
            f"all_gather_object: object_list must be a list of world_size={world.size()} "
            f"elements, got {object_list!r}"
        )
    payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    if world.comm is None:
        object_list[0] = pickle.loads(payload.tobytes())
        return
    sizes = np.empty(world.size(), dtype=np.int64)
    world.wait([world.comm.Iallgather(np.array([payload.size]), sizes)], "all_gather_object")
    gathered = np.empty(int(sizes.sum()), dtype=np.uint8)
    request = world.comm.Iallgatherv(payload, [gathered, sizes.tolist()])
    world.wait([request], "all_gather_object")
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for r in range(world.size()):
        object_list[r] = pickle.loads(gathered[offsets[r] : offsets[r + 1]].tobytes())


def broadcast_object_list(
    object_list: list[Any], src: int = 0, group: ProcessGroup | None = None
) -> None:
    """Replace ``object_list``'s elements by rank ``src``'s (picklable), on every rank."""
    world = default_group("broadcast_object_list", group)
    _check_rank("broadcast_object_list", "src", src, world)
    if world.comm is None:
        return
    payload = np.frombuffer(pickle.dumps(list(object_list)), dtype=np.uint8)
    size = np.array([payload.size], dtype=np.int64)
    world.wait([world.comm.Ibcast(size, root=src)], "broadcast_object_list")
    buffer = payload.copy() if world.rank() == src else np.empty(int(size[0]), dtype=np.uint8)
    world.wait([world.comm.Ibcast(buffer, root=src)], "broadcast_object_list")
    received = pickle.loads(buffer.tobytes())
    if len(received) != len(object_list):
        raise ValueError(
            f"broadcast_object_list: rank {src} sent {len(received)} objects, this rank has a "
            f"list of {len(object_list)}"
        )
    object_list[:] = received


def _check_rank(caller: str, name: str, rank: Any, world: ProcessGroup) -> None:
    if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < world.size():
        raise ValueError(
            f"{caller}: {name} must be a rank in [0, {world.size() - 1}], got {rank!r}"
        )
