"""juanji.optim.swa_utils: averaged models, SWALR and update_bn equal torch.optim.swa_utils."""

import numpy as np
import pytest

import juanji
from juanji.optim import swa_utils

torch = pytest.importorskip("torch")


def _net(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 2)
    )


def _pair(dtype=np.float32):
    ours, theirs = _net(juanji), _net(torch)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    _copy_into(ours, theirs)
    return ours, theirs


def _copy_into(ours, theirs):
    mine = dict(ours.state_dict())
    for name, value in theirs.state_dict().items():
        mine[name]._data[...] = value.numpy()


def _perturb(ours, theirs, rng, k):
    """Give both models the same new weights and statistics, as a training step would."""
    with torch.no_grad():
        for name, value in theirs.state_dict().items():
            dtype = value.numpy().dtype
            if name.endswith("running_var"):  # a variance stays positive
                value.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, value.shape).astype(dtype)))
            elif value.is_floating_point():
                value.copy_(torch.from_numpy(rng.standard_normal(value.shape).astype(dtype)))
            else:
                value.fill_(3 * k + 1)
    _copy_into(ours, theirs)


def _same_state(swa, tswa, tol):
    ours, theirs = swa.state_dict(), tswa.state_dict()
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name]._data, value.numpy(), **tol, err_msg=name)


AVERAGERS = {
    "swa": lambda sw: {},
    "ema_multi": lambda sw: {"multi_avg_fn": sw.get_ema_multi_avg_fn(0.9)},
    "swa_multi": lambda sw: {"multi_avg_fn": sw.get_swa_multi_avg_fn()},
    "ema": lambda sw: {"avg_fn": sw.get_ema_avg_fn(0.8)},
    "swa_fn": lambda sw: {"avg_fn": sw.get_swa_avg_fn()},
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("averager", list(AVERAGERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_averaged_model_matches_torch(averager, use_buffers, dtype):
    ours, theirs = _pair(dtype)
    swa = swa_utils.AveragedModel(ours, use_buffers=use_buffers, **AVERAGERS[averager](swa_utils))
    tswa = torch.optim.swa_utils.AveragedModel(
        theirs, use_buffers=use_buffers, **AVERAGERS[averager](torch.optim.swa_utils)
    )
    rng = np.random.default_rng(0)
    if averager == "swa_multi" and use_buffers:  # num_batches_tracked is an integer buffer
        for model, average in ((ours, swa), (theirs, tswa)):
            average.update_parameters(model)  # the first call only copies
            with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
                average.update_parameters(model)
        return
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for k in range(5):
        _perturb(ours, theirs, rng, k)
        swa.update_parameters(ours)
        tswa.update_parameters(theirs)
        _same_state(swa, tswa, tol)
    assert swa.n_averaged.item() == 5 and swa.n_averaged.dtype == juanji.int64
    x = rng.standard_normal((2, 2, 4, 4)).astype(dtype)
    swa.eval(), tswa.eval()
    np.testing.assert_allclose(
        swa(juanji.tensor(x)).detach().numpy(),
        tswa(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_swa_is_the_plain_average_by_hand():
    model = juanji.nn.Linear(2, 1)
    swa = swa_utils.AveragedModel(model)
    values = [1.0, 2.0, 4.0, 9.0]
    for v in values:
        with juanji.no_grad():
            model.weight.fill_(v)
            model.bias.fill_(-v)
        swa.update_parameters(model)
    assert swa.module.weight.tolist() == [[4.0, 4.0]]
    assert swa.module.bias.tolist() == [-4.0]
    assert swa.module is not model and model.weight.tolist() == [[9.0, 9.0]]


def test_ema_by_hand_and_decay_errors():
    model = juanji.nn.Linear(1, 1, bias=False)
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.5))
    for v in (4.0, 0.0, 1.0):
        with juanji.no_grad():
            model.weight.fill_(v)
        ema.update_parameters(model)
    assert ema.module.weight.item() == 1.5  # 4, then (4 + 0) / 2 = 2, then (2 + 1) / 2
    for lib in (swa_utils, torch.optim.swa_utils):
        for make in (lib.get_ema_multi_avg_fn, lib.get_ema_avg_fn):
            with pytest.raises(ValueError, match="Invalid decay value 1.5 provided"):
                make(1.5)


def test_both_averaging_functions_raise_like_torch():
    for lib, sw in ((juanji, swa_utils), (torch, torch.optim.swa_utils)):
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            sw.AveragedModel(
                lib.nn.Linear(1, 1),
                avg_fn=sw.get_swa_avg_fn(),
                multi_avg_fn=sw.get_swa_multi_avg_fn(),
            )


def test_update_bn_matches_torch():
    ours, theirs = _pair()
    ours.train(False), theirs.train(False)
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((n, 2, 4, 4)).astype(np.float32) for n in (3, 5, 2)]
    loader = [(juanji.tensor(b), juanji.zeros(len(b))) for b in batches]
    tloader = [(torch.tensor(b), torch.zeros(len(b))) for b in batches]
    swa_utils.update_bn(loader, ours)
    torch.optim.swa_utils.update_bn(tloader, theirs)
    bn, tbn = ours[1], theirs[1]
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(
            getattr(bn, name)._data, getattr(tbn, name).numpy(), rtol=1e-5, err_msg=name
        )
    assert bn.momentum == 0.1 and not ours.training  # momentum and mode restored
    # Bare tensors work too, and a model without BatchNorm is left alone.
    swa_utils.update_bn([juanji.tensor(b) for b in batches], ours)
    np.testing.assert_allclose(bn.running_mean._data, tbn.running_mean.numpy(), rtol=1e-5)
    swa_utils.update_bn(loader, juanji.nn.Linear(2, 2))


def test_update_bn_on_an_averaged_model():
    ours, _ = _pair()
    swa = swa_utils.AveragedModel(ours)
    swa.update_parameters(ours)
    batch = juanji.randn(4, 2, 4, 4)
    swa_utils.update_bn([batch], swa)
    conv_out = swa.module[0](batch).detach().numpy()
    np.testing.assert_allclose(
        swa.module[1].running_mean._data, conv_out.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-6
    )


def _sgd_pair(lr=(0.5, 0.2)):
    made = []
    for lib in (juanji, torch):
        params = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        groups = [{"params": params[:1]}, {"params": params[1:], "lr": lr[1]}]
        made.append(lib.optim.SGD(groups, lr=lr[0]))
    return made


@pytest.mark.parametrize(
    "kwargs",
    [
        {"swa_lr": 0.05},
        {"swa_lr": [0.05, 0.01], "anneal_epochs": 3, "anneal_strategy": "linear"},
        {"swa_lr": 0.05, "anneal_epochs": 0},
        {"swa_lr": 0.3, "anneal_epochs": 4, "anneal_strategy": "cos"},
    ],
    ids=str,
)
def test_swalr_matches_torch(kwargs):
    opt, topt = _sgd_pair()
    sched = swa_utils.SWALR(opt, **kwargs)
    tsched = torch.optim.swa_utils.SWALR(topt, **kwargs)
    for k in range(14):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15), k
        assert [g["swa_lr"] for g in opt.param_groups] == [g["swa_lr"] for g in topt.param_groups]
        opt.step(), topt.step()
        sched.step(), tsched.step()


def test_swalr_after_another_schedule_like_torch():
    # The usual recipe: cosine annealing until swa_start, then SWALR takes over.
    opt, topt = _sgd_pair()
    cos = juanji.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    tcos = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10)
    swa = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    tswa = torch.optim.swa_utils.SWALR(topt, swa_lr=0.05, anneal_epochs=3)
    for epoch in range(10):
        opt.step(), topt.step()
        if epoch < 4:
            cos.step(), tcos.step()
        else:
            swa.step(), tswa.step()
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [g["lr"] for g in topt.param_groups], rel=1e-14
        )
    saved = swa.state_dict()
    assert set(saved) == set(tswa.state_dict()) - {"_get_lr_called_within_step"}


def test_swalr_errors_like_torch():
    opt, topt = _sgd_pair()
    for sw, o in ((swa_utils, opt), (torch.optim.swa_utils, topt)):
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
            sw.SWALR(o, swa_lr=0.1, anneal_strategy="step")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            sw.SWALR(o, swa_lr=0.1, anneal_epochs=-1)
        with pytest.raises(ValueError, match="swa_lr must have the same length"):
            sw.SWALR(o, swa_lr=[0.1, 0.2, 0.3])


def test_module_path_imports_like_torch():
    from juanji.optim.swa_utils import SWALR, AveragedModel, update_bn  # noqa: F401

    assert set(swa_utils.__all__) == set(torch.optim.swa_utils.__all__)
