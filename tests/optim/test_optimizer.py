"""Optimizer base class: parameter groups, zero_grad, step(closure), state_dict, errors.

The update rules themselves are checked against torch in test_sgd.py and test_adam.py; here
the shared machinery is checked, against torch where torch defines the behaviour.
"""

import copy
import json
import tracemalloc

import numpy as np
import pytest

import juanji
from juanji.optim import SGD, Adam, AdamW, Optimizer

torch = pytest.importorskip("torch")


def _params(*shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [juanji.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = juanji.tensor(rng.standard_normal(p.shape).astype(p._data.dtype))


# ---------------------------------------------------------------------------- construction
def test_optimizer_single_group_from_list_and_generator():
    w, b = _params((2, 3), (3,))
    for params in ([w, b], (p for p in [w, b])):
        opt = SGD(params, lr=0.1)
        assert len(opt.param_groups) == 1
        assert opt.param_groups[0]["params"][0] is w
        assert opt.param_groups[0]["params"][1] is b
        assert opt.defaults == {
            "lr": 0.1,
            "momentum": 0,
            "dampening": 0,
            "weight_decay": 0,
            "nesterov": False,
            "maximize": False,
        }


def test_optimizer_param_groups_fill_defaults():
    w, b = _params((2,), (1,))
    opt = SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    assert opt.param_groups[1]["params"] == [b]  # a lone tensor becomes a list


def test_optimizer_group_keys_match_torch():
    w = _params((2,))[0]
    tw = torch.zeros(2, requires_grad=True)
    torch_only = {"foreach", "capturable", "differentiable", "fused"}
    for name, kwargs in [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {})]:
        ours = set(getattr(juanji.optim, name)([w], **kwargs).param_groups[0])
        theirs = set(getattr(torch.optim, name)([tw], **kwargs).param_groups[0])
        assert ours == theirs - torch_only, name


def test_optimizer_named_parameters_are_accepted():
    w, b = _params((2,), (1,))
    opt = Adam([("weight", w), ("bias", b)])
    assert opt.param_groups[0]["params"] == [w, b]
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_optimizer_add_param_group_later():
    w, b = _params((2,), (1,))
    opt = SGD([w], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.5
    b.grad = juanji.ones(1)
    opt.step()
    np.testing.assert_allclose(b._data, _params((2,), (1,))[1]._data - 0.01, rtol=1e-6)


def test_optimizer_frozen_tensor_is_accepted_and_skipped():
    # PyTorch accepts tensors that do not require grad (frozen layers passed in with
    # model.parameters()); they never get a gradient, so step() leaves them alone.
    frozen = juanji.tensor([1.0, 2.0])
    w = _params((2,))[0]
    opt = SGD([w, frozen], lr=0.1)
    w.grad = juanji.ones(2)
    opt.step()
    assert frozen.tolist() == [1.0, 2.0]


def test_optimizer_repr_lists_groups_like_torch():
    w = _params((2,))[0]
    text = repr(SGD([w], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0\n" in text and text.endswith(")")


# ---------------------------------------------------------------------------- errors
def test_optimizer_rejects_a_single_tensor():
    w = _params((2,))[0]
    with pytest.raises(
        TypeError,
        match=r"SGD: params argument .* iterable of Tensors or dicts"
        r", but got torch.FloatTensor",
    ):
        SGD(w)


def test_optimizer_rejects_empty_and_sets():
    w = _params((2,))[0]
    with pytest.raises(ValueError, match="Adam: optimizer got an empty parameter list"):
        Adam([])
    with pytest.raises(
        TypeError, match="SGD: optimizer parameters need to be organized in ordered collections"
    ):
        SGD({w})
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {w}}])


def test_optimizer_rejects_non_tensors_and_non_leaves():
    w = _params((2,))[0]
    with pytest.raises(
        TypeError,
        match=r"SGD: optimizer can only optimize Tensors, but one of "
        r"the params is numpy.ndarray",
    ):
        SGD([w, np.zeros(2)])
    with pytest.raises(ValueError, match="Adam: can't optimize a non-leaf Tensor"):
        Adam([w * 2])
    with pytest.raises(TypeError, match="SGD: param_group must be a dict"):
        SGD([w]).add_param_group([w])


def test_optimizer_rejects_a_parameter_in_two_groups():
    w, b = _params((2,), (1,))
    with pytest.raises(
        ValueError, match="SGD: some parameters appear in more than one parameter group"
    ):
        SGD([{"params": [w, b]}, {"params": [w]}])
    opt = SGD([w])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="SGD: a parameter group lists the same tensor twice"):
        SGD([w, w])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda p: SGD(p, lr=-0.1),
            r"SGD: Invalid learning rate: -0.1 \(lr expected >= 0.0, "
            r"got -0.1\)",
        ),
        (lambda p: SGD(p, momentum=-1), r"SGD: Invalid momentum value: -1 \(momentum"),
        (lambda p: SGD(p, weight_decay=-1e-4), r"SGD: Invalid weight_decay value: -0.0001"),
        (
            lambda p: SGD(p, nesterov=True),
            r"SGD: Nesterov momentum requires a momentum and zero "
            r"dampening .*got momentum=0, dampening=0",
        ),
        (lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True), r"Nesterov .*dampening=0.1"),
        (lambda p: SGD([{"params": p, "lr": -1.0}]), r"SGD: Invalid learning rate: -1.0"),
        (lambda p: Adam(p, lr=-1e-3), r"Adam: Invalid learning rate: -0.001"),
        (lambda p: Adam(p, eps=-1e-8), r"Adam: Invalid epsilon value: -1e-08 \(eps expected"),
        (
            lambda p: Adam(p, betas=(1.0, 0.999)),
            r"Adam: Invalid beta parameter at index 0: 1.0 "
            r"\(betas\[0\] expected >= 0.0 and < 1.0, got "
            r"1.0\)",
        ),
        (lambda p: Adam(p, betas=(0.9, -0.1)), r"Adam: Invalid beta parameter at index 1: -0.1"),
        (lambda p: AdamW(p, weight_decay=-1.0), r"AdamW: Invalid weight_decay value: -1.0"),
        (lambda p: Adam(p, lr=float("nan")), r"Adam: Invalid learning rate: nan"),
    ],
)
def test_optimizer_bad_hyperparameters_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build(_params((2,)))


def test_optimizer_bad_hyperparameter_types_raise_type_error():
    with pytest.raises(TypeError, match="SGD: lr expected a real number, got str"):
        SGD(_params((2,)), lr="0.1")
    with pytest.raises(TypeError, match=r"Adam: betas expected a pair \(beta1, beta2\), got 0.9"):
        Adam(_params((2,)), betas=0.9)


def test_optimizer_error_messages_agree_with_torch():
    # Our messages contain PyTorch's, so code matching PyTorch's text keeps working.
    tw = [torch.zeros(2, requires_grad=True)]
    cases = [
        ("SGD", {"lr": -0.1}),
        ("SGD", {"momentum": -0.5}),
        ("Adam", {"eps": -1.0}),
        ("Adam", {"betas": (0.9, 1.5)}),
        ("AdamW", {"weight_decay": -0.1}),
    ]
    for name, kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)(tw, **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(juanji.optim, name)(_params((2,)), **kwargs)
        assert str(theirs.value) in str(ours.value)


# ---------------------------------------------------------------------------- zero_grad
def test_zero_grad_sets_to_none_by_default():
    params = _params((2,), (3,))
    _set_grads(params, 1)
    SGD(params).zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_false_zeroes_in_place():
    params = _params((2,), (3,))
    _set_grads(params, 1)
    before = [p.grad for p in params]
    arrays = [p.grad._data for p in params]
    SGD(params).zero_grad(set_to_none=False)
    for p, grad, array in zip(params, before, arrays, strict=True):
        assert p.grad is grad and p.grad._data is array
        assert not p.grad.requires_grad and np.all(array == 0)


def test_zero_grad_false_then_step_still_decays_like_torch():
    # A zero gradient is not a missing one: weight decay and momentum still act.
    w = _params((3,))[0]
    tw = torch.tensor(w._data.copy(), requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9, weight_decay=0.1, foreach=False)
    for _ in range(3):
        w.grad, tw.grad = juanji.ones(3), torch.ones(3)
        opt.step(), topt.step()
        opt.zero_grad(set_to_none=False), topt.zero_grad(set_to_none=False)
        opt.step(), topt.step()
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-6)


def test_zero_grad_clears_parameter_gradients_only():
    # The notes' idiom: optimizer.zero_grad() leaves the input's gradient (a saliency map).
    x = juanji.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    w = juanji.tensor([[0.5], [-1.0], [2.0]], requires_grad=True)
    opt = SGD([w], lr=0.1)
    (x @ w).sum().backward()
    opt.zero_grad()
    assert w.grad is None
    np.testing.assert_array_equal(x.grad._data, [[0.5, -1.0, 2.0]])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad._data, [[0.5, -1.0, 2.0]])


# ---------------------------------------------------------------------------- step
def test_step_skips_parameters_without_gradient():
    w, b = _params((2,), (2,))
    b_before = b._data.copy()
    opt = Adam([w, b], lr=0.1)
    w.grad = juanji.ones(2)
    opt.step()
    np.testing.assert_array_equal(b._data, b_before)
    assert b not in opt.state and opt.state[w]["step"] == 1


def test_step_with_closure_returns_loss_and_enables_grad():
    w = juanji.tensor([2.0], requires_grad=True)
    tw = torch.tensor([2.0], requires_grad=True)
    opt, topt = SGD([w], lr=0.1), torch.optim.SGD([tw], lr=0.1, foreach=False)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    def torch_closure():
        topt.zero_grad()
        loss = (tw * tw).sum()
        loss.backward()
        return loss

    with juanji.no_grad(), torch.no_grad():
        loss, torch_loss = opt.step(closure), topt.step(torch_closure)
    assert loss.item() == torch_loss.item() == 4.0
    assert w.item() == pytest.approx(tw.item()) == pytest.approx(1.6)


def test_step_integrates_with_autograd_like_torch():
    # A real loss through juanji's autograd against torch's: linear least squares, 10 steps.
    rng = np.random.default_rng(3)
    A, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    w0 = rng.standard_normal(3).astype(np.float32)
    w, tw = juanji.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt = Adam([w], lr=0.05, amsgrad=True)
    topt = torch.optim.Adam([tw], lr=0.05, amsgrad=True, foreach=False)
    jA, jy, tA, ty = juanji.tensor(A), juanji.tensor(y), torch.tensor(A), torch.tensor(y)
    for _ in range(10):
        opt.zero_grad(), topt.zero_grad()
        ((jA @ w - jy) ** 2).mean().backward()
        ((tA @ tw - ty) ** 2).mean().backward()
        opt.step(), topt.step()
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_step_keeps_float32_and_updates_in_place():
    for make in (
        lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.5, maximize=True),
        lambda p: Adam(p, lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True),
        lambda p: AdamW(p, lr=0.1),
    ):
        params = _params((3, 2), (4,))
        arrays = [p._data for p in params]
        opt = make(params)
        for k in range(3):
            _set_grads(params, k)
            opt.step()
        for p, array in zip(params, arrays, strict=True):
            assert p._data is array and p._data.dtype == np.float32
            for value in opt.state[p].values():
                if isinstance(value, juanji.Tensor):
                    assert value._data.dtype == np.float32 and value.shape == p.shape


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGD(p, lr=0.1),
        lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
        lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.3),
        lambda p: Adam(p, lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True),
        lambda p: AdamW(p, lr=0.1),
    ],
    ids=["sgd", "sgd-nesterov", "sgd-dampening", "adam-amsgrad", "adamw"],
)
def test_step_allocates_no_parameter_sized_memory(make):
    # After the first steps created the state, a step reuses it and the scratch buffers.
    params = _params((256, 256), (256,))
    opt = make(params)
    for k in range(2):
        _set_grads(params, k)
        opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 4 * 4, f"step() allocated {peak} bytes"


# ---------------------------------------------------------------------------- state_dict
def _train(opt, params, steps, seed):
    for k in range(steps):
        _set_grads(params, seed + k)
        opt.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: Adam([{"params": p[:1]}, {"params": p[1:], "lr": 0.01, "amsgrad": True}], lr=0.1),
        lambda p: AdamW(p, lr=0.1, betas=(0.5, 0.9)),
    ],
    ids=["sgd", "adam-groups", "adamw"],
)
def test_state_dict_round_trip_resumes_exactly(make):
    params = _params((3, 2), (2,), (4,))
    opt = make(params)
    _train(opt, params, 4, seed=0)
    saved_state = opt.state_dict()
    saved_values = [p._data.copy() for p in params]
    _train(opt, params, 5, seed=100)  # uninterrupted training goes on

    fresh = [juanji.tensor(v, requires_grad=True) for v in saved_values]
    resumed = make(fresh)
    resumed.load_state_dict(saved_state)
    _train(resumed, fresh, 5, seed=100)
    for p, q in zip(params, fresh, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_state_dict_survives_safetensors_and_json_forms():
    # Flat NumPy arrays plus a JSON document, as a safetensors checkpoint stores them.
    params = _params((3, 2), (2,))
    opt = Adam([{"params": params[:1]}, {"params": params[1:], "amsgrad": True}], lr=0.1)
    _train(opt, params, 3, seed=0)
    state = opt.state_dict()
    arrays = {
        f"state.{i}.{k}": v.numpy()
        for i, s in state["state"].items()
        for k, v in s.items()
        if isinstance(v, juanji.Tensor)
    }
    scalars = {
        i: {k: v for k, v in s.items() if not isinstance(v, juanji.Tensor)}
        for i, s in state["state"].items()
    }
    document = json.loads(json.dumps({"scalars": scalars, "param_groups": state["param_groups"]}))
    rebuilt = {"param_groups": document["param_groups"], "state": {}}
    for i, values in document["scalars"].items():
        rebuilt["state"][i] = dict(values)
    for name, array in arrays.items():
        _, i, key = name.split(".", 2)
        rebuilt["state"][i][key] = array
    saved_values = [p._data.copy() for p in params]
    _train(opt, params, 3, seed=50)

    fresh = [juanji.tensor(v, requires_grad=True) for v in saved_values]
    resumed = Adam([{"params": fresh[:1]}, {"params": fresh[1:], "amsgrad": True}], lr=0.1)
    resumed.load_state_dict(rebuilt)
    assert resumed.param_groups[0]["betas"] == (0.9, 0.999)  # JSON's list back to a tuple
    _train(resumed, fresh, 3, seed=50)
    for p, q in zip(params, fresh, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_state_dict_layout_matches_torch():
    params = _params((3, 2), (2,), (4,))
    tparams = [torch.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt = Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.01}], amsgrad=True)
    topt = torch.optim.Adam(
        [{"params": tparams[:2]}, {"params": tparams[2:], "lr": 0.01}], amsgrad=True, foreach=False
    )
    for p, tp in zip(
        params[1:], tparams[1:], strict=True
    ):  # parameter 0 gets no gradient: no state
        p.grad, tp.grad = juanji.ones(p.shape), torch.ones(tp.shape)
    opt.step(), topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert list(ours["state"]) == list(theirs["state"]) == [1, 2]
    for i in ours["state"]:
        assert list(ours["state"][i]) == list(theirs["state"][i])
        assert ours["state"][i]["step"] == theirs["state"][i]["step"].item() == 1
        np.testing.assert_allclose(
            ours["state"][i]["exp_avg_sq"].numpy(), theirs["state"][i]["exp_avg_sq"].numpy()
        )
    assert [g["params"] for g in ours["param_groups"]] == [[0, 1], [2]]
    assert [g["params"] for g in theirs["param_groups"]] == [[0, 1], [2]]


def test_load_state_dict_accepts_torch_state_and_continues_like_torch():
    rng = np.random.default_rng(5)
    values = [rng.standard_normal(s).astype(np.float32) for s in ((3, 2), (2,))]
    tparams = [torch.tensor(v, requires_grad=True) for v in values]
    topt = torch.optim.SGD(tparams, lr=0.1, momentum=0.9, foreach=False)
    for k in range(3):
        for tp in tparams:
            tp.grad = torch.from_numpy(
                np.random.default_rng(k).standard_normal(tp.shape).astype(np.float32)
            )
        topt.step()
    state = topt.state_dict()
    state = {
        "param_groups": state["param_groups"],
        "state": {
            i: {k: v.numpy().copy() for k, v in s.items()} for i, s in state["state"].items()
        },
    }
    params = [juanji.tensor(tp.detach().numpy().copy(), requires_grad=True) for tp in tparams]
    opt = SGD(params, lr=0.5)
    opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.1  # options come from the checkpoint
    for tp, p in zip(tparams, params, strict=True):
        g = np.random.default_rng(9).standard_normal(tp.shape).astype(np.float32)
        tp.grad, p.grad = torch.from_numpy(g), juanji.tensor(g)
    topt.step(), opt.step()
    for tp, p in zip(tparams, params, strict=True):
        np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=1e-6)


def test_state_dict_is_a_snapshot_and_loading_copies():
    params = _params((3,))
    opt = SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 2, seed=0)
    state = opt.state_dict()
    kept = state["state"][0]["momentum_buffer"].numpy().copy()
    other = SGD([juanji.tensor(params[0]._data.copy(), requires_grad=True)], momentum=0.9)
    other.load_state_dict(state)
    _train(opt, params, 2, seed=10)
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"].numpy(), kept)
    np.testing.assert_array_equal(other.state_dict()["state"][0]["momentum_buffer"].numpy(), kept)


def test_load_state_dict_casts_to_parameter_dtype():
    params = _params((3,), dtype=np.float64)
    opt = Adam(params)
    state = {
        "state": {
            0: {
                "step": np.float32(2.0),
                "exp_avg": np.ones(3, np.float32),
                "exp_avg_sq": np.ones(3, np.float32),
            }
        },
        "param_groups": copy.deepcopy(opt.state_dict()["param_groups"]),
    }
    opt.load_state_dict(state)
    assert opt.state[params[0]]["step"] == 2
    assert opt.state[params[0]]["exp_avg"]._data.dtype == np.float64


def test_load_state_dict_errors():
    params = _params((3,), (2,))
    opt = SGD(params, momentum=0.9)
    good = SGD(_params((3,), (2,)), momentum=0.9)
    _train(good, good.param_groups[0]["params"], 1, seed=0)
    state = good.state_dict()
    with pytest.raises(
        ValueError,
        match=r"SGD.load_state_dict: loaded state dict has a "
        r"different number of parameter groups: expected 1, "
        r"got 2",
    ):
        opt.load_state_dict({"state": {}, "param_groups": state["param_groups"] * 2})
    with pytest.raises(
        ValueError,
        match=r"doesn't match the size of optimizer's group: group 0 "
        r"has 2 parameters, the saved one 1",
    ):
        SGD(params).load_state_dict(SGD(params[:1]).state_dict())
    bad = {
        "param_groups": state["param_groups"],
        "state": {0: {"momentum_buffer": np.zeros(5, np.float32)}},
    }
    with pytest.raises(
        ValueError,
        match=r"state\[0\]\['momentum_buffer'\] has shape \(5,\) but "
        r"its parameter has shape \(3,\)",
    ):
        opt.load_state_dict(bad)


def test_optimizer_is_picklable_through_deepcopy():
    params = _params((3,))
    opt = Adam(params)
    _train(opt, params, 2, seed=0)
    clone = copy.deepcopy(opt)
    assert clone.state_dict()["state"][0]["step"] == 2
    assert isinstance(clone, Optimizer)


@pytest.mark.parametrize(
    "grad", [np.ones(1, np.float32), np.ones(3, np.float64)], ids=["shape", "dtype"]
)
def test_step_refuses_a_gradient_that_does_not_match_its_parameter(grad):
    # PyTorch refuses such a .grad when it is assigned; juanji's .grad is a plain attribute,
    # so step() checks instead of broadcasting or upcasting silently.
    w = _params((3,))[0]
    w.grad = juanji.tensor(grad)
    for opt in (SGD([w], momentum=0.9), Adam([w])):
        with pytest.raises(
            RuntimeError,
            match=r"\.step: a parameter of shape \(3,\) and dtype "
            r"float32 has a \.grad of shape",
        ):
            opt.step()
