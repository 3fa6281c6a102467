"""Under ``mpiexec -n N``: DDP at global batch B on N ranks trains as one process at batch B.

Each rank also trains the single-process reference itself (on the whole batch), then compares
weights. Each argument is one run: the bucket cap in MiB, with ``,batchnorm`` to put a
BatchNorm in the model (SyncBatchNorm under DDP: then the running statistics must agree too).
Prints ``OK rank R run I`` for each run whose weights agree.
"""

import sys

import numpy as np

import juanji
import juanji.distributed as dist
from juanji import nn


class Net(nn.Module):
    def __init__(self, batchnorm=False):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.norm = nn.BatchNorm2d(4) if batchnorm else nn.Identity()
        self.fc = nn.Linear(4 * 6 * 6, 5)
        self.unused = nn.Linear(2, 2)  # never called: DDP must not wait for its gradient

    def forward(self, x):
        x = nn.functional.max_pool2d(self.norm(self.conv(x)).relu(), 1)
        return self.fc(x.flatten(1))


def step(model, optimizer, batches):
    optimizer.zero_grad()
    for x, y in batches:
        nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def train_and_compare(cap, batchnorm):
    """The largest difference between DDP's and one process's state after 6 steps."""
    rank, world = dist.get_rank(), dist.get_world_size()
    juanji.manual_seed(100 + rank)  # different on each rank: DDP must copy rank 0's
    local = nn.SyncBatchNorm.convert_sync_batchnorm(Net(batchnorm))
    model = nn.parallel.DistributedDataParallel(local, bucket_cap_mb=cap)
    reference = Net(batchnorm)
    reference.load_state_dict(model.module.state_dict())
    options = {"lr": 0.1, "momentum": 0.9}
    optimizer = juanji.optim.SGD(model.parameters(), **options)
    ref_optimizer = juanji.optim.SGD(reference.parameters(), **options)
    rng = np.random.default_rng(0)
    B = 8
    for k in range(6):
        micro = 2 if k % 2 else 1  # odd steps accumulate two batches, the first under no_sync
        batches = [
            (
                juanji.tensor(rng.standard_normal((B, 1, 8, 8)).astype(np.float32)),
                juanji.tensor(rng.integers(0, 5, B)),
            )
            for _ in range(micro)
        ]
        step(reference, ref_optimizer, batches)
        shards = [(x[rank::world], y[rank::world]) for x, y in batches]
        optimizer.zero_grad()
        for i, (x, y) in enumerate(shards):
            if i < len(shards) - 1:
                with model.no_sync():
                    nn.functional.cross_entropy(model(x), y).backward()
            else:
                nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    worst = 0.0
    pairs = zip(model.module.state_dict().values(), reference.state_dict().values(), strict=True)
    for p, q in pairs:  # parameters and BatchNorm's running statistics
        worst = max(worst, float(np.abs(p.detach().numpy() - q.detach().numpy()).max()))
    assert list(model.state_dict())[0] == "module.conv.weight", list(model.state_dict())
    return worst


def main():
    dist.init_process_group()
    rank = dist.get_rank()
    for run, argument in enumerate(sys.argv[1:]):
        cap, *options = argument.split(",")
        worst = train_and_compare(float(cap), options == ["batchnorm"])
        assert worst < 2e-5, f"rank {rank} {argument}: weights differ by {worst}"
        print(f"OK rank {rank} run {run} max difference {worst:.2e}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
