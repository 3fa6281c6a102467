"""``mpiexec -n 2 juanji train``: data-parallel runs of the command on a slice of real MNIST.

Each job runs ``programs/train_command.py`` (the command itself, on the first images of
MNIST) under ``mpiexec -n 2`` with a timeout; the tests skip when mpi4py, mpiexec or MNIST
($JUANJI_DATA/mnist) are absent.
"""

from __future__ import annotations

import json
import os
import pathlib
from dataclasses import replace

import numpy as np
import pytest

from juanji.apps import training
from juanji.apps.cli import main
from juanji.apps.training import run_directory
from juanji.data import MNIST

TRAIN, TEST = 256, 200  # images of the slice: 8 global batches of 32, a quick test pass


class MNISTSlice(MNIST):
    """The slice ``programs/train_command.py`` trains on, for runs in this process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = TRAIN if self.train else TEST
        self.data, self.targets = self.data[:n], self.targets[:n]


@pytest.fixture
def mnist_slice(monkeypatch):
    info = replace(training.DATASETS["mnist"], factory=MNISTSlice)
    monkeypatch.setitem(training.DATASETS, "mnist", info)


@pytest.fixture
def mnist_root():
    base = os.environ.get("JUANJI_DATA")
    if not base or not (pathlib.Path(base) / "mnist").is_dir():
        pytest.skip("JUANJI_DATA does not hold mnist/ (these runs read real MNIST)")
    return base


def _train(mpi_job, root, run, *flags, ranks=2):
    argv = ["train", "lenet5", "--epochs", "1", "--no-augment", "--no-progress"]
    argv += ["--data-dir", root, "--no-download", "--out", str(run), *flags]
    return mpi_job("train_command.py", str(TRAIN), str(TEST), *argv, ranks=ranks, timeout=90)


def test_two_ranks_write_one_run_that_loads_in_one_process(mpi_job, mnist_root, tmp_path):
    run = tmp_path / "run"
    job = _train(mpi_job, mnist_root, run, "--batch-size", "32")
    assert job.returncode == 0, job.stderr
    lines = job.stdout.splitlines()
    assert lines.count(training.EPOCH_HEADER) == 1, job.stdout  # rank 0 alone prints
    assert sum(line.startswith("test accuracy ") for line in lines) == 1, job.stdout
    assert "data-parallel on 2 processes: 16 images per process and step" in job.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # one run directory
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["epochs_completed"] == 1
    assert metrics["test_accuracy"] is not None  # rank 0 evaluated
    model, config = training.restore_model(run)  # the checkpoint keys of a plain run
    assert config.model == "lenet5"
    assert not any(key.startswith("module.") for key in model.state_dict())


def test_two_ranks_equal_one_process_at_the_same_global_batch(
    mpi_job, mnist_root, mnist_slice, tmp_path
):
    two = tmp_path / "two"
    job = _train(mpi_job, mnist_root, two, "--batch-size", "32", "--seed", "3")
    assert job.returncode == 0, job.stderr
    one = tmp_path / "one"
    config = training.load_run_config(two)  # the same recipe, seed and global batch 32
    training.train_run(config, one, root=mnist_root, download=False, data_parallel=True)
    ours, _ = run_directory.read_weights(one)[:2]
    theirs, _ = run_directory.read_weights(two)[:2]
    assert sorted(ours) == sorted(theirs) and len(ours) == 10
    initial = training.build_model(config).state_dict()
    for name, value in ours.items():
        expected = np.asarray(value)
        got = np.asarray(theirs[name])
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=name)
        if name.endswith("weight"):  # the steps moved the weights: the check is not vacuous
            assert not np.allclose(expected, initial[name].numpy(), atol=1e-4), name


def test_a_batch_the_ranks_cannot_share_ends_the_job_with_one_line(
    mpi_job, mnist_root, tmp_path
):
    job = _train(mpi_job, mnist_root, tmp_path / "run", "--batch-size", "33")
    assert job.returncode != 0
    message = "--batch-size 33 is the global batch, shared by the 2 processes"
    errors = [line for line in job.stderr.splitlines() if message in line]
    assert errors and "must be a multiple of 2" in errors[0], job.stderr
    assert "Traceback" not in job.stderr, job.stderr
    assert "data-parallel on" not in job.stdout  # refused before the run is described
    assert not (tmp_path / "run" / "config.json").exists()


def test_an_error_on_one_rank_ends_the_whole_job(mpi_job, mnist_root, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")  # rank 0 refuses the folder; rank 1 must not hang
    job = _train(mpi_job, mnist_root, run, "--batch-size", "32")
    assert job.returncode != 0 and job.seconds < 60
    assert f"juanji train: {run} already holds a run" in job.stderr, job.stderr


def test_a_run_of_one_process_resumes_on_two(
    mpi_job, mnist_root, mnist_slice, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    real = run_directory.save_checkpoint

    def stop_after_first_epoch(path, **kwargs):
        real(path, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", stop_after_first_epoch)
    argv = ["train", "lenet5", "--epochs", "2", "--batch-size", "32", "--no-progress"]
    argv += ["--data-dir", mnist_root, "--no-download", "--out", str(run)]
    assert main(argv) == 130
    monkeypatch.setattr(run_directory, "save_checkpoint", real)
    assert training.completed_epochs(run) == 1

    resume = ["train", "--resume", str(run), "--no-progress", "--data-dir", mnist_root]
    job = mpi_job("train_command.py", str(TRAIN), str(TEST), *resume, ranks=2, timeout=90)
    assert job.returncode == 0, job.stderr
    assert job.stdout.count("resuming after epoch 1 of 2") == 1, job.stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 2 and metrics["world_size"] == 2
    assert [row["epoch"] for row in metrics["epochs"]] == [1, 2]
