"""Under ``mpiexec -n N``: SyncBatchNorm on N shards equals BatchNorm on the whole batch.

Compares the output, the input's gradient (each rank's slice), the summed weight and bias
gradients and the running statistics after three training steps, and the evaluation output.
Prints ``OK rank R``.
"""

import numpy as np

import juanji
import juanji.distributed as dist
from juanji import nn


def close(name, got, want, rank):
    got, want = np.asarray(got), np.asarray(want)
    difference = float(np.abs(got - want).max())
    assert difference < 1e-5, f"rank {rank}: {name} differs by {difference}"


def main():
    dist.init_process_group()
    rank = dist.get_rank()
    assert dist.get_world_size() == 2, "run with mpiexec -n 2"
    rng = np.random.default_rng(0)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))
    assert type(model[0]) is nn.SyncBatchNorm, model
    reference = nn.BatchNorm2d(3)
    for layer in (model[0], reference):
        layer.weight.data = juanji.tensor([0.5, 2.0, -1.0])
        layer.bias.data = juanji.tensor([0.1, 0.0, 0.3])
    for _ in range(3):
        # 3 samples of 5 on one rank, 2 on the other: the counts differ between ranks
        x = rng.standard_normal((5, 3, 4, 4)).astype(np.float32) * 3 + 7
        w = rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
        mine = slice(0, 3) if rank == 0 else slice(3, 5)
        xs = juanji.tensor(x[mine], requires_grad=True)
        out = model(xs)
        (out * juanji.tensor(w[mine])).sum().backward()
        xr = juanji.tensor(x, requires_grad=True)
        out_ref = reference(xr)
        (out_ref * juanji.tensor(w)).sum().backward()
        close("output", out.detach().numpy(), out_ref.detach().numpy()[mine], rank)
        close("input gradient", xs.grad.numpy(), xr.grad.numpy()[mine], rank)
        for name in ("weight", "bias"):
            grad = getattr(model[0], name).grad
            dist.all_reduce(grad)  # each rank holds its samples' part, as with DDP
            close(f"{name} gradient", grad.numpy(), getattr(reference, name).grad.numpy(), rank)
            getattr(model[0], name).grad = None
            getattr(reference, name).grad = None
    close("running_mean", model[0].running_mean.numpy(), reference.running_mean.numpy(), rank)
    close("running_var", model[0].running_var.numpy(), reference.running_var.numpy(), rank)
    model.eval()
    reference.eval()
    x = juanji.tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
    close("evaluation output", model(x).detach().numpy(), reference(x).detach().numpy(), rank)
    print(f"OK rank {rank}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
