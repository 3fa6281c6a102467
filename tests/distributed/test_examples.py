"""examples/distributed_lenet.py runs as the README shows it: two processes equal one."""

from __future__ import annotations

import os
import pathlib
import re

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "distributed_lenet.py"


@pytest.fixture
def mnist_data():
    base = os.environ.get("JUANJI_DATA")
    if not base or not (pathlib.Path(base) / "mnist").is_dir():
        pytest.skip("JUANJI_DATA does not hold mnist/ (the example reads real MNIST)")
    return base


def _accuracy(output: str) -> float:
    (value,) = re.findall(r"accuracy on 2000 test digits ([0-9.]+) %", output)
    return float(value)


def test_the_example_on_two_processes_matches_one(mpi_job, mnist_data):
    example = str(EXAMPLE)
    two = mpi_job(example, "--steps", "8", ranks=2, timeout=120)
    one = mpi_job(example, "--steps", "8", ranks=1, timeout=120)
    assert two.returncode == 0 and one.returncode == 0, two.stderr + one.stderr
    assert "on 2 process(es)" in two.stdout and two.stdout.count("epoch 1:") == 1  # rank 0 only
    # the same global batch and shuffle: the weights, so the test accuracy, agree
    assert abs(_accuracy(two.stdout) - _accuracy(one.stdout)) <= 0.1
