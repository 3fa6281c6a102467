"""Under ``mpiexec -n 2``: every collective's result on both ranks. Prints ``OK rank R``."""

import numpy as np

import juanji
import juanji.distributed as dist


def check(name, got, want):
    got = got.detach().numpy() if isinstance(got, juanji.Tensor) else got
    assert np.array_equal(np.asarray(got), np.asarray(want)), f"{name}: {got} != {want}"


def main():
    dist.init_process_group(backend="gloo")
    rank = dist.get_rank()
    assert dist.get_world_size() == 2, "run with mpiexec -n 2"
    ops = {"SUM": [4.0, 1.0], "AVG": [2.0, 0.5], "MAX": [3.0, 1.0], "MIN": [1.0, 0.0]}
    for op, want in ops.items():
        t = juanji.tensor([1.0 + 2 * rank, float(rank)])
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        check(op, t, want)
    t = juanji.arange(6.0).reshape(2, 3).t() * (rank + 1)  # not contiguous
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    check("transposed SUM", t, np.arange(6.0).reshape(2, 3).T * 3)
    t = juanji.full((3,), float(rank))
    dist.broadcast(t, src=1)
    check("broadcast", t, [1.0, 1.0, 1.0])
    gathered = [juanji.zeros(2, dtype=juanji.int64) for _ in range(2)]
    dist.all_gather(gathered, juanji.tensor([rank, 10 * rank]))
    check("all_gather", juanji.stack(gathered), [[0, 0], [1, 10]])
    objects = [None, None]
    dist.all_gather_object(objects, {"rank": rank, "text": "x" * (100 * rank)})
    assert objects == [{"rank": 0, "text": ""}, {"rank": 1, "text": "x" * 100}], objects
    sent = [rank, "from rank"]
    dist.broadcast_object_list(sent, src=0)
    assert sent == [0, "from rank"], sent
    x = juanji.ones(2, requires_grad=True)
    dist.functional.all_reduce(x * (rank + 1)).sum().backward()
    # Every rank's loss uses x through the sum: d(loss_0 + loss_1)/dx = 2 * (rank + 1).
    check("differentiable all_reduce gradient", x.grad, [2.0 * (rank + 1)] * 2)
    assert dist.get_node_local_rank() == rank
    dist.barrier()
    print(f"OK rank {rank}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
