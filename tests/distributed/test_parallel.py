"""DistributedDataParallel and SyncBatchNorm in one process (the MPI runs are in test_mpi.py)."""

import types

import numpy as np
import pytest
import torch

import juanji
import juanji.distributed as dist
from juanji import nn
from juanji.distributed import functional as dist_functional
from juanji.distributed import group as group_module
from juanji.nn.parallel import DistributedDataParallel
from juanji.nn.parallel import _reducer as reducer_module
from juanji.nn.parallel._reducer import Reducer


@pytest.fixture
def world():
    dist.init_process_group()
    yield
    dist.destroy_process_group()


class Tied(nn.Module):
    """Two layers sharing one weight, a parameter used twice, and one never used."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        return self.b(self.a(x).tanh()) + self.a(x)


def test_ddp_of_one_rank_gives_the_plain_gradients(world):
    juanji.manual_seed(0)
    model = Tied()
    x = juanji.randn(4, 3)
    model(x).square().sum().backward()
    expected = {
        name: p.grad.numpy().copy() for name, p in model.named_parameters() if p.grad is not None
    }
    model.zero_grad()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-5)  # a bucket per parameter
    ddp(x).square().sum().backward()
    for name, p in model.named_parameters():
        want = expected.get(name, np.zeros(p.shape, np.float32))  # unused: zero, not None
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6, atol=1e-7)
    assert isinstance(model.a.weight, nn.Parameter) and model.b.weight is model.a.weight


def test_ddp_state_dict_has_pytorchs_module_prefix(world):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ddp = DistributedDataParallel(model)
    assert list(ddp.state_dict()) == ["module." + key for key in model.state_dict()]
    assert ddp.module is model


def test_no_sync_accumulates_and_the_next_backward_keeps_the_sum(world):
    layer = nn.Linear(2, 1, bias=False)
    ddp = DistributedDataParallel(layer)
    with ddp.no_sync():
        ddp(juanji.tensor([[1.0, 2.0]])).sum().backward()
    ddp(juanji.tensor([[3.0, 5.0]])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[4.0, 7.0]])


def test_evaluation_and_no_grad_forwards_need_no_backward(world):
    ddp = DistributedDataParallel(nn.Linear(2, 2))
    with juanji.no_grad():
        ddp(juanji.ones(1, 2))
    ddp.eval()
    ddp(juanji.ones(1, 2))  # grad enabled: prepared, but no gradient arrived: not an error
    ddp(juanji.ones(1, 2)).sum().backward()
    assert ddp.module.weight.grad is not None


def test_a_backward_that_misses_parameters_is_reported_at_the_next_forward(world):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.left, self.right = nn.Linear(2, 1), nn.Linear(2, 1)

        def forward(self, x):
            return self.left(x), self.right(x)

    ddp = DistributedDataParallel(TwoHeads())
    left, _ = ddp(juanji.ones(1, 2))
    left.sum().backward()
    with pytest.raises(RuntimeError, match="Expected to have finished reduction in the prior"):
        ddp(juanji.ones(1, 2))


def test_parameters_are_restored_when_forward_raises(world):
    model = nn.Linear(2, 2)
    weight = model.weight
    with pytest.raises(ValueError, match="linear: input has 3 features"):
        DistributedDataParallel(model)(juanji.ones(1, 3))
    assert model.weight is weight


def test_ddp_argument_errors(world):
    with pytest.raises(ValueError, match="device_ids, output_device and dim are for GPU modules"):
        DistributedDataParallel(nn.Linear(1, 1), device_ids=[0])
    with pytest.raises(ValueError, match="bucket_cap_mb must be positive, got 0"):
        DistributedDataParallel(nn.Linear(1, 1), bucket_cap_mb=0)
    with pytest.raises(TypeError, match="module must be an nn.Module, got function"):
        DistributedDataParallel(lambda x: x)


def test_ddp_without_a_group_raises_as_pytorch():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(1, 1))


def test_buckets_hold_one_dtype_in_reverse_order_within_the_cap(world):
    params = [
        juanji.zeros(10, requires_grad=True),
        juanji.zeros(10, requires_grad=True),
        juanji.zeros(10, dtype=juanji.float64, requires_grad=True),
        juanji.zeros(30, requires_grad=True),
    ]
    reducer = Reducer(params, group_module._world, bucket_cap_bytes=80)
    assert [b.indices for b in reducer.buckets] == [[3], [2], [1, 0]]
    assert [b.buffer.dtype for b in reducer.buckets] == [np.float32, np.float64, np.float32]


class _Done:
    """A finished MPI request."""

    @staticmethod
    def Testall(requests):  # noqa: N802 - mpi4py's name
        return True


class _TwoSameRanks:
    """A stand-in communicator: two ranks holding the same values (a sum doubles them)."""

    @staticmethod
    def Iallreduce(_in_place, buffer, op):  # noqa: N802 - mpi4py's name
        buffer *= 2
        return _Done()


def test_sync_batchnorm_path_matches_torch_batchnorm_on_the_gathered_batch(monkeypatch):
    """Two identical ranks: the statistics of [x, x], each rank's share of the gradients."""
    group = group_module.ProcessGroup(_TwoSameRanks(), 0, 2, timeout=5)
    monkeypatch.setattr(group_module, "_world", group)
    fake_mpi = types.SimpleNamespace(IN_PLACE=None, SUM=None)
    monkeypatch.setattr(dist_functional, "mpi", lambda: fake_mpi)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 5)).astype(np.float32) * 4 + 3
    g = rng.standard_normal(x.shape).astype(np.float32)
    ours = nn.SyncBatchNorm(2, momentum=None)
    theirs = torch.nn.BatchNorm2d(2, momentum=None)
    for layer in (ours, theirs):
        layer.weight.data = type(layer.weight.data)(np.array([1.5, -0.5], np.float32))
        layer.bias.data = type(layer.bias.data)(np.array([0.2, 0.1], np.float32))
    for _ in range(2):
        xj = juanji.tensor(x, requires_grad=True)
        out = ours(xj)
        (out * juanji.tensor(g)).sum().backward()
        xt = torch.tensor(np.concatenate([x, x]), requires_grad=True)
        out_t = theirs(xt)
        (out_t * torch.tensor(np.concatenate([g, g]))).sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach()[:3], atol=2e-5)
        np.testing.assert_allclose(xj.grad.numpy(), xt.grad[:3], rtol=1e-4, atol=1e-5)
        for name in ("weight", "bias"):  # each rank's share is half the gathered batch's
            mine, gathered = getattr(ours, name), getattr(theirs, name)
            np.testing.assert_allclose(2 * mine.grad.numpy(), gathered.grad, rtol=1e-4, atol=1e-5)
            mine.grad, gathered.grad = None, None
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean, rtol=1e-5)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var, rtol=1e-5)
    assert int(ours.num_batches_tracked.item()) == 2


def test_sync_batchnorm_alone_is_batchnorm():
    x = juanji.randn(4, 3, 5)
    sync, plain = nn.SyncBatchNorm(3), nn.BatchNorm1d(3)
    np.testing.assert_allclose(sync(x).detach().numpy(), plain(x).detach().numpy(), atol=1e-6)
    with pytest.raises(
        ValueError, match=r"SyncBatchNorm: expected at least 2D input \(got 1D input\)"
    ):
        sync(juanji.ones(3))
    with pytest.raises(ValueError, match="process_group must be None"):
        nn.SyncBatchNorm(3, process_group=object())


def test_convert_sync_batchnorm_replaces_the_layers_as_pytorch():
    def build(library):
        return library.nn.Sequential(
            library.nn.Conv2d(1, 2, 3),
            library.nn.BatchNorm2d(2),
            library.nn.Sequential(library.nn.BatchNorm1d(4, affine=False), library.nn.ReLU()),
        )

    model = build(juanji)
    model[1].running_mean.data = juanji.tensor([1.0, 2.0])
    weight = model[1].weight
    model.eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    reference = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build(torch))
    names = [type(m).__name__ for m in converted.modules()]
    assert names == [type(m).__name__ for m in reference.modules()]
    assert converted[1].weight is weight and not converted[1].training
    np.testing.assert_array_equal(converted[1].running_mean.numpy(), [1.0, 2.0])
    assert list(converted.state_dict()) == list(reference.state_dict())
    assert converted[2][0].weight is None


def test_ddp_starts_full_buckets_while_backward_runs(monkeypatch):
    """Two identical stand-in ranks: the average is the plain gradient; buckets start early."""
    group = group_module.ProcessGroup(_TwoSameRanks(), 0, 2, timeout=5)
    monkeypatch.setattr(group_module, "_world", group)
    monkeypatch.setattr(reducer_module, "mpi", lambda: types.SimpleNamespace(IN_PLACE=0, SUM=0))
    juanji.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))
    x = juanji.randn(5, 3)
    model(x).square().sum().backward()
    expected = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    ddp = DistributedDataParallel(model, broadcast_buffers=False, init_sync=False)
    ddp._reducer = Reducer(list(model.parameters()), group, bucket_cap_bytes=1)  # 1 per bucket
    started = []
    original = _TwoSameRanks.Iallreduce

    def recording(_in_place, buffer, op):
        started.append((ddp._reducer.launched, ddp._reducer.remaining))
        return original(_in_place, buffer, op)

    monkeypatch.setattr(_TwoSameRanks, "Iallreduce", staticmethod(recording))
    ddp(x).square().sum().backward()
    for p, want in zip(model.parameters(), expected, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)
    assert [launched for launched, _ in started] == list(range(6))  # in bucket order
    assert started[0][1] >= 4  # the last layer's bucket left before the first layer's grads
    started.clear()
    ddp._reducer.overlap = False  # the benchmark's switch: every bucket after backward
    model.zero_grad()
    ddp(x).square().sum().backward()
    assert [left for _, left in started] == [0] * 6
    for p, want in zip(model.parameters(), expected, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)


def test_a_gradient_through_a_tensor_the_forward_did_not_return_is_refused(world):
    class Keeps(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2)

        def forward(self, x):
            self.kept = self.layer(x)
            return x * 2

    model = Keeps()
    ddp = DistributedDataParallel(model)
    ddp(juanji.ones(1, 2, requires_grad=True))
    with pytest.raises(RuntimeError, match="reached a parameter the forward's output"):
        model.kept.sum().backward()


def test_backward_through_an_earlier_forward_is_refused(world):
    ddp = DistributedDataParallel(nn.Linear(2, 1))
    first = ddp(juanji.ones(1, 2))
    ddp(juanji.ones(1, 2))
    with pytest.raises(RuntimeError, match="backward through the output of an earlier forward"):
        first.sum().backward()
