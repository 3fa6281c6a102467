"""SGD: k-step trajectories equal torch.optim.SGD's for every option combination.

Both libraries start from the same parameters; at every step each computes the gradient of the
same least-squares loss at its *own* current parameters (one NumPy function for both), so a
difference in an update would carry into every later step instead of being reset.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
from juanji.optim import SGD

torch = pytest.importorskip("torch")

from reference import run_optimizers  # noqa: E402 - after the torch check

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def run_both(make, kwargs, dtype, **options):
    """``reference.run_optimizers`` with this file's tolerances."""
    return run_optimizers(make, kwargs, dtype, TOLERANCE, **options)


def _sgd(lib):
    return lib.SGD


@st.composite
def sgd_options(draw):
    momentum = draw(st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.99))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 1.0))
    return {
        "lr": draw(st.sampled_from([1e-3, 0.1]) | st.floats(0.0, 0.5)),
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": draw(st.sampled_from([0.0, 1e-2]) | st.floats(0.0, 0.2)),
        "nesterov": nesterov,
        "maximize": draw(st.booleans()),
    }


@given(
    options=sgd_options(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_sgd_trajectory_matches_torch(options, dtype, seed):
    run_both(_sgd, options, dtype, seed=seed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.05},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.05, "maximize": True},
        {"lr": 0.1, "maximize": True},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults",
)
def test_sgd_option_combinations_match_torch_over_many_steps(options, dtype):
    run_both(_sgd, options, dtype, steps=25)


def test_sgd_param_groups_with_different_options_match_torch():
    groups = [
        ([0], {"momentum": 0.9, "nesterov": True}),
        ([1, 2], {"lr": 0.05, "weight_decay": 0.1, "dampening": 0.2, "momentum": 0.5}),
    ]
    for dtype in (np.float32, np.float64):
        run_both(_sgd, {"lr": 0.2}, dtype, steps=10, groups=groups)


def test_sgd_skips_parameters_without_gradient_like_torch():
    # The momentum buffer of a skipped parameter neither decays nor is created.
    def has_grad(k, i):
        return (k + i) % 3 != 0

    for dtype in (np.float32, np.float64):
        opt, topt, ours, theirs = run_both(
            _sgd,
            {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
            dtype,
            steps=10,
            has_grad=has_grad,
        )
        for p, tp in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(
                opt.state[p]["momentum_buffer"]._data,
                topt.state[tp]["momentum_buffer"].numpy(),
                **TOLERANCE[dtype],
            )


def test_sgd_first_step_sets_buffer_to_the_gradient_without_dampening():
    # Hand example: the first buffer is the gradient itself, not (1 - dampening) * gradient.
    w = juanji.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([w], lr=0.5, momentum=0.9, dampening=0.5)
    w.grad = juanji.tensor([2.0, 4.0])
    opt.step()
    assert opt.state[w]["momentum_buffer"].tolist() == [2.0, 4.0]
    assert w.tolist() == [0.0, -4.0]
    w.grad = juanji.tensor([2.0, 4.0])
    opt.step()  # buffer = 0.9 * 2 + 0.5 * 2 = 2.8; w = 0 - 0.5 * 2.8
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"]._data, [2.8, 5.6], rtol=1e-6)
    np.testing.assert_allclose(w._data, [-1.4, -6.8], rtol=1e-6)


def test_sgd_does_not_change_the_gradient():
    w = juanji.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)
    for _ in range(2):
        w.grad = juanji.tensor([0.5, 0.25])
        opt.step()
        assert w.grad.tolist() == [0.5, 0.25]


def test_sgd_without_momentum_keeps_no_state():
    w = juanji.tensor([1.0], requires_grad=True)
    opt = SGD([w], lr=0.1)
    w.grad = juanji.ones(1)
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_sgd_defaults_match_torch():
    import inspect

    ours = inspect.signature(SGD).parameters
    theirs = inspect.signature(torch.optim.SGD).parameters
    for name in ours:
        assert ours[name].default == theirs[name].default, name
        assert ours[name].kind == theirs[name].kind, name
    assert list(ours) == [n for n in theirs if n in ours]
