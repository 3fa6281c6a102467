"""Learning-rate schedulers: every learning rate (and OneCycleLR momentum) equals torch's.

The schedules are pure Python float arithmetic done in PyTorch's order, so the sequences are
compared for exact equality, over many steps and with two parameter groups.
"""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _optimizers(name="SGD", **kwargs):
    """The same two-group optimiser in juanji and in torch."""
    kwargs = {"momentum": 0.9, **kwargs} if name == "SGD" else kwargs
    ours = [juanji.zeros(2, requires_grad=True), juanji.zeros(1, requires_grad=True)]
    theirs = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = getattr(juanji.optim, name)(
        [{"params": ours[:1]}, {"params": ours[1:], "lr": 0.05}], lr=0.1, **kwargs
    )
    topt = getattr(torch.optim, name)(
        [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.05}], lr=0.1, **kwargs
    )
    return opt, topt


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _compare(opt, topt, sched, tsched, steps):
    """Step both schedulers ``steps`` times; learning rates and momenta must be identical."""
    history = []
    for k in range(steps + 1):
        assert sched.get_last_lr() == tsched.get_last_lr(), f"step {k}"
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert _momenta(opt) == _momenta(topt), f"step {k}"
        assert sched.last_epoch == tsched.last_epoch == k
        history.append(sched.get_last_lr())
        if k < steps:
            opt.step(), topt.step()
            sched.step(), tsched.step()
    return history


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 7}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 4}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 1}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 60}),
    (
        "OneCycleLR",
        {"max_lr": [1.0, 0.3], "epochs": 6, "steps_per_epoch": 10, "anneal_strategy": "linear"},
    ),
    (
        "OneCycleLR",
        {
            "max_lr": 0.5,
            "total_steps": 60,
            "three_phase": True,
            "pct_start": 0.25,
            "base_momentum": [0.8, 0.7],
            "max_momentum": 0.99,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
    ),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 60, "cycle_momentum": False}),
]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW"])
@pytest.mark.parametrize(
    ("name", "kwargs"), SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)]
)
def test_scheduler_sequence_matches_torch(name, kwargs, optimizer):
    opt, topt = _optimizers(optimizer)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert sched.base_lrs == tsched.base_lrs
    steps = kwargs.get("total_steps", 60)
    _compare(opt, topt, sched, tsched, steps)
    for group, tgroup in zip(opt.param_groups, topt.param_groups, strict=True):
        for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert group.get(key) == tgroup.get(key), key


@given(
    total_steps=st.integers(1, 40),
    pct_start=st.floats(0.0, 1.0),
    three_phase=st.booleans(),
    anneal=st.sampled_from(["cos", "linear"]),
    optimizer=st.sampled_from(["SGD", "Adam"]),
)
def test_one_cycle_matches_torch_for_any_configuration(
    total_steps, pct_start, three_phase, anneal, optimizer
):
    kwargs = dict(
        max_lr=[0.4, 1.0],
        total_steps=total_steps,
        pct_start=pct_start,
        three_phase=three_phase,
        anneal_strategy=anneal,
    )
    opt, topt = _optimizers(optimizer)
    try:  # where PyTorch divides by zero (a phase of no steps), juanji refuses at once
        tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
        for _ in range(total_steps):
            topt.step()
            tsched.step()
    except ZeroDivisionError:
        with pytest.raises(
            ValueError, match="OneCycleLR: phase [0-9] of the schedule has no steps"
        ):
            lr_scheduler.OneCycleLR(opt, **kwargs)
        return
    opt, topt = _optimizers(optimizer)
    sched = lr_scheduler.OneCycleLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    _compare(opt, topt, sched, tsched, total_steps)


def test_one_cycle_past_total_steps_raises_with_the_numbers():
    opt, _ = _optimizers()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    for _ in range(10):
        opt.step()
        sched.step()
    with pytest.raises(
        ValueError,
        match=r"OneCycleLR: Tried to step 11 times. The specified "
        r"number of total steps is 10",
    ):
        sched.step()


def test_chained_schedulers_match_torch():
    opt, topt = _optimizers()
    ours = [
        lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
        lr_scheduler.ExponentialLR(opt, gamma=0.95),
        lr_scheduler.MultiStepLR(opt, milestones=[8, 12]),
    ]
    theirs = [
        torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.1, total_iters=5),
        torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.95),
        torch.optim.lr_scheduler.MultiStepLR(topt, milestones=[8, 12]),
    ]
    for k in range(20):
        opt.step(), topt.step()
        for sched, tsched in zip(ours, theirs, strict=True):
            sched.step(), tsched.step()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups], k


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("LinearLR", {"start_factor": 0.25, "total_iters": 7}),
        ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ],
)
def test_step_with_epoch_uses_the_closed_form_like_torch(name, kwargs):
    opt, topt = _optimizers()
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    opt.step(), topt.step()
    for epoch in [3, 7, 1, 12, 12, 4]:
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tsched.step(epoch)
        assert sched.get_last_lr() == tsched.get_last_lr()


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES[::2], ids=[n for n, _ in SCHEDULES[::2]])
def test_state_dict_through_json_resumes_exactly(name, kwargs):
    opt, _ = _optimizers("Adam")
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(17):
        opt.step()
        sched.step()
    saved_optimizer = opt.state_dict()
    saved = json.loads(json.dumps(sched.state_dict()))
    expected = []
    for _ in range(20):
        opt.step()
        sched.step()
        expected.append((sched.get_last_lr(), _momenta(opt)))

    fresh, _ = _optimizers("Adam")
    resumed = getattr(lr_scheduler, name)(fresh, **kwargs)  # scheduler first, as in PyTorch
    fresh.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved)
    got = []
    for _ in range(20):
        fresh.step()
        resumed.step()
        got.append((resumed.get_last_lr(), _momenta(fresh)))
    assert got == expected


def test_state_dict_holds_no_optimizer():
    opt, topt = _optimizers()
    state = lr_scheduler.StepLR(opt, step_size=2).state_dict()
    tstate = torch.optim.lr_scheduler.StepLR(topt, step_size=2).state_dict()
    assert "optimizer" not in state
    for key in ("step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert state[key] == tstate[key], key


def test_construction_records_initial_lr_like_torch():
    opt, topt = _optimizers()
    lr_scheduler.ExponentialLR(opt, gamma=0.5)
    torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert [g["initial_lr"] for g in topt.param_groups] == [0.1, 0.05]


def test_resuming_with_last_epoch_needs_initial_lr():
    opt, _ = _optimizers()
    with pytest.raises(
        KeyError,
        match=r"StepLR: param 'initial_lr' is not specified in "
        r"param_groups\[0\] when resuming scheduler with "
        r"last_epoch=4",
    ):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)


def test_resuming_with_last_epoch_matches_torch():
    opt, topt = _optimizers()
    for o in (opt, topt):
        for group in o.param_groups:
            group["initial_lr"] = group["lr"]
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10, last_epoch=4)
    for _ in range(8):
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert sched.last_epoch == tsched.last_epoch
        opt.step(), topt.step()
        sched.step(), tsched.step()


def test_scheduler_step_before_optimizer_step_warns_like_torch():
    opt, topt = _optimizers()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2)
    with pytest.warns(
        UserWarning,
        match=r"Detected call of `lr_scheduler.step\(\)` before "
        r"`optimizer.step\(\)`",
    ):
        sched.step()
    with pytest.warns(UserWarning, match="Detected call of"):
        tsched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()  # warns only on the first call


def test_one_cycle_drives_adam_like_torch():
    # The schedule and the optimiser together: betas[0] cycles inside Adam's updates.
    rng = np.random.default_rng(0)
    init, target = rng.standard_normal(4), rng.standard_normal(4)
    w, tw = juanji.tensor(init, requires_grad=True), torch.tensor(init, requires_grad=True)
    opt, topt = juanji.optim.AdamW([w], lr=0.1), torch.optim.AdamW([tw], lr=0.1, foreach=False)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=30, three_phase=True)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.3, total_steps=30, three_phase=True)
    for _ in range(30):
        w.grad = juanji.tensor(2 * (w._data - target))
        tw.grad = torch.from_numpy(2 * (tw.detach().numpy() - target))
        opt.step(), topt.step()
        sched.step(), tsched.step()
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-12)


def test_one_cycle_updates_sgd_momentum_used_by_step():
    opt, topt = _optimizers("SGD", momentum=0.0)
    lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=1.0, total_steps=10)
    assert _momenta(opt) == _momenta(topt) == [0.95, 0.95]


# ---------------------------------------------------------------------------- errors
class _NoMomentum(juanji.optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, {"lr": 0.1})

    def _update_group(self, group):
        pass


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda o: lr_scheduler.StepLR(object(), step_size=1),
            TypeError,
            "StepLR: object is not an Optimizer",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR("sgd", max_lr=1.0, total_steps=3),
            TypeError,
            "OneCycleLR: str is not an Optimizer",
        ),
        (
            lambda o: lr_scheduler.StepLR(o, step_size=0),
            ValueError,
            "StepLR: step_size expected a positive integer, got 0",
        ),
        (
            lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0),
            ValueError,
            "CosineAnnealingLR: T_max expected a positive integer, got 0",
        ),
        (
            lambda o: lr_scheduler.MultiStepLR(o, milestones=[1.5]),
            TypeError,
            "MultiStepLR: milestones expected integers, got 1.5",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, start_factor=0),
            ValueError,
            r"LinearLR: Starting multiplicative factor .* got 0",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, end_factor=1.5),
            ValueError,
            r"LinearLR: Ending multiplicative factor .* got 1.5",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, total_iters=-1),
            ValueError,
            "LinearLR: total_iters expected a non-negative integer, got -1",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0),
            ValueError,
            r"OneCycleLR: You must define either total_steps OR \(epochs AND steps_per_epoch\)",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=0),
            ValueError,
            "OneCycleLR: Expected positive integer total_steps, but got 0",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=-1),
            ValueError,
            "OneCycleLR: Expected positive integer steps_per_epoch, but got -1",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=9, pct_start=1.5),
            ValueError,
            "OneCycleLR: Expected float between 0 and 1 pct_start, but got 1.5",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=9, anneal_strategy="exp"),
            ValueError,
            "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got 'exp'",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0], total_steps=9),
            ValueError,
            "OneCycleLR: max_lr must have the same length as optimizer.param_groups. max_lr has 1 "
            "values, param_groups has 2.",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1),
            ValueError,
            r"OneCycleLR: phase 0 of the schedule has no steps .*pct_start=0.1, "
            r"total_steps=10",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(
                _NoMomentum([juanji.zeros(1, requires_grad=True)]), max_lr=1.0, total_steps=9
            ),
            ValueError,
            "OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` option "
            "enabled; _NoMomentum has neither",
        ),
    ],
)
def test_scheduler_errors(build, error, message):
    opt, _ = _optimizers()
    with pytest.raises(error, match=message):
        build(opt)
