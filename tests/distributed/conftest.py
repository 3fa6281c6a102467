"""The ``mpi_job`` fixture: run a program of ``programs/`` under ``mpiexec -n N``, or skip.

Children get one BLAS/OpenMP thread each (the machine has few cores) and a timeout, so a
hung job fails the test instead of the suite.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

PROGRAMS = pathlib.Path(__file__).parent / "programs"


def mpiexec() -> str:
    """The launcher beside this Python (the mpich wheel's), else the one on PATH, else skip."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip('mpi4py is not installed (pip install -e ".[distributed]")')
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec: install an MPI library (the mpich wheel of juanji[distributed])")
    return found


@dataclass
class Job:
    """What a finished job left: its exit code, output and duration in seconds."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run(program: str, *args: str, ranks: int = 2, timeout: float = 60) -> Job:
    """Run ``programs/<program>`` on ``ranks`` processes; fail the test if it outlives timeout."""
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[name] = "1"
    command = [mpiexec(), "-n", str(ranks), sys.executable, str(PROGRAMS / program), *args]
    start = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{program} {args} ran past {timeout} s (a hang): {error.stdout}")
    return Job(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


@pytest.fixture
def mpi_job():
    """``run``: start a program under mpiexec (the test is skipped when MPI is absent)."""
    return run
