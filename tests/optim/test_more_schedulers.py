"""LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts,
ReduceLROnPlateau, SequentialLR, ChainedScheduler: learning rates equal torch's exactly.
"""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
from juanji.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _optimizers():
    """The same two-group SGD in juanji and in torch."""
    ours = [juanji.zeros(2, requires_grad=True), juanji.zeros(1, requires_grad=True)]
    theirs = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = juanji.optim.SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.05}], lr=0.1)
    topt = torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.05}], lr=0.1)
    return opt, topt


def _lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def _same(opt, topt, sched, tsched, where):
    assert sched.get_last_lr() == tsched.get_last_lr(), where
    assert _lrs(opt) == _lrs(topt), where
    assert getattr(sched, "last_epoch", None) == getattr(tsched, "last_epoch", None), where


def _run(opt, topt, sched, tsched, steps, metrics=None):
    for k in range(steps):
        _same(opt, topt, sched, tsched, f"step {k}")
        opt.step(), topt.step()
        if metrics is None:
            sched.step(), tsched.step()
        else:
            sched.step(metrics[k]), tsched.step(metrics[k])
    _same(opt, topt, sched, tsched, "end")


def _build(lib, name, kwargs, opt):
    schedulers = lib.optim.lr_scheduler
    if name == "SequentialLR":
        children = [
            schedulers.LinearLR(opt, start_factor=0.2, total_iters=3),
            schedulers.ExponentialLR(opt, gamma=0.7),
            schedulers.CosineAnnealingLR(opt, T_max=4),
        ]
        return schedulers.SequentialLR(opt, children, milestones=kwargs["milestones"])
    if name == "ChainedScheduler":
        children = [
            schedulers.ConstantLR(opt, factor=0.5, total_iters=3),
            schedulers.ExponentialLR(opt, gamma=0.9),
            schedulers.MultiStepLR(opt, milestones=[2, 4]),
        ]
        return schedulers.ChainedScheduler(children, **kwargs)
    return getattr(schedulers, name)(opt, **kwargs)


def _halving(epoch):
    return 0.5 ** (epoch % 4)


class Warmup:  # a callable object: its attributes go into state_dict, as in torch
    def __init__(self, length):
        self.length = length

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.length)


SCHEDULES = [
    ("LambdaLR", {"lr_lambda": _halving}),
    ("LambdaLR", {"lr_lambda": [_halving, lambda e: 1 / (1 + e)]}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.95}),
    ("MultiplicativeLR", {"lr_lambda": [lambda e: 0.9, lambda e: 1.0 + 0.01 * e]}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.1, "total_iters": 3}),
    ("ConstantLR", {"factor": 1.0}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 3, "power": 0.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001}),
    ("SequentialLR", {"milestones": [3, 8]}),
    ("SequentialLR", {"milestones": [0, 5]}),
    ("ChainedScheduler", {}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)]
)
def test_schedule_matches_torch_exactly(name, kwargs):
    opt, topt = _optimizers()
    sched, tsched = _build(juanji, name, kwargs, opt), _build(torch, name, kwargs, topt)
    _run(opt, topt, sched, tsched, 25)


@settings(max_examples=40, deadline=None)
@given(
    T_0=st.integers(1, 5),
    T_mult=st.integers(1, 3),
    eta_min=st.floats(0.0, 0.01),
    epochs=st.lists(st.floats(0.0, 30.0) | st.integers(0, 30), min_size=1, max_size=20),
)
def test_warm_restarts_with_fractional_epochs_match_torch(T_0, T_mult, eta_min, epochs):
    opt, topt = _optimizers()
    kwargs = {"T_0": T_0, "T_mult": T_mult, "eta_min": eta_min}
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, **kwargs)
    for epoch in epochs:
        opt.step(), topt.step()
        sched.step(epoch), tsched.step(epoch)
        _same(opt, topt, sched, tsched, f"epoch {epoch}")
        assert (sched.T_cur, sched.T_i) == (tsched.T_cur, tsched.T_i)
        sched.step(), tsched.step()  # an integer step after a jump
        _same(opt, topt, sched, tsched, f"after epoch {epoch}")


@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    factor=st.sampled_from([0.1, 0.5]) | st.floats(0.0, 0.99),
    patience=st.integers(0, 4),
    cooldown=st.integers(0, 3),
    threshold=st.sampled_from([1e-4, 0.0, 0.1]),
    min_lr=st.sampled_from([0, 1e-3, [0.01, 0.0]]),
    eps=st.sampled_from([1e-8, 0.01]),
    metrics=st.lists(
        st.sampled_from([1.0, 0.5, 2.0]) | st.floats(-10, 10), min_size=1, max_size=40
    ),
)
def test_reduce_on_plateau_matches_torch(metrics, **kwargs):
    opt, topt = _optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    _run(opt, topt, sched, tsched, len(metrics), metrics)
    assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (
        tsched.best,
        tsched.num_bad_epochs,
        tsched.cooldown_counter,
    )


def test_reduce_on_plateau_by_hand_with_cooldown():
    opt, _ = _optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, cooldown=1, factor=0.5)
    lrs = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0]:  # bad, reduce; cooldown; bad, reduce; cooldown
        sched.step(juanji.tensor(loss))  # a 0-d tensor, as loss.item() would give a float
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [0.1, 0.05, 0.05, 0.025, 0.025]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("LambdaLR", {"lr_lambda": Warmup(4)}),
        ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9}),
        ("ConstantLR", {"factor": 0.5, "total_iters": 6}),
        ("PolynomialLR", {"total_iters": 9, "power": 2.0}),
        ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2}),
        ("SequentialLR", {"milestones": [3, 8]}),
        ("ChainedScheduler", {}),
        ("ReduceLROnPlateau", {"patience": 1}),
    ],
)
def test_state_dict_through_json_resumes_like_torch(name, kwargs):
    metrics = [1.0, 1.0, 1.0, 0.5, 0.7, 0.7, 0.7, 0.2, 0.9, 0.9, 0.9, 0.9]
    opt, topt = _optimizers()
    sched, tsched = _build(juanji, name, kwargs, opt), _build(torch, name, kwargs, topt)
    step_metrics = metrics if name == "ReduceLROnPlateau" else None
    _run(opt, topt, sched, tsched, 5, step_metrics)
    saved = json.loads(json.dumps(sched.state_dict()))
    theirs = tsched.state_dict()
    assert set(saved) == set(theirs) - {"_get_lr_called_within_step"}
    if name == "LambdaLR":
        assert saved["lr_lambdas"] == [{"length": 4}, {"length": 4}]
    resumed_opt, _ = _optimizers()  # the resume recipe: build both, then load both
    resumed = _build(juanji, name, kwargs, resumed_opt)
    resumed_opt.load_state_dict(opt.state_dict())
    resumed.load_state_dict(saved)
    rest = metrics[5:] if step_metrics else None
    _run(resumed_opt, topt, resumed, tsched, 7, rest)


ERRORS = [
    (
        lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
        ValueError,
        "Expected 2 lr_lambdas, but got 1",
    ),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
        ValueError,
        "positive integer T_0",
    ),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        ValueError,
        "integer T_mult >= 1",
    ),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
        ValueError,
        "float or int eta_min",
    ),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
        ValueError,
        "non-negative epoch",
    ),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
    (
        lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
        ValueError,
        "threshold mode x is unknown",
    ),
    (
        lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
        ValueError,
        "expected 2 min_lrs, got 1",
    ),
    (
        lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]),
        ValueError,
        "at least one scheduler",
    ),
    (
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o)], milestones=[2]),
        ValueError,
        "one more than the number of milestone points",
    ),
    (
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]),
        ValueError,
        "does not support `ReduceLROnPlateau`",
    ),
    (
        lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(_optimizers()[0])], o),
        ValueError,
        "belong to the same optimizer",
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), ERRORS, ids=[e[2] for e in ERRORS])
def test_scheduler_errors(build, error, message):
    opt, _ = _optimizers()
    with pytest.raises(error, match=message):
        build(opt)


def test_polynomial_and_warm_restarts_by_hand():
    opt, _ = _optimizers()
    sched = lr_scheduler.PolynomialLR(opt, total_iters=2, power=1.0)
    opt.step(), sched.step()
    assert sched.get_last_lr() == [0.05, 0.025]
    opt.step(), sched.step()
    assert sched.get_last_lr() == [0.0, 0.0]
    opt, _ = _optimizers()
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)
    sched.step(5.0)  # second cycle (length 8) began at epoch 4: T_cur = 1
    assert (sched.T_cur, sched.T_i) == (1.0, 8)
    assert math.isclose(sched.get_last_lr()[0], 0.1 * (1 + math.cos(math.pi / 8)) / 2)
