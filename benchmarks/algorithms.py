"""Each conv algorithm's time on each conv row of ``juanji bench``: the per-shape table's data.

    python -m benchmarks.algorithms [--threads N] [--cpu]

For every conv workload of ``juanji.apps.bench.workloads`` and every registered algorithm that
applies (``reference`` excluded: it is the teaching loop), the median time of forward and of
forward+backward over alternating rounds in this process (algorithms alternate within a round,
so they share the machine's load). ``--cpu`` reports process CPU time instead of wall time: on
a shared machine, single-threaded CPU time is the steadier measure of an algorithm's own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from juanji._ops.conv import registry
from juanji.apps.bench.workloads import WORKLOADS, juanji_api
from juanji.backend import set_num_threads
from juanji.backends import conv


def _clock(cpu: bool) -> float:
    return time.process_time() if cpu else time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.algorithms")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    parser.add_argument("--only", action="append", help="workloads whose name contains TEXT")
    args = parser.parse_args()
    set_num_threads(args.threads)
    lib = juanji_api()
    names = [n for n in registry.ALGORITHMS if n != "reference"]
    print(f"threads {args.threads}; {'CPU' if args.cpu else 'wall'} ms; load {os.getloadavg()}")
    for workload in WORKLOADS:
        if not workload.name.startswith(("conv", "depthwise")):
            continue
        if args.only and not any(t in workload.name for t in args.only):
            continue
        calls = {}
        for name in names:
            with conv.use(name):
                try:
                    call = workload.build(lib, False)
                    call()
                except ValueError as error:
                    if "does not apply" not in str(error):
                        raise
                    continue
            calls[name] = call
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                with conv.use(name):
                    start = _clock(args.cpu)
                    call()
                    times[name].append((_clock(args.cpu) - start) * 1e3)
        medians = {name: statistics.median(t) for name, t in times.items()}
        best = min(medians, key=medians.get)
        cells = "  ".join(f"{name} {ms:8.2f}" for name, ms in medians.items())
        print(f"{workload.name:<34} {cells}   winner: {best}", flush=True)


if __name__ == "__main__":
    main()
