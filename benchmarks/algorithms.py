"""Each conv algorithm's time on each conv row of ``juanji bench``: the per-shape table's data.

    python -m benchmarks.algorithms [--threads N] [--cpu] [--torch] [--only TEXT]

For every conv workload of ``juanji.apps.bench.workloads``, plus the 3x3 layers of the
Fashion-MNIST network (``FASHION``: s2d-vgg's 32->64 on 14x14, 64->128 and 128->128 on 7x7,
batch 128), and every registered algorithm that applies (``reference`` excluded: it is the
teaching loop), the median time of forward and of forward+backward over alternating rounds in
this process (algorithms alternate within a round, so they share the machine's load).
``--cpu`` reports process CPU time instead of wall time: on a shared machine, single-threaded
CPU time is the steadier measure of an algorithm's own cost. ``--torch`` adds PyTorch (same
arrays, same thread count) as one more column of the rounds, and each row's ratios to it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from juanji._ops.conv import registry
from juanji.apps.bench.workloads import WORKLOADS, ConvSpec, Workload, _conv, juanji_api
from juanji.backend import set_num_threads
from juanji.backends import conv

_FMNIST = {
    "32->64 3x3 p1 (14x14)": ConvSpec(128, 32, 64, 14, 3, padding=1),
    "64->128 3x3 p1 (7x7)": ConvSpec(128, 64, 128, 7, 3, padding=1),
    "128->128 3x3 p1 (7x7)": ConvSpec(128, 128, 128, 7, 3, padding=1),
}
FASHION = tuple(
    Workload(f"fmnist {name} {'fwd+bwd' if backward else 'fwd'}", 128, _conv(spec, backward))
    for name, spec in _FMNIST.items()
    for backward in (False, True)
)


def _clock(cpu: bool) -> float:
    return time.process_time() if cpu else time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.algorithms")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    parser.add_argument("--only", action="append", help="workloads whose name contains TEXT")
    parser.add_argument("--torch", action="store_true", help="PyTorch as one more column")
    args = parser.parse_args()
    set_num_threads(args.threads)
    torch = _torch(args.threads) if args.torch else None
    print(f"threads {args.threads}; {'CPU' if args.cpu else 'wall'} ms; load {os.getloadavg()}")
    for workload in WORKLOADS + FASHION:
        if not workload.name.startswith(("conv", "depthwise", "fmnist")):
            continue
        if args.only and not any(t in workload.name for t in args.only):
            continue
        calls = _calls(workload, juanji_api(), torch)
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                with conv.use("auto" if name == "torch" else name):
                    start = _clock(args.cpu)
                    call()
                    times[name].append((_clock(args.cpu) - start) * 1e3)
        medians = {name: statistics.median(t) for name, t in times.items()}
        best = min((n for n in medians if n != "torch"), key=medians.get)
        cells = "  ".join(f"{name} {ms:8.2f}" for name, ms in medians.items())
        if "torch" in medians:
            ratios = {n: ms / medians["torch"] for n, ms in medians.items() if n != "torch"}
            cells += "   / torch: " + " ".join(f"{n} {r:.2f}" for n, r in ratios.items())
        print(f"{workload.name:<34} {cells}   winner: {best}", flush=True)
    print(f"load at the end {os.getloadavg()}")


def _torch(threads: int):
    import torch  # noqa: PLC0415 - optional: only with --torch

    torch.set_num_threads(threads)
    return torch


def _calls(workload: Workload, lib, torch) -> dict:
    """One call per applicable algorithm (built under it), and PyTorch's with ``torch``."""
    calls = {}
    for name in (n for n in registry.ALGORITHMS if n != "reference"):
        with conv.use(name):
            try:
                call = workload.build(lib, False)
                call()
            except ValueError as error:
                if "does not apply" not in str(error):
                    raise
                continue
        calls[name] = call
    if torch is not None:
        calls["torch"] = workload.build(torch, False)
        calls["torch"]()
    return calls


if __name__ == "__main__":
    main()
