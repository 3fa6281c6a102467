"""Under ``mpiexec -n 2``: rank 1 misbehaves as ``sys.argv[1]`` says, rank 0 goes on.

* ``raise``: rank 1 raises; the abort hook must end the job.
* ``kill``: rank 1 is killed by SIGKILL; the launcher must end the job.
* ``hang``: rank 1 sleeps; rank 0's all_reduce must give up after the 2 s timeout.
* ``mismatch``: the ranks build different models; DistributedDataParallel must refuse them on
  both ranks (each prints ``REFUSED`` and the message, and exits 0).
"""

import datetime
import os
import signal
import sys
import time

import juanji
import juanji.distributed as dist
from juanji import nn


def main():
    mode = sys.argv[1]
    dist.init_process_group(timeout=datetime.timedelta(seconds=2))
    rank = dist.get_rank()
    if mode == "mismatch":
        model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2 + rank))
        try:
            nn.parallel.DistributedDataParallel(model)
        except RuntimeError as error:
            print(f"REFUSED rank {rank}: {error}", flush=True)
        dist.destroy_process_group()
        return
    if rank == 1:
        if mode == "raise":
            raise ValueError("rank 1 fails on purpose")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "hang":
            time.sleep(60)
    t = juanji.ones(3)
    dist.all_reduce(t)
    print(f"rank {rank} finished the all_reduce", flush=True)  # must not happen
    time.sleep(60)  # nor must the job outlive rank 1's failure by this much


if __name__ == "__main__":
    main()
