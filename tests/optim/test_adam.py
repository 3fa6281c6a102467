"""Adam and AdamW: k-step trajectories equal torch's for every option combination.

As in test_sgd.py, both libraries start from the same parameters and each computes the gradient
of the same least-squares loss at its own current parameters, so any difference in an update
carries into every later step.
"""

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji.optim import Adam, AdamW

torch = pytest.importorskip("torch")

from reference import OPTIMIZER_SHAPES, LeastSquares, run_optimizers  # noqa: E402 - after the torch check

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
SHAPES = OPTIMIZER_SHAPES


def run_both(name, kwargs, dtype, **options):
    """``reference.run_optimizers`` for the optimiser ``name``, with this file's tolerances."""
    return run_optimizers(lambda lib: getattr(lib, name), kwargs, dtype, TOLERANCE, **options)


@st.composite
def adam_options(draw):
    return {
        "lr": draw(st.sampled_from([1e-3, 0.1]) | st.floats(0.0, 0.3)),
        "betas": (
            draw(st.sampled_from([0.9, 0.0, 0.5]) | st.floats(0.0, 0.99)),
            draw(st.sampled_from([0.999, 0.0]) | st.floats(0.0, 0.9999)),
        ),
        "eps": draw(st.sampled_from([1e-8, 1e-3]) | st.floats(1e-10, 1e-2)),
        "weight_decay": draw(st.sampled_from([0.0, 1e-2]) | st.floats(0.0, 0.2)),
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@given(
    name=st.sampled_from(["Adam", "AdamW"]),
    options=adam_options(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_adam_trajectory_matches_torch(name, options, dtype, seed):
    run_both(name, options, dtype, seed=seed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("Adam", {}),
        ("Adam", {"lr": 0.05}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
        ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("Adam", {"lr": 0.05, "betas": (0.3, 0.6), "eps": 1e-4, "maximize": True}),
        ("AdamW", {}),
        ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
        ("AdamW", {"lr": 0.05, "weight_decay": 0.0}),
    ],
    ids=lambda o: o if isinstance(o, str) else ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_adam_option_combinations_match_torch_over_many_steps(name, options, dtype):
    run_both(name, options, dtype, steps=25)


def test_adam_param_groups_with_different_options_match_torch():
    groups = [
        ([0], {"amsgrad": True, "betas": (0.5, 0.9)}),
        ([1, 2], {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-3}),
    ]
    for name in ("Adam", "AdamW"):
        for dtype in (np.float32, np.float64):
            run_both(name, {"lr": 0.1}, dtype, steps=10, groups=groups)


def test_adam_skips_parameters_without_gradient_like_torch():
    # A skipped parameter's step count does not advance, so its bias correction differs.
    def has_grad(k, i):
        return (k + i) % 3 != 0

    for dtype in (np.float32, np.float64):
        opt, topt, ours, theirs = run_both(
            "Adam", {"lr": 0.1, "amsgrad": True}, dtype, steps=10, has_grad=has_grad
        )
        for p, tp in zip(ours, theirs, strict=True):
            assert opt.state[p]["step"] == topt.state[tp]["step"].item()
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                np.testing.assert_allclose(
                    opt.state[p][key]._data, topt.state[tp][key].numpy(), **TOLERANCE[dtype]
                )


def test_adam_state_matches_torch_after_training():
    for name in ("Adam", "AdamW"):
        opt, topt, ours, theirs = run_both(name, {"lr": 0.1, "amsgrad": True}, np.float64, steps=8)
        for p, tp in zip(ours, theirs, strict=True):
            assert list(opt.state[p]) == list(topt.state[tp])
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                np.testing.assert_allclose(
                    opt.state[p][key]._data, topt.state[tp][key].numpy(), rtol=1e-12
                )


def test_adam_first_step_by_hand():
    # m = 0.1 g, v = 0.001 g^2; corrected: m / 0.1 = g, v / 0.001 = g^2; step = lr * g / |g|.
    w = juanji.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = Adam([w], lr=0.5, eps=0.0)
    w.grad = juanji.tensor([4.0, -0.25, 0.0])
    with np.errstate(invalid="ignore"):  # the third coordinate is 0 / 0, as in torch
        opt.step()
    np.testing.assert_allclose(w._data[:2], [0.5, -1.5], rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["exp_avg"]._data, [0.4, -0.025, 0.0], rtol=1e-6)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With a zero gradient Adam's moments stay 0 and only the decay moves the weights.
    w = juanji.tensor([1.0, -2.0], requires_grad=True)
    opt = AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = juanji.zeros(2)
    opt.step()
    np.testing.assert_allclose(w._data, [0.95, -1.9], rtol=1e-6)
    assert opt.state[w]["exp_avg"].tolist() == [0.0, 0.0]


def test_adam_does_not_change_the_gradient():
    w = juanji.tensor([1.0, -2.0], requires_grad=True)
    opt = Adam([w], lr=0.1, weight_decay=0.1, maximize=True, amsgrad=True)
    for _ in range(2):
        w.grad = juanji.tensor([0.5, 0.25])
        opt.step()
        assert w.grad.tolist() == [0.5, 0.25]


def test_adam_reads_betas_from_the_group_each_step():
    # What OneCycleLR relies on: group['betas'] may be replaced between steps.
    groups_changes = {2: (0.5, 0.999), 4: (0.8, 0.99)}
    problem = LeastSquares(SHAPES, np.float64, 1)
    ours = [juanji.tensor(x.copy(), requires_grad=True) for x in problem.init]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in problem.init]
    opt, topt = Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1, foreach=False)
    for k in range(6):
        if k in groups_changes:
            opt.param_groups[0]["betas"] = topt.param_groups[0]["betas"] = groups_changes[k]
        for i, (p, tp) in enumerate(zip(ours, theirs, strict=True)):
            p.grad = juanji.tensor(problem.grad(i, p._data))
            tp.grad = torch.from_numpy(problem.grad(i, tp.detach().numpy()))
        opt.step(), topt.step()
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_signature_matches_torch(cls):
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(getattr(torch.optim, cls.__name__)).parameters
    for name in ours:
        assert ours[name].default == theirs[name].default, name
        assert ours[name].kind == theirs[name].kind, name
    assert list(ours) == [n for n in theirs if n in ours]
