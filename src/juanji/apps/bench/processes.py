"""Each side in its own process: the default mode of ``juanji bench``.

Users run juanji or PyTorch, never both in one interpreter. In one process the two libraries'
thread pools (OpenBLAS's, Numba's, PyTorch's OpenMP) stay alive side by side and spin against
each other, which measured the LeNet step at 1.66-1.84x PyTorch in one process and 1.2x in two
(issue 22). So each side gets a worker process of its own, started with the thread count set
in its environment before any library loads; the parent only sends commands and reads times.
The rounds still alternate (``timing.alternate``): while one worker runs a round the other
waits on its pipe, idle.

The protocol is one JSON object per line: the parent writes a command on the worker's stdin,
the worker answers on its stdout (its progress lines go to stderr).

* ``{"cmd": "build", "row": NAME, "tiny": bool, "algorithm": NAME|null, "rounds": n}`` builds
  the row's workload (a ``WORKLOADS`` name or the MNIST epoch) and runs it once to warm it up:
  ``{"seconds": s}``.
* ``{"cmd": "time", "reps": n}``: the mean seconds of ``n`` back-to-back calls.
* ``{"cmd": "memory", "tiny": bool}``: the peak bytes of a LeNet-5 training step.
* ``{"cmd": "accuracy", "target": t, "job": [model, dataset], "tiny": bool, "data": dir}``:
  this side's half of ``mnist.time_to_accuracy``.

A worker that fails answers ``{"error": text}``, and the parent raises ``BenchError`` with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from juanji.errors import JuanjiError

# The variables that size each native thread pool a side may load.
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


# What a worker process runs (not ``-m``: the package's __init__ imports this module first).
_WORKER_MAIN = (
    "import sys; from juanji.apps.bench.processes import serve; "
    "sys.exit(serve(sys.argv[1], int(sys.argv[2])))"
)


class BenchError(JuanjiError):
    """A worker process failed: its message, or how it ended."""


class Worker:
    """One side (``"juanji"`` or ``"torch"``) in a process of its own, driven over a pipe."""

    def __init__(self, side: str, threads: int) -> None:
        env = dict(os.environ, **{name: str(threads) for name in _THREAD_VARIABLES})
        self.side = side
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN, side, str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def request(self, **command: Any) -> dict[str, Any]:
        """Send one command and wait for its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            code = self.process.wait()
            raise BenchError(f"the {self.side} worker ended (exit code {code}) during {command}")
        answer = json.loads(line)
        if "error" in answer:
            if answer.get("type") == "DataError":
                from juanji.errors import DataError  # noqa: PLC0415

                raise DataError(answer["error"])
            raise BenchError(f"the {self.side} worker failed: {answer['error']}")
        return answer

    def close(self) -> None:
        """Let the worker exit (it ends when its stdin closes)."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RemoteTimer:
    """A row on one worker, as ``timing.alternate`` drives it: warm once, then time rounds."""

    def __init__(self, worker: Worker, **build: Any) -> None:
        self.worker, self.build = worker, build

    def warm(self) -> float:
        """Build the workload in the worker and run it once; its seconds."""
        return float(self.worker.request(cmd="build", **self.build)["seconds"])

    def time(self, reps: int) -> float:
        """Mean seconds per call over ``reps`` calls."""
        return float(self.worker.request(cmd="time", reps=reps)["seconds"])


# ----------------------------------------------------------------------- the worker's side
def _library(side: str, threads: int) -> Any:
    if side == "torch":
        import torch  # noqa: PLC0415 - only the torch worker loads PyTorch

        torch.set_num_threads(threads)
        return torch
    from juanji.apps.bench.workloads import juanji_api  # noqa: PLC0415
    from juanji.backend import set_num_threads  # noqa: PLC0415

    set_num_threads(threads)
    return juanji_api()


def _build(side: str, lib: Any, command: dict[str, Any]) -> Callable[[], Any]:
    from juanji.apps.bench import mnist  # noqa: PLC0415
    from juanji.apps.bench.workloads import WORKLOADS  # noqa: PLC0415
    from juanji.backends import conv  # noqa: PLC0415

    name = command["row"]
    if name == mnist.EPOCH_ROW:
        return mnist.epoch_call(side, command["rounds"], command.get("data"), command["tiny"])
    workloads = [w for w in WORKLOADS if w.name == name]
    if not workloads:
        raise ValueError(f"no workload is named {name!r}")
    (workload,) = workloads
    if side == "juanji":
        conv.algorithm = command.get("algorithm") or "auto"
    return workload.build(lib, command["tiny"])


def _answer(side: str, lib: Any, command: dict[str, Any], state: dict[str, Any]) -> Any:
    from juanji.apps.bench import memory, mnist  # noqa: PLC0415
    from juanji.apps.bench.workloads import lenet5_train_step  # noqa: PLC0415

    kind = command["cmd"]
    if kind in ("memory", "accuracy"):  # as in one process: outside any --algorithm row
        from juanji.backends import conv  # noqa: PLC0415

        conv.algorithm = "auto"
    if kind == "build":
        state["call"] = _build(side, lib, command)
        return {"seconds": _seconds(state["call"], 1)}
    if kind == "time":
        return {"seconds": _seconds(state["call"], command["reps"])}
    if kind == "memory":
        peak = memory.peak_bytes_torch if side == "torch" else memory.peak_bytes_juanji
        return {"bytes": peak(lenet5_train_step(lib, command["tiny"]))}
    if kind == "accuracy":
        job = tuple(command["job"])
        return mnist.side_time_to_accuracy(
            side, command["target"], job, command.get("data"), command["tiny"], sys.stderr
        )
    raise ValueError(f"unknown command {kind!r}")


def _seconds(call: Callable[[], Any], reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        call()
    return (time.perf_counter() - start) / reps


def serve(side: str, threads: int) -> int:
    """The worker's loop: answer commands from stdin until it closes."""
    lib = _library(side, threads)
    state: dict[str, Any] = {}
    for line in sys.stdin:
        try:
            answer = _answer(side, lib, json.loads(line), state)
        except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
            answer = {"error": f"{type(error).__name__}: {error}", "type": type(error).__name__}
        print(json.dumps(answer), flush=True)
    return 0
