"""Run the workloads, print the table, write the JSON: what ``juanji bench`` does.

Every workload alternates juanji and PyTorch rounds (``timing.alternate``), at the same thread
count on both sides (``--threads``, default 2: PyTorch's intra-op threads and the threads of
NumPy's BLAS and Numba). By default each side runs in a process of its own, as users run them
(``processes``); ``--in-process`` runs both here, where their thread pools contend. The load
average is printed before and after, with a warning when it starts above 1: such a table
measures the load, not the engines. Without PyTorch installed, juanji runs alone and the
PyTorch columns stay empty.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from juanji.apps.bench import memory, mnist
from juanji.apps.bench.processes import BenchError, RemoteTimer, Worker
from juanji.apps.bench.timing import alternate
from juanji.apps.bench.workloads import WORKLOADS, juanji_api, lenet5_train_step
from juanji.backend import get_num_threads, set_num_threads
from juanji.backends import conv

MEMORY_ROW = "peak memory, lenet5 train step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``juanji bench`` and ``python -m benchmarks``."""
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--threads", type=int, default=2, help="threads on both sides (default: 2)")
    parser.add_argument(
        "--rounds", type=int, help="A/B rounds per workload, >= 1 (7; 1 with --tiny)"
    )
    parser.add_argument(
        "--min-round",
        type=float,
        metavar="SECONDS",
        help="shortest round: fast workloads repeat until a round lasts this long "
        "(0.2; 0 with --tiny)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.1,
        metavar="SECONDS",
        help="untimed pause before each round, so idle threads of the other side stop (0.1)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="run only the workloads whose name contains TEXT (repeatable); "
        "'memory', 'epoch' and 'accuracy' select the special rows",
    )
    parser.add_argument(
        "--no-mnist",
        action="store_true",
        help="skip the MNIST epoch and time-to-accuracy (they need MNIST and minutes)",
    )
    fashion = "also the Fashion-MNIST job's time to 92.5%% on each side (tens of minutes)"
    parser.add_argument("--fashion", action="store_true", help=fashion)
    parser.add_argument("--data", metavar="DIR", help="MNIST folder (default: as juanji train)")
    _add_side_arguments(parser)


def _add_side_arguments(parser: argparse.ArgumentParser) -> None:
    """Which sides run, and where."""
    parser.add_argument("--no-torch", action="store_true", help="time juanji alone")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run both sides in this process (default: each in its own process, as users run "
        "them; in one process the libraries' thread pools contend)",
    )
    parser.add_argument(
        "--algorithm",
        metavar="NAME",
        help="force juanji.backends.conv.algorithm NAME for every row (rows it does not apply "
        "to are skipped); default: auto",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny shapes, one quick round: checks that the runner works; its times and "
        "ratios mean nothing",
    )


LOAD_WARNING = (
    "warning: the load average is {load:.2f} (above 1): other jobs share the cores, and "
    "PyTorch's times swing 2-10x under load; a table taken now is void (benchmarks/README.md)"
)
TINY_WARNING = (
    "note: --tiny times tiny shapes over one round to check that the runner works; "
    "its times and ratios mean nothing (run without --tiny to measure)"
)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse out-of-range options and an unwritable ``--json`` before any work starts.

    Fills in the defaults of ``--rounds`` and ``--min-round`` (which depend on ``--tiny``).

    Raises:
        JuanjiError: one line naming the option, what it must be and what it got.
    """
    from juanji.apps.viz.plot import check_output  # noqa: PLC0415
    from juanji.errors import JuanjiError  # noqa: PLC0415

    if args.rounds is None:
        args.rounds = 1 if args.tiny else 7
    if args.min_round is None:
        args.min_round = 0.0 if args.tiny else 0.2
    rules = (
        ("--threads", args.threads, args.threads >= 1, "an integer >= 1"),
        ("--rounds", args.rounds, args.rounds >= 1, "an integer >= 1"),
        ("--min-round", args.min_round, 0 <= args.min_round < math.inf, "a number of seconds >= 0"),
        ("--settle", args.settle, 0 <= args.settle < math.inf, "a number of seconds >= 0"),
    )
    for option, value, valid, expected in rules:
        if not valid:
            raise JuanjiError(f"{option} must be {expected}, got {value}")
    algorithm = getattr(args, "algorithm", None)
    if algorithm is not None and algorithm not in conv.available():
        known = ", ".join(conv.available())
        raise JuanjiError(f"--algorithm must be one of {known}, got {algorithm!r}")
    if args.json:
        check_output(args.json, "--json", figure=None)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _import_torch(disabled: bool) -> Any:
    if disabled:
        return None
    try:
        import torch  # noqa: PLC0415 - optional: the reference, never a dependency
    except ImportError:
        return None
    return torch


def _selected(name: str, only: Sequence[str] | None) -> bool:
    return not only or any(text.lower() in name.lower() for text in only)


def run(args: argparse.Namespace, stream: TextIO | None = None) -> dict[str, Any]:
    """Run the selected workloads and return the report (also printed, row by row).

    In-process, the thread settings of both libraries are restored afterwards; otherwise the
    worker processes end with the run.
    """
    check_arguments(args)
    stream = sys.stdout if stream is None else stream
    if not getattr(args, "in_process", False):
        sides = Sides(args.threads, _torch_installed(args.no_torch))
        try:
            return _run(args, sides, stream)
        finally:
            sides.close()
    torch = _import_torch(args.no_torch)
    torch_threads = None if torch is None else torch.get_num_threads()
    blas_threads = get_num_threads()
    try:
        if torch is not None:
            torch.set_num_threads(args.threads)
        set_num_threads(args.threads)
        return _run(args, Sides(args.threads, torch is not None, torch, local=True), stream)
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
        if blas_threads is not None:
            set_num_threads(blas_threads)


def _torch_installed(disabled: bool) -> bool:
    if disabled or ("torch" in sys.modules and sys.modules["torch"] is None):
        return False
    return importlib.util.find_spec("torch") is not None


class Sides:
    """The sides of a run: in this process (``local``) or each in a worker process."""

    def __init__(self, threads: int, with_torch: bool, torch: Any = None, local: bool = False):
        self.threads, self.torch, self.local = threads, torch, local
        self.workers: dict[str, Worker] = {}
        self.names = ("juanji", "torch") if with_torch else ("juanji",)
        self.libraries = {"juanji": juanji_api(), **({"torch": torch} if torch else {})}

    def worker(self, side: str) -> Worker:
        """The side's worker process, started on first use."""
        if side not in self.workers:
            self.workers[side] = Worker(side, self.threads)
        return self.workers[side]

    def torch_version(self) -> str | None:
        """PyTorch's version, without importing it here."""
        if "torch" not in self.names:
            return None
        return self.torch.__version__ if self.local else importlib.metadata.version("torch")

    def close(self) -> None:
        """End the worker processes."""
        for worker in self.workers.values():
            worker.close()


def _run(args: argparse.Namespace, sides: Sides, stream: TextIO) -> dict[str, Any]:
    rounds, min_round = args.rounds, args.min_round
    settle = 0.0 if args.tiny else args.settle
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "threads": args.threads,
            "processes": "one" if sides.local else "one per side",
            "torch": sides.torch_version(),
            "rounds": rounds,
            "min_round_seconds": min_round,
            "settle_seconds": settle,
            "tiny": args.tiny,
            "conv_algorithm": args.algorithm or "auto",
        },
        "rows": [],
        "skipped": {},
    }
    if args.tiny:
        print(TINY_WARNING, file=stream, flush=True)
    load = report["machine"]["load_average"]
    if load is not None and load[0] > 1:
        print(LOAD_WARNING.format(load=load[0]), file=stream, flush=True)
    print(format_header(report), file=stream, flush=True)
    _workload_rows(args, sides, report, stream)
    if _selected(MEMORY_ROW, args.only):
        row = _memory_row(sides, args.tiny)
        report["memory"] = row
        print(format_memory(row), file=stream, flush=True)
    if not args.no_mnist:
        _mnist_rows(args, sides, report, stream)
    end = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    report["machine"]["load_average_end"] = end
    if end is not None:
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in end)}", file=stream)
    if args.json:
        from juanji.apps.viz.plot import write_atomic  # noqa: PLC0415

        text = json.dumps(report, indent=2, allow_nan=False) + "\n"
        write_atomic(Path(args.json), text.encode(), "JSON report")
    return report


def _timers(sides: Sides, build: Callable[[Any], Any], **remote: Any) -> dict[str, Any]:
    """Per side: a local callable built by ``build(library)``, or a timer on its worker."""
    if sides.local or remote.get("row") is None:
        return {side: build(sides.libraries[side]) for side in sides.names}
    return {side: RemoteTimer(sides.worker(side), **remote) for side in sides.names}


def _workload_rows(
    args: argparse.Namespace, sides: Sides, report: dict[str, Any], stream: TextIO
) -> None:
    """The timed rows of ``WORKLOADS`` that ``--only`` selects, under ``--algorithm``."""
    rounds, min_round = args.rounds, args.min_round
    settle = 0.0 if args.tiny else args.settle
    for workload in WORKLOADS:
        if not _selected(workload.name, args.only):
            continue
        with conv.use(args.algorithm or "auto"):
            try:
                calls = _timers(
                    sides,
                    lambda lib, w=workload: w.build(lib, args.tiny),
                    row=workload.name,
                    tiny=args.tiny,
                    algorithm=args.algorithm,
                )
                images = workload.tiny_images if args.tiny else workload.images
                row = alternate(workload.name, images, calls, rounds, min_round, settle).summary()
            except (ValueError, BenchError) as error:
                if "does not apply" not in str(error):
                    raise
                report["skipped"][workload.name] = f"{args.algorithm} does not apply"
                print(f"({workload.name}: {args.algorithm} does not apply)", file=stream)
                continue
        report["rows"].append(row)
        print(format_row(row), file=stream, flush=True)


def _memory_row(sides: Sides, tiny: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"name": MEMORY_ROW}
    for side in sides.names:
        if sides.local:
            peak = memory.peak_bytes_torch if side == "torch" else memory.peak_bytes_juanji
            value = peak(lenet5_train_step(sides.libraries[side], tiny))
        else:
            value = sides.worker(side).request(cmd="memory", tiny=tiny)["bytes"]
        row[f"{side}_bytes"] = value
    if row.get("torch_bytes"):
        row["ratio"] = row["juanji_bytes"] / row["torch_bytes"]
    return row


def _time_to_accuracy(
    args: argparse.Namespace, sides: Sides, stream: TextIO, target: float, job: tuple[str, str]
) -> dict[str, Any]:
    if sides.local:
        return mnist.time_to_accuracy(target, sides.torch, args.data, args.tiny, stream, job)
    result: dict[str, Any] = {"target": target, "job": list(job)}
    for side in sides.names:
        result[side] = sides.worker(side).request(
            cmd="accuracy", target=target, job=list(job), data=args.data, tiny=args.tiny
        )
    return result


def _mnist_rows(
    args: argparse.Namespace, sides: Sides, report: dict[str, Any], stream: TextIO
) -> None:
    from juanji.errors import DataError  # noqa: PLC0415

    try:
        if _selected(mnist.EPOCH_ROW, args.only):
            rounds = 1 if args.tiny else min(args.rounds, 3)
            if sides.local:
                calls, images = mnist.epoch_calls(rounds, sides.torch, args.data, args.tiny)
            else:
                calls = _timers(
                    sides,
                    lambda lib: None,
                    row=mnist.EPOCH_ROW,
                    tiny=args.tiny,
                    rounds=rounds,
                    data=args.data,
                )
                images = mnist.epoch_images(args.tiny)
            row = alternate(mnist.EPOCH_ROW, images, calls, rounds, 0.0).summary()
            report["rows"].append(row)
            print(format_row(row), file=stream, flush=True)
        if _selected("time to 99% accuracy", args.only):
            print("time to 99% test accuracy, default recipe:", file=stream, flush=True)
            result = _time_to_accuracy(args, sides, stream, 0.99, mnist.LENET)
            report["time_to_accuracy"] = result
            print(format_accuracy(result), file=stream, flush=True)
        if args.fashion:
            print("time to 92.5% test accuracy, s2d-vgg on Fashion-MNIST:", file=stream, flush=True)
            result = _time_to_accuracy(args, sides, stream, 0.925, mnist.FASHION)
            report["fashion_time_to_accuracy"] = result
            print(format_accuracy(result), file=stream, flush=True)
    except DataError:
        report["skipped"]["mnist"] = mnist.DATA_HINT
        print(f"(mnist rows skipped: {mnist.DATA_HINT})", file=stream, flush=True)


# ------------------------------------------------------------------------------- formatting
_COLUMNS = (
    f"{'workload':<36} {'juanji ms':>10} {'torch ms':>10} {'ratio':>6} {'min':>5} "
    f"{'max':>5} {'juanji img/s':>12} {'torch img/s':>11}"
)


def format_header(report: dict[str, Any]) -> str:
    """Machine and settings lines, then the column titles."""
    m, s = report["machine"], report["settings"]
    load = "?" if m["load_average"] is None else ", ".join(f"{x:.2f}" for x in m["load_average"])
    return "\n".join(
        [
            f"machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']} ({m['blas']}); "
            f"torch {s['torch'] or 'not installed'}",
            f"threads: {s['threads']} on both sides; processes: {s['processes']}; rounds: "
            f"{s['rounds']} (A/B alternating); load average at start: {load}",
            "ratio = median over rounds of juanji time / torch time (min, max over rounds)",
            _COLUMNS,
        ]
    )


def _number(value: Any, spec: str, width: int) -> str:
    return f"{value:{width}{spec}}" if value is not None else f"{'-':>{width}}"


def format_row(row: dict[str, Any]) -> str:
    """One table line."""
    return (
        f"{row['name']:<36} {_number(row.get('juanji_ms'), '.2f', 10)} "
        f"{_number(row.get('torch_ms'), '.2f', 10)} {_number(row.get('ratio_median'), '.2f', 6)} "
        f"{_number(row.get('ratio_min'), '.2f', 5)} {_number(row.get('ratio_max'), '.2f', 5)} "
        f"{_number(row.get('juanji_images_per_s'), ',.0f', 12)} "
        f"{_number(row.get('torch_images_per_s'), ',.0f', 11)}"
    )


def format_memory(row: dict[str, Any]) -> str:
    """The peak-memory line, in MiB."""
    mib = {
        k: (row.get(f"{k}_bytes") or 0) / 2**20 if row.get(f"{k}_bytes") else None
        for k in ("juanji", "torch")
    }
    return (
        f"{row['name']:<36} {_number(mib['juanji'], '.1f', 7)} MiB "
        f"{_number(mib['torch'], '.1f', 6)} MiB {_number(row.get('ratio'), '.2f', 6)}"
    )


def format_accuracy(result: dict[str, Any]) -> str:
    """Seconds to reach the target accuracy on each side."""
    parts = []
    for side in ("juanji", "torch"):
        if side in result:
            r = result[side]
            best = 100 * max(r["accuracies"])
            when = "not reached" if r["seconds"] is None else f"{r['seconds']:.1f} s"
            parts.append(f"{side} {when} (epochs {len(r['accuracies'])}, best {best:.2f}%)")
    label = f"time to {100 * result['target']:g}% accuracy"
    return f"{label:<36} " + "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="juanji against PyTorch, A/B rounds, each side in its own process",
    )
    add_arguments(parser)
    run(parser.parse_args(argv))
    return 0
