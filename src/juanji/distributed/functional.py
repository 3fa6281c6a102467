"""Collectives that autograd sees through, as ``torch.distributed.nn.functional``.

``all_reduce(tensor)`` returns the sum over ranks as a new tensor; its backward sums the
output's gradient over ranks too (each rank's input reaches every rank's output), which is what
``SyncBatchNorm`` needs for the statistics' gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.autograd.function import Function
from juanji.distributed.group import ProcessGroup, default_group, mpi
from juanji.tensor.tensor import Tensor

__all__ = ["all_reduce"]


def _summed(array: Any, world: ProcessGroup) -> Any:
    """A new array: ``array`` summed over the ranks of ``world``."""
    out = np.array(array, order="C", copy=True)
    if world.comm is not None:
        MPI = mpi()
        world.wait([world.comm.Iallreduce(MPI.IN_PLACE, out, op=MPI.SUM)], "all_reduce")
    return out


class AllReduceSum(Function):
    """``y = sum over ranks of x``; ``grad_x = sum over ranks of grad_y``."""

    def forward(self, x: Any, world: ProcessGroup) -> Any:
        self.world = world
        return _summed(x, world)

    def backward(self, grad_output: Any) -> Any:
        return _summed(grad_output, self.world)


def all_reduce(tensor: Tensor, group: ProcessGroup | None = None) -> Tensor:
    """The sum of ``tensor`` over all ranks, as a new tensor that gradients flow through.

    Example:
        >>> import juanji, juanji.distributed as dist
        >>> dist.init_process_group()  # a job of one
        >>> x = juanji.ones(2, requires_grad=True)
        >>> dist.functional.all_reduce(x * 3).sum().backward()
        >>> x.grad
        tensor([3., 3.])
        >>> dist.destroy_process_group()
    """
    world = default_group("all_reduce", group)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"all_reduce: tensor must be a Tensor, got {type(tensor).__name__}")
    return Tensor._apply(AllReduceSum, tensor, world=world)
