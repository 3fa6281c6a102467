"""juanji.distributed in a process started without a launcher: a group of one, no mpi4py."""

import datetime
import subprocess
import sys

import numpy as np
import pytest
import torch

import juanji
import juanji.distributed as dist
from juanji.distributed import group as group_module


@pytest.fixture
def world():
    dist.init_process_group()
    yield
    dist.destroy_process_group()


def test_without_a_launcher_the_group_is_this_process_alone(world):
    assert dist.is_initialized() and dist.is_available()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")


def test_destroy_ends_the_group():
    dist.init_process_group(backend="gloo")
    dist.destroy_process_group()
    assert not dist.is_initialized()


def test_uninitialised_group_raises_as_pytorch():
    with pytest.raises(ValueError, match="Default process group has not been initialized") as ours:
        dist.get_rank()
    with pytest.raises(
        ValueError, match="Default process group has not been initialized"
    ) as theirs:
        torch.distributed.get_rank()
    assert type(ours.value) is type(theirs.value)
    with pytest.raises(ValueError, match="all_reduce: Default process group"):
        dist.all_reduce(juanji.ones(1))


def test_init_twice_raises(world):
    with pytest.raises(RuntimeError, match="initialize the default process group twice"):
        dist.init_process_group()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "nccl"}, r"backend must be one of \('mpi', 'gloo'\).*'nccl'"),
        ({"world_size": 2}, "world_size=2 but the MPI launcher made this process world_size 1"),
        ({"rank": 1}, "rank=1 but the MPI launcher made this process rank 0"),
        ({"timeout": datetime.timedelta(0)}, "timeout must be positive"),
        ({"store": object()}, "store, group_name, pg_options and device_id are not supported"),
    ],
)
def test_init_refuses_what_the_launcher_contradicts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_init_accepts_what_pytorch_scripts_pass():
    dist.init_process_group("gloo", init_method="env://", world_size=1, rank=0)
    assert dist.get_world_size() == 1
    dist.destroy_process_group()


def test_collectives_of_a_group_of_one_leave_the_values(world):
    t = juanji.tensor([1.0, -2.0])
    for op in dist.ReduceOp:
        if op not in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
            dist.all_reduce(t, op=op)
    dist.broadcast(t, src=0)
    gathered = [juanji.zeros(2)]
    work = dist.all_gather(gathered, t, async_op=True)
    assert not work.is_completed() and work.wait() and work.is_completed()
    np.testing.assert_array_equal(gathered[0].numpy(), [1.0, -2.0])
    np.testing.assert_array_equal(t.numpy(), [1.0, -2.0])
    objects = [None]
    dist.all_gather_object(objects, {"a": 1})
    assert objects == [{"a": 1}]
    dist.barrier()


def test_collective_errors_name_the_function_and_argument(world):
    with pytest.raises(ValueError, match=r"broadcast: src must be a rank in \[0, 0\], got 1"):
        dist.broadcast(juanji.ones(1), src=1)
    with pytest.raises(ValueError, match="all_reduce: ReduceOp.AVG needs a floating tensor"):
        dist.all_reduce(juanji.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="all_reduce: tensor must be a Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match="all_gather: tensor_list must be a list of world_size=1"):
        dist.all_gather([juanji.ones(1), juanji.ones(1)], juanji.ones(1))
    with pytest.raises(ValueError, match=r"all_gather: tensor_list\[0\] has shape \(2,\)"):
        dist.all_gather([juanji.ones(2)], juanji.ones(1))


def test_differentiable_all_reduce_of_one_rank_is_the_identity(world):
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    (dist.functional.all_reduce(x) * juanji.tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_a_timeout_ends_the_wait_with_a_message(world, capsys):
    class Never:
        @staticmethod
        def Testall(requests):  # noqa: N802 - mpi4py's name
            return False

    group = group_module.ProcessGroup(None, 0, 1, timeout=0.05)
    with pytest.raises(SystemExit):
        group.wait([Never()], "all_reduce")
    assert "rank 0 of 1: waited 0 s in all_reduce" in capsys.readouterr().err


def test_import_juanji_does_not_import_mpi4py():
    code = "import sys, juanji, juanji.distributed; print('mpi4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_launcher_without_mpi4py_gives_the_install_hint(monkeypatch):
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r'pip install "juanji\[distributed\]"'):
        dist.init_process_group()
    assert not dist.is_initialized()


def test_node_local_rank_as_pytorch(monkeypatch):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    with pytest.raises(RuntimeError, match="LOCAL_RANK is not set"):
        dist.get_node_local_rank()
    assert dist.get_node_local_rank(fallback_rank=3) == 3
    assert torch.distributed.get_node_local_rank(fallback_rank=3) == 3
    dist.init_process_group()
    try:
        assert dist.get_node_local_rank() == 0
        assert group_module._world.node_rank_and_size() == (0, 1)
        monkeypatch.setenv("LOCAL_RANK", "5")
        assert dist.get_node_local_rank() == 5 == torch.distributed.get_node_local_rank()
    finally:
        dist.destroy_process_group()


def test_a_launcher_of_another_mpi_is_refused(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    with pytest.raises(RuntimeError, match=r"started 4 processes \(OMPI_COMM_WORLD_SIZE\) but MPI"):
        group_module._check_launcher_size(1)
    group_module._check_launcher_size(4)
