"""LBFGS: step-by-step trajectories equal torch's, with and without the strong-Wolfe search."""

import numpy as np
import pytest

import juanji
from juanji import optim

torch = pytest.importorskip("torch")


def loss_of(x, w, c):
    """Rosenbrock on x plus a quartic bowl on w around c: the same code runs on both libraries."""
    rosen = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    return rosen + ((w - c) ** 2).sum() + 0.1 * (w**4).sum()


def run_both(kwargs, dtype, steps=4, seed=0, compare_state=True):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-1.5, 1.5, 5).astype(dtype)
    w0 = rng.standard_normal((3, 2)).astype(dtype)
    c = rng.standard_normal((3, 2)).astype(dtype)
    ours = [
        juanji.tensor(x0.copy(), requires_grad=True),
        juanji.tensor(w0.copy(), requires_grad=True),
    ]
    theirs = [
        torch.tensor(x0.copy(), requires_grad=True),
        torch.tensor(w0.copy(), requires_grad=True),
    ]
    opt, topt = optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    jc, tc = juanji.tensor(c), torch.tensor(c)

    def closure():
        opt.zero_grad()
        loss = loss_of(*ours, jc)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = loss_of(*theirs, tc)
        loss.backward()
        return loss

    # 20 iterations per step through Rosenbrock's valley amplify the libraries' different
    # summation orders (dot products) to ~1e-7 in float64 by step 3; the evaluation and
    # iteration counts, compared exactly, pin the path taken.
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    for k in range(steps):
        ours_loss, their_loss = opt.step(closure), topt.step(tclosure)
        np.testing.assert_allclose(ours_loss.item(), their_loss.item(), **tol, err_msg=f"step {k}")
        for p, tp in zip(ours, theirs, strict=True):
            assert p._data.dtype == dtype
            np.testing.assert_allclose(p._data, tp.detach().numpy(), **tol, err_msg=f"step {k}")
        if compare_state:
            state, tstate = opt.state[ours[0]], topt.state[theirs[0]]
            assert (state["func_evals"], state["n_iter"]) == (
                tstate["func_evals"],
                tstate["n_iter"],
            )
            assert len(state["old_dirs"]) == len(tstate["old_dirs"])
    return opt, ours, closure


CASES = [
    {},
    {"lr": 0.5, "max_iter": 5},
    {"max_iter": 3, "history_size": 2},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 3},
    {"line_search_fn": "strong_wolfe", "max_iter": 6, "max_eval": 7},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_trajectory_matches_torch_float64(kwargs):
    run_both(kwargs, np.float64, steps=4)


@pytest.mark.parametrize(
    "kwargs", [{"max_iter": 4}, {"line_search_fn": "strong_wolfe", "max_iter": 4}], ids=str
)
def test_trajectory_matches_torch_float32(kwargs):
    # Only a few iterations: float32 rounding on Rosenbrock's valley compounds quickly.
    run_both(kwargs, np.float32, steps=2, compare_state=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_line_search_converges_like_torch(seed):
    opt, ours, closure = run_both(
        {"line_search_fn": "strong_wolfe", "max_iter": 50}, np.float64, steps=3, seed=seed
    )
    closure()  # a minimum: the gradient vanishes (the bowl's minimum is not at zero loss)
    assert max(float(abs(p.grad).max()) for p in ours) < 1e-3


def test_quadratic_by_hand():
    # On 0.5 * |x - a|^2 the first iteration moves by t * (-g) with t = min(1, 1 / sum|g|),
    # then the secant pair gives H = 1 and the second iteration lands on a.
    a = juanji.tensor([3.0, -1.0], dtype=juanji.float64)
    x = juanji.zeros(2, dtype=juanji.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=1)

    def closure():
        opt.zero_grad()
        loss = 0.5 * ((x - a) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x._data, [0.75, -0.25])  # g = (-3, 1), t = 1/4
    opt.step(closure)
    np.testing.assert_allclose(x._data, [3.0, -1.0], rtol=1e-12)


def test_state_dict_resumes():
    opt, ours, closure = run_both({"history_size": 4, "max_iter": 3}, np.float64, steps=2)
    copies = [juanji.tensor(p._data.copy(), requires_grad=True) for p in ours]
    resumed = optim.LBFGS(copies, history_size=4, max_iter=3)
    resumed.load_state_dict(opt.state_dict())
    c = juanji.tensor(np.zeros((3, 2)))

    def make(params, o):
        def closure():
            o.zero_grad()
            loss = loss_of(*params, c)
            loss.backward()
            return loss

        return closure

    opt.step(make(ours, opt)), resumed.step(make(copies, resumed))
    for p, q in zip(ours, copies, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_errors():
    w = juanji.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS: Invalid learning rate"):
        optim.LBFGS([w], lr=-1.0)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [juanji.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        torch.optim.LBFGS(
            [
                {"params": [torch.zeros(1, requires_grad=True)]},
                {"params": [torch.zeros(1, requires_grad=True)]},
            ]
        )
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(TypeError, match="LBFGS.step: a closure is required"):
        optim.LBFGS([w]).step()


def test_stops_at_once_when_the_gradient_is_already_small():
    x = juanji.tensor([1.0, 1.0], dtype=juanji.float64, requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((x - 1.0) ** 2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and x.tolist() == [1.0, 1.0]


def test_a_scheduler_after_lbfgs_steps_does_not_warn():
    import warnings

    x = juanji.tensor([1.0, 2.0], dtype=juanji.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def closure():
        opt.zero_grad()
        loss = (x**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.5
