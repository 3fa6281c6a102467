"""CyclicLR and the old base-class name _LRScheduler: learning rates and momenta equal torch's."""

import json

import pytest

import juanji
from juanji.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _optimizers(name="SGD", **kwargs):
    """The same two-group optimiser in juanji and in torch."""
    made = []
    for lib in (juanji, torch):
        params = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
        made.append(getattr(lib.optim, name)(groups, lr=0.1, **kwargs))
    return made


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _run(opt, topt, sched, tsched, steps):
    for k in range(steps):
        assert sched.get_last_lr() == tsched.get_last_lr(), f"step {k}"
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert _momenta(opt) == _momenta(topt), f"step {k}"
        opt.step(), topt.step()
        sched.step(), tsched.step()


class Halving:  # a callable object: its attributes go into state_dict, as in torch
    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return self.rate**x


CASES = [
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "step_size_down": 5},
    {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "step_size_up": 4, "mode": "triangular2"},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range", "gamma": 0.9},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "scale_fn": Halving(0.7)},
    {
        "base_lr": 0.01,
        "max_lr": 0.1,
        "step_size_up": 2,
        "scale_fn": Halving(0.95),
        "scale_mode": "iterations",
    },
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "cycle_momentum": False},
    {
        "base_lr": 0.01,
        "max_lr": 0.1,
        "step_size_up": 3,
        "base_momentum": [0.5, 0.6],
        "max_momentum": 0.95,
    },
]


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_cyclic_matches_torch_with_sgd(kwargs):
    opt, topt = _optimizers(momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, **kwargs)
    _run(opt, topt, sched, tsched, 25)


def test_cyclic_cycles_adam_beta1_like_torch():
    opt, topt = _optimizers("Adam", betas=(0.9, 0.99))
    kwargs = {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3, "mode": "triangular2"}
    sched = lr_scheduler.CyclicLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, **kwargs)
    _run(opt, topt, sched, tsched, 15)
    assert opt.param_groups[0]["betas"][1] == 0.99


def test_cyclic_by_hand():
    # triangular2, up 2, down 2: 0.1 -> 0.5 -> 0.1, then half the amplitude: -> 0.3 -> 0.1.
    opt = juanji.optim.SGD([juanji.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, 0.1, 0.5, step_size_up=2, mode="triangular2")
    seen = []
    for _ in range(8):
        seen.append((round(sched.get_last_lr()[0], 6), round(opt.param_groups[0]["momentum"], 6)))
        opt.step()
        sched.step()
    assert [lr for lr, _ in seen] == [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2]
    assert [m for _, m in seen][:3] == [0.9, 0.85, 0.8]


def test_cyclic_state_dict_round_trip_and_resume():
    opt, topt = _optimizers(momentum=0.9)
    kwargs = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "scale_fn": Halving(0.5)}
    sched = lr_scheduler.CyclicLR(opt, **kwargs)
    for _ in range(3):
        opt.step(), sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    assert saved["_scale_fn_custom"] == {"rate": 0.5}
    theirs = set(torch.optim.lr_scheduler.CyclicLR(topt, **kwargs).state_dict())
    assert set(saved) == theirs - {"_get_lr_called_within_step"}
    fresh_opt, _ = _optimizers(momentum=0.9)
    fresh = lr_scheduler.CyclicLR(fresh_opt, **{**kwargs, "scale_fn": Halving(0.9)})
    fresh.load_state_dict(saved)
    assert fresh._scale_fn_custom.rate == 0.5
    for _ in range(4):
        opt.step(), sched.step(), fresh_opt.step(), fresh.step()
        assert fresh.get_last_lr() == sched.get_last_lr()


def test_cyclic_errors_like_torch():
    opt, topt = _optimizers(momentum=0.9)
    for lib, o in ((juanji, opt), (torch, topt)):
        with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
            lib.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="square")
        with pytest.raises(ValueError, match="max_lr must have the same length"):
            lib.optim.lr_scheduler.CyclicLR(o, 0.1, [1.0, 2.0, 3.0])
    plain, tplain = _optimizers("Adagrad")
    for lib, o in ((juanji, plain), (torch, tplain)):
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.CyclicLR("sgd", 0.1, 1.0)


class _Warmup:
    """A scheduler written the old way: subclass _LRScheduler, closed form over base_lrs."""

    @staticmethod
    def make(base):
        class Warmup(base):
            def __init__(self, optimizer, warmup, last_epoch=-1):
                self.warmup = warmup
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                scale = min(1.0, (self.last_epoch + 1) / self.warmup)
                return [base_lr * scale for base_lr in self.base_lrs]

        return Warmup


def test_old_base_class_name_subclasses_like_torch():
    assert lr_scheduler._LRScheduler.__name__ == "_LRScheduler"
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
    assert "_LRScheduler" not in lr_scheduler.__all__  # torch leaves it out too
    opt, topt = _optimizers(momentum=0.9)
    sched = _Warmup.make(lr_scheduler._LRScheduler)(opt, warmup=4)
    tsched = _Warmup.make(torch.optim.lr_scheduler._LRScheduler)(topt, warmup=4)
    assert isinstance(sched, lr_scheduler.LRScheduler)
    _run(opt, topt, sched, tsched, 6)
