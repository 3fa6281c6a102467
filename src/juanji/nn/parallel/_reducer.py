"""Gradient averaging for ``DistributedDataParallel``: buckets of gradients, one Allreduce each.

Notation: ``P`` parameters, split into buckets of at most ``bucket_cap_mb`` (one dtype per
bucket), in reverse registration order, the order in which backward usually produces their
gradients (the last layer's first). Each bucket owns one flat array, allocated once and
reused every step.

During backward, each parameter's gradient reaches the reducer part by part, one part per use
in the forward, as the engine runs the nodes that used it (``ParameterStandIn``); the parts are
summed in its bucket's slot, with the ``.grad`` already there (so gradients accumulated under
``no_sync()`` are averaged too). After its last part the parameter is ready, and a full
bucket starts its non-blocking Allreduce at once, in bucket order on every rank (MPI matches
collectives by the order they are started), while backward goes on with the layers below.
When the last gradient has arrived, every Allreduce is waited for and each ``.grad`` becomes
its slot divided by the world size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.distributed.group import ProcessGroup, mpi
from juanji.tensor.tensor import Tensor

_UNFINISHED = (
    "DistributedDataParallel: Expected to have finished reduction in the prior iteration before "
    "starting a new one: the last backward reached {ready} of the {total} parameters' "
    "gradients. Every rank must call backward on a loss that depends on the forward's output "
    "before the next forward."
)


class ParameterStandIn(Tensor):
    """A leaf sharing a parameter's memory that hands each gradient part to the reducer.

    ``DistributedDataParallel`` lets the module see one in place of each parameter during a
    synchronised forward. The engine adds every use's gradient into a leaf's ``.grad`` as soon
    as the node using it has run; here that write goes to the reducer instead, which knows from
    the forward's graph how many uses to expect: after the last one the gradient is complete
    (the moment PyTorch's post-accumulate hooks mark), while backward still runs below.
    """

    def __init__(self, param: Tensor, reducer: Reducer, index: int) -> None:
        super().__init__(param._data, requires_grad=True)
        self._reducer, self._index = reducer, index
        self._forward = reducer.forwards + 1  # prepare() counts this forward at its end

    @property  # type: ignore[override]
    def grad(self) -> None:
        """Always None: the engine then hands over each part as a new ``.grad``."""
        return None

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            self._reducer.add(self._index, value._data, self._forward)


class _Bucket:
    """Parameters of one dtype whose gradients travel in one flat array."""

    def __init__(self, indices: list[int], params: list[Any]) -> None:
        self.indices = indices
        sizes = [int(params[i]._data.size) for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=params[indices[0]]._data.dtype)
        self.pending = len(indices)


class Reducer:
    """Buckets of ``params``' gradients and the state of one backward's reduction."""

    def __init__(self, params: list[Any], group: ProcessGroup, bucket_cap_bytes: int) -> None:
        self.params, self.group = params, group
        self.buckets: list[_Bucket] = []
        current: list[int] = []
        size = 0
        for i in reversed(range(len(params))):
            nbytes = params[i]._data.nbytes
            same_dtype = not current or params[current[0]]._data.dtype == params[i]._data.dtype
            if current and (size + nbytes > bucket_cap_bytes or not same_dtype):
                self.buckets.append(_Bucket(current, params))
                current, size = [], 0
            current.append(i)
            size += nbytes
        if current:
            self.buckets.append(_Bucket(current, params))
        self.slot: dict[int, tuple[_Bucket, int]] = {}
        for bucket in self.buckets:
            for position, i in enumerate(bucket.indices):
                self.slot[i] = (bucket, position)
        self.uses: dict[int, int] = {}  # gradient parts each parameter gets in a backward
        self.parts_left: dict[int, int] = {}
        self.remaining = 0  # gradients still to arrive in the round under way (0: none begun)
        self.launched = 0  # buckets whose Allreduce has started, in order
        self.requests: list[Any] = []
        self.overlap = True  # start each bucket when full (False: all after backward)
        self.forwards = 0  # synchronised forwards so far: which one the stand-ins belong to

    def prepare(self, uses: dict[int, int]) -> None:
        """Expect ``uses[i]`` gradient parts for parameter ``i`` in the next backward."""
        if self.remaining > 0:
            raise RuntimeError(
                _UNFINISHED.format(ready=len(self.params) - self.remaining, total=len(self.params))
            )
        self.uses = uses
        self.forwards += 1

    def add(self, index: int, grad: Any, forward: int) -> None:
        """Take one part of parameter ``index``'s gradient; a complete one goes to its bucket."""
        if forward != self.forwards:
            raise RuntimeError(
                "DistributedDataParallel: backward through the output of an earlier forward; "
                "run backward after each forward (as PyTorch's DDP requires)"
            )
        if index not in self.uses:
            raise RuntimeError(
                "DistributedDataParallel: a gradient reached a parameter the forward's output "
                "does not depend on (through a tensor kept from inside the forward?); call "
                "backward on what the forward returned"
            )
        if self.remaining == 0:  # the first gradient of this backward
            self.remaining = len(self.params)
            self.launched, self.requests = 0, []
            for bucket in self.buckets:
                bucket.pending = len(bucket.indices)
            self.parts_left = dict(self.uses)
            for unused in range(len(self.params)):
                if unused not in self.uses:
                    self._fill(unused, None)
        self._fill(index, grad)
        if self.remaining == 0:
            self._finish()

    def _fill(self, index: int, grad: Any) -> None:
        bucket, position = self.slot[index]
        slot = bucket.buffer[bucket.offsets[position] : bucket.offsets[position + 1]]
        if grad is not None and self.parts_left[index] < self.uses[index]:
            slot += grad.reshape(-1)  # a later part of a parameter used more than once
        else:
            existing = self.params[index].grad  # accumulated before, e.g. under no_sync()
            if grad is None:
                slot[...] = 0 if existing is None else existing._data.reshape(-1)
            elif existing is None:
                slot[...] = grad.reshape(-1)
            else:
                np.add(existing._data.reshape(-1), grad.reshape(-1), out=slot)
        if grad is not None:
            self.parts_left[index] -= 1
            if self.parts_left[index] > 0:
                return
        bucket.pending -= 1
        self.remaining -= 1
        self._launch_full_buckets()

    def _launch_full_buckets(self) -> None:
        if not self.overlap and self.remaining > 0:
            return  # measuring the overlap's worth: every bucket waits for the end of backward
        while self.launched < len(self.buckets) and self.buckets[self.launched].pending == 0:
            if self.group.comm is not None:
                MPI = mpi()
                buffer = self.buckets[self.launched].buffer
                self.requests.append(self.group.comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM))
            self.launched += 1
        if self.requests:  # MPI progresses a started collective only inside MPI calls
            type(self.requests[0]).Testall(self.requests)

    def _finish(self) -> None:
        self.group.wait(self.requests, "DistributedDataParallel's gradient all_reduce")
        scale = 1.0 / self.group.size()
        for bucket in self.buckets:
            for position, i in enumerate(bucket.indices):
                param = self.params[i]
                part = bucket.buffer[bucket.offsets[position] : bucket.offsets[position + 1]]
                part = part.reshape(param._data.shape)
                if param.grad is None or not param.grad._data.flags.writeable:
                    param.grad = Tensor(part * part.dtype.type(scale))
                else:
                    np.multiply(part, part.dtype.type(scale), out=param.grad._data)
        self.requests = []
