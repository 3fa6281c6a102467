"""``DistributedDataParallel``: one model per rank, gradients averaged over the ranks.

Each rank runs the same model on its own part of the global batch; after ``backward`` every
rank holds the average of the ranks' gradients, so the optimisers take the same step and the
models stay equal. With the mean loss of ``B / world_size`` samples on each rank, the averaged
gradient is the gradient of the mean loss of all ``B``: the same training as one process with
batch ``B`` (models with BatchNorm excepted: each rank normalises with its own batch's
statistics, as in PyTorch, unless converted with ``nn.SyncBatchNorm.convert_sync_batchnorm``).

How the gradients are caught: juanji's engine has no gradient hooks, so for each synchronised
forward the module sees a ``ParameterStandIn`` for every parameter (a leaf sharing its memory:
the parameter registries point at it while the module runs, then back), and the wrapper counts
in the forward's graph how many nodes use each. The engine writes each use's gradient part
into the stand-in's ``.grad`` as soon as that node has run; the reducer sums the parts, and
after the last one the gradient goes into its bucket; a full bucket starts its Allreduce while
backward continues with the layers below (see ``_reducer``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from juanji.autograd import grad_mode
from juanji.distributed.collectives import all_gather_object
from juanji.distributed.group import ProcessGroup, default_group
from juanji.nn.module import Module
from juanji.nn.parallel._reducer import ParameterStandIn, Reducer
from juanji.tensor.tensor import Tensor

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients over all ranks.

    At construction the ranks' models are compared (same parameter names, shapes and dtypes,
    else every rank raises naming the first difference) and rank 0's parameters and buffers
    are copied to every rank. Each forward with gradients on (outside ``no_sync``) copies rank
    0's buffers again (``broadcast_buffers``), and the backward after it leaves the average
    gradient in every ``.grad``, reduced in buckets of ``bucket_cap_mb``.
    Parameters the forward did not use count with their current gradient (or zero).

    Args:
        module: the model; ``state_dict()`` keys gain PyTorch's ``module.`` prefix.
        device_ids: must be None (CPU modules, as PyTorch requires for them).
        output_device: must be None.
        dim: PyTorch's; only 0.
        broadcast_buffers: copy rank 0's buffers at every synchronised forward. Default: True.
        init_sync: compare the models and copy rank 0's state at construction. Default: True.
        process_group: None, the default group.
        bucket_cap_mb: the largest bucket, in MiB. Default: 25, as PyTorch.
        find_unused_parameters, check_reduction, gradient_as_bucket_view, static_graph:
            accepted for PyTorch's scripts; unused parameters are always found.

    Raises:
        ValueError: no process group, or GPU arguments.
        RuntimeError: the ranks' models differ.

    Example:
        >>> import juanji, juanji.distributed as dist
        >>> from juanji import nn
        >>> dist.init_process_group()  # a job of one
        >>> model = nn.parallel.DistributedDataParallel(nn.Linear(2, 1))
        >>> model(juanji.ones(4, 2)).sum().backward()
        >>> list(model.state_dict()), model.module.weight.grad
        (['module.weight', 'module.bias'], tensor([[4., 4.]]))
        >>> dist.destroy_process_group()
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        init_sync: bool = True,
        process_group: ProcessGroup | None = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        group = default_group("DistributedDataParallel", process_group)
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be an nn.Module, got {type(module).__name__}"
            )
        if device_ids or output_device is not None or dim != 0:
            raise ValueError(
                "DistributedDataParallel: device_ids, output_device and dim are for GPU modules; "
                f"juanji's are CPU modules: leave them out (got device_ids={device_ids!r}, "
                f"output_device={output_device!r}, dim={dim!r})"
            )
        cap = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not isinstance(cap, (int, float)) or cap <= 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        object.__setattr__(self, "_group", group)
        if init_sync and group.size() > 1:
            _check_same_model(module)
            _broadcast_arrays([t._data for t in module.parameters()], group)
            _broadcast_arrays([b._data for b in module.buffers()], group)
        params = [p for p in module.parameters() if p.requires_grad]
        index = {id(p): i for i, p in enumerate(params)}
        owners = [
            (owner, name, index[id(p)])
            for owner in module.modules()
            for name, p in owner._parameters.items()
            if p is not None and id(p) in index
        ]
        object.__setattr__(self, "_owners", owners)
        object.__setattr__(self, "_reducer", Reducer(params, group, int(cap * 1024 * 1024)))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run ``module`` (see the class docstring for what happens around it)."""
        sync = grad_mode.is_grad_enabled() and self.require_backward_grad_sync
        if sync and self.broadcast_buffers and self._group.size() > 1:
            _broadcast_arrays([b._data for b in self.module.buffers()], self._group)
        if not (sync and self._owners):
            return self.module(*inputs, **kwargs)
        stand_ins: dict[int, ParameterStandIn] = {}
        originals = []
        for owner, name, i in self._owners:
            param = owner._parameters[name]
            originals.append(param)
            if i not in stand_ins:
                stand_ins[i] = ParameterStandIn(param, self._reducer, i)
            owner._parameters[name] = stand_ins[i]
        try:
            output = self.module(*inputs, **kwargs)
        finally:
            for (owner, name, _), param in zip(self._owners, originals):  # noqa: B905
                owner._parameters[name] = param
        self._reducer.prepare(_uses(output, {id(t): i for i, t in stand_ins.items()}))
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside the block, backward accumulates local gradients without averaging them.

        The first backward after the block averages everything accumulated, so ``k`` local
        steps then one synchronised step give the gradient of all ``k + 1`` batches.
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _uses(output: Any, index: dict[int, int]) -> dict[int, int]:
    """How many edges of ``output``'s graph lead to each stand-in (by parameter index)."""
    stack = [t._ctx for t in _tensors(output) if t._ctx is not None]
    seen: set[int] = set()
    uses: dict[int, int] = {}
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node.parents or ():
            if parent is None:
                continue
            if parent._ctx is not None:
                stack.append(parent._ctx)
            elif id(parent) in index:
                uses[index[id(parent)]] = uses.get(index[id(parent)], 0) + 1
    return uses


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _check_same_model(module: Module) -> None:
    """Raise on every rank, naming the first difference, unless all ranks hold rank 0's model."""
    mine = [(name, tuple(p.shape), str(p.dtype)) for name, p in module.named_parameters()]
    everyone: list[Any] = [None] * default_group("DistributedDataParallel").size()
    all_gather_object(everyone, mine)
    reference = everyone[0]
    for rank, theirs in enumerate(everyone[1:], start=1):
        for ours, other in zip(reference, theirs):  # noqa: B905
            if ours != other:
                raise RuntimeError(
                    f"DistributedDataParallel: the ranks hold different models: rank {rank} has "
                    f"parameter {other[0]!r} of shape {other[1]} ({other[2]}) where rank 0 has "
                    f"{ours[0]!r} of shape {ours[1]} ({ours[2]})"
                )
        if len(theirs) != len(reference):
            raise RuntimeError(
                f"DistributedDataParallel: the ranks hold different models: rank {rank} has "
                f"{len(theirs)} parameters, rank 0 has {len(reference)}"
            )


def _broadcast_arrays(arrays: list[Any], group: ProcessGroup) -> None:
    """Copy rank 0's ``arrays`` into every rank's, one Bcast per dtype."""
    by_dtype: dict[Any, list[Any]] = {}
    for array in arrays:
        by_dtype.setdefault(array.dtype, []).append(array)
    requests, pending = [], []
    for same in by_dtype.values():
        flat = np.concatenate([a.reshape(-1) for a in same])
        requests.append(group.comm.Ibcast(flat, root=0))
        pending.append((same, flat))
    group.wait(requests, "DistributedDataParallel's broadcast from rank 0")
    for same, flat in pending:
        offset = 0
        for array in same:
            array[...] = flat[offset : offset + array.size].reshape(array.shape)
            offset += array.size
