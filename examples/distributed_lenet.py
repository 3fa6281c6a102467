"""LeNet-5 on MNIST with data-parallel training over MPI, written as a PyTorch DDP script is.

    pip install -e ".[distributed]"
    mpiexec -n 2 python examples/distributed_lenet.py            # 2 processes on this machine
    mpiexec -n 8 -hostfile hosts python examples/distributed_lenet.py   # or across machines
    python examples/distributed_lenet.py                         # a job of one, no launcher

Each process trains on its own shard of the data (``DistributedSampler``) at ``--batch-size /
world size`` images per step; ``DistributedDataParallel`` averages the gradients, so every
process holds the same weights, the ones a single process at ``--batch-size`` would reach.
Only rank 0 prints. The lines below are PyTorch's with ``torch`` replaced by ``juanji``.
"""

import argparse
import time

import juanji as torch
import juanji.distributed as dist
import juanji.nn.functional as F
from juanji.data import MNIST, DataLoader, DistributedSampler
from juanji.models import LeNet5
from juanji.nn.parallel import DistributedDataParallel as DDP  # noqa: N817 - as DDP scripts write it


def main() -> None:
    """Train on this process's shard; rank 0 reports after each epoch."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128, help="the global batch")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--steps", type=int, default=0, help="stop each epoch after this many")
    args = parser.parse_args()

    dist.init_process_group(backend="mpi")  # rank and world size come from mpiexec
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # one core per process on a shared machine
    torch.manual_seed(0)

    train = MNIST(train=True, download=rank == 0)  # rank 0 fetches; run it once alone first
    test = MNIST(train=False)
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)

    model = DDP(LeNet5())
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle, the same on every rank
        model.train()
        start = time.perf_counter()
        for step, (images, labels) in enumerate(loader):
            if args.steps and step == args.steps:
                break
            images = images.float().unsqueeze(1) / 255.0
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()  # the gradients are averaged across the processes here
            optimizer.step()
        seconds = time.perf_counter() - start
        if rank == 0:
            model.eval()
            with torch.no_grad():
                scores = model.module(test.data[:2000].float().unsqueeze(1) / 255.0)
            accuracy = (scores.argmax(1) == test.targets[:2000]).float().mean().item()
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}, accuracy on 2000 test digits "
                  f"{100 * accuracy:.2f} %, {seconds:.1f} s on {world} process(es)", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
