"""Rprop and ASGD: k-step trajectories and state equal torch's; hand-computed first steps."""

import numpy as np
import pytest

import juanji
from juanji import optim

torch = pytest.importorskip("torch")

from reference import run_optimizers  # noqa: E402 - after the torch check

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-11, atol=1e-12)}

CASES = [
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 3}),
    ("ASGD", {"lr": 0.05, "t0": 0, "weight_decay": 0.1, "maximize": True}),
]


def run_both(name, kwargs, dtype, **options):
    return run_optimizers(lambda lib: getattr(lib, name), kwargs, dtype, TOLERANCE, **options)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_trajectory_matches_torch(name, kwargs, dtype):
    run_both(name, kwargs, dtype, steps=20 if dtype == np.float64 else 12)


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_param_groups_and_skipped_parameters_match_torch(name):
    groups = [([0], {"lr": 0.05}), ([1, 2], {"lr": 0.01})]
    for dtype in (np.float32, np.float64):
        run_both(name, {}, dtype, steps=10, groups=groups, has_grad=lambda k, i: (k + i) % 3 != 0)


@pytest.mark.parametrize(("name", "kwargs"), [("Rprop", {}), ("ASGD", {"t0": 2, "lambd": 0.1})])
def test_state_matches_torch_and_state_dict_resumes(name, kwargs):
    opt, topt, ours, theirs = run_both(name, kwargs, np.float64, steps=5)
    for p, tp in zip(ours, theirs, strict=True):
        assert set(opt.state[p]) == set(topt.state[tp])
        for key, value in opt.state[p].items():
            actual = value._data if isinstance(value, juanji.Tensor) else value
            np.testing.assert_allclose(actual, topt.state[tp][key].numpy(), rtol=1e-12, err_msg=key)
    copies = [juanji.tensor(p._data.copy(), requires_grad=True) for p in ours]
    resumed = getattr(optim, name)(copies, **kwargs)
    resumed.load_state_dict(opt.state_dict())
    for p, q in zip(ours, copies, strict=True):
        p.grad = q.grad = juanji.tensor(np.cos(p._data))
    opt.step(), resumed.step()
    for p, q in zip(ours, copies, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_rprop_by_hand():
    # Steps 0.5, 0.6 (same sign), then a sign change: step size 0.3, coordinate held once.
    w = juanji.tensor([0.0], requires_grad=True, dtype=juanji.float64)
    opt = optim.Rprop([w], lr=0.5)
    for g in (1.0, 2.0, -1.0, -1.0):
        w.grad = juanji.tensor([g], dtype=juanji.float64)
        opt.step()
    # -0.5, -1.1, held (sign change, step size 0.3), then prev = 0: step 0.3 toward +.
    np.testing.assert_allclose(w._data, [-0.8], rtol=1e-12)
    np.testing.assert_allclose(opt.state[w]["step_size"]._data, [0.3], rtol=1e-12)


def test_asgd_by_hand_averages_after_t0():
    w = juanji.tensor([1.0], requires_grad=True, dtype=juanji.float64)
    opt = optim.ASGD([w], lr=0.5, lambd=0.0, t0=1)
    iterates = []
    for _ in range(3):
        w.grad = juanji.tensor([1.0], dtype=juanji.float64)
        opt.step()
        iterates.append(w.item())
    assert iterates == [0.5, 0.0, -0.5]
    # mu = 1 for steps 1 and 2 (ax = p), then 1 / max(1, 2 - 1) = 1 again at step 3: ax = p.
    assert opt.state[w]["ax"].item() == -0.5
    w.grad = juanji.tensor([1.0], dtype=juanji.float64)
    opt.step()  # mu = 1 / (3 - 1): ax = -0.5 + (-1.0 + 0.5) / 2
    assert opt.state[w]["ax"].item() == -0.75


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("Rprop", {"lr": -1.0}, "Invalid learning rate"),
        ("Rprop", {"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
        ("Rprop", {"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
        ("ASGD", {"lr": -0.1}, "Invalid learning rate"),
        ("ASGD", {"weight_decay": -0.1}, "Invalid weight_decay value"),
    ],
)
def test_bad_options_raise_like_torch(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=f"{name}: {match}"):
        getattr(optim, name)([juanji.zeros(1, requires_grad=True)], **kwargs)
