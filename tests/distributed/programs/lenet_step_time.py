"""Time LeNet-5 training steps, one thread per process: ``mpiexec -n N python this.py``.

Not a test (nothing runs it in the suite): the measurement behind the 1 vs N process figures.
Each rank trains on ``--batch / N`` synthetic 28x28 images per step; rank 0 prints one JSON
line: the mean step time, images per second over the job, and the time per step spent in the
gradient Allreduce (starting it and waiting for it). ``--plain`` trains without
DistributedDataParallel (the one-process baseline), ``--no-overlap`` starts every bucket only
after backward (to see what starting them during backward is worth).
"""

import argparse
import json
import time

import numpy as np

import juanji
import juanji.distributed as dist
from juanji import nn
from juanji.distributed.group import ProcessGroup
from juanji.models import get_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256, help="the global batch")
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--no-overlap", action="store_true")
    args = parser.parse_args()
    juanji.set_num_threads(1)
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    juanji.manual_seed(0)
    model = get_model(args.model)
    side = 32 if args.model.startswith("resnet") else 28
    channels = 3 if side == 32 else 1
    if not args.plain:
        model = nn.parallel.DistributedDataParallel(model)
        model._reducer.overlap = not args.no_overlap
    optimizer = juanji.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    local = args.batch // world
    rng = np.random.default_rng(rank)
    x = juanji.tensor(rng.standard_normal((local, channels, side, side)).astype(np.float32))
    y = juanji.tensor(rng.integers(0, 10, local))
    in_allreduce = [0.0]  # seconds in the gradient Allreduce: starting and waiting
    wait = ProcessGroup.wait

    def timed_wait(self, requests, what):
        start = time.perf_counter()
        wait(self, requests, what)
        if what.startswith("DistributedDataParallel's gradient"):
            in_allreduce[0] += time.perf_counter() - start

    ProcessGroup.wait = timed_wait
    if not args.plain:
        reducer = type(model._reducer)
        start_buckets = reducer._launch_full_buckets

        def timed_launch(self):
            start = time.perf_counter()
            start_buckets(self)
            in_allreduce[0] += time.perf_counter() - start

        reducer._launch_full_buckets = timed_launch
    times = []
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            dist.barrier()
            in_allreduce[0] = 0.0
        start = time.perf_counter()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    dist.barrier()
    measured = np.array(times[args.warmup :])
    report = {
        "model": args.model,
        "processes": world,
        "global_batch": local * world,
        "ddp": not args.plain,
        "overlap": not args.no_overlap,
        "step_ms_mean": round(1000 * float(measured.mean()), 2),
        "step_ms_median": round(1000 * float(np.median(measured)), 2),
        "images_per_second": round(local * world / float(measured.mean()), 1),
        "allreduce_ms_per_step": round(1000 * in_allreduce[0] / args.steps, 2),
    }
    if rank == 0:
        print(json.dumps(report), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
