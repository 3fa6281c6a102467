"""Data-parallel training under ``mpiexec -n 2`` (skipped without mpi4py or mpiexec)."""

import pytest


def test_collectives_give_every_rank_the_result(mpi_job):
    job = mpi_job("collectives.py")
    assert job.returncode == 0, job.stderr
    assert "OK rank 0" in job.stdout and "OK rank 1" in job.stdout, job.stdout


def test_ddp_two_ranks_train_as_one_process_at_the_global_batch(mpi_job):
    # A bucket per parameter or one for all; a model with SyncBatchNorm: one job, three runs.
    job = mpi_job("ddp_equivalence.py", "0.0005", "25", "0.0005,batchnorm")
    assert job.returncode == 0, job.stderr
    for rank, run in [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]:
        assert f"OK rank {rank} run {run} " in job.stdout, job.stdout


def test_sync_batchnorm_equals_batchnorm_on_the_whole_batch(mpi_job):
    job = mpi_job("sync_batchnorm.py")
    assert job.returncode == 0, job.stderr
    assert "OK rank 0" in job.stdout and "OK rank 1" in job.stdout, job.stdout


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("raise", "rank 1 of 2: raised ValueError; aborting all 2 ranks"),
        ("kill", ""),
        ("hang", "rank 0 of 2: waited 2 s in all_reduce"),
    ],
)
def test_a_failing_rank_ends_the_whole_job_within_seconds(mpi_job, mode, message):
    job = mpi_job("faults.py", mode)
    assert job.returncode != 0
    assert "finished the all_reduce" not in job.stdout  # rank 0 never got a wrong answer
    assert job.seconds < 30  # the program would sleep 60 s past a failure it missed
    assert message in job.stderr, job.stderr


def test_ddp_refuses_models_that_differ_between_ranks(mpi_job):
    job = mpi_job("faults.py", "mismatch")
    assert job.returncode == 0, job.stderr
    expected = "rank 1 has parameter '1.weight' of shape (3, 3)"
    # The launcher may join the ranks' lines: count the messages, not the lines.
    assert "REFUSED rank 0" in job.stdout and "REFUSED rank 1" in job.stdout, job.stdout
    assert job.stdout.count(expected) == 2, job.stdout
