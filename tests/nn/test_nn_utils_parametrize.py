"""``nn.utils.parametrize``, ``parametrizations``, ``stateless.functional_call``, ``skip_init``."""

import numpy as np
import pytest

import juanji
from juanji import nn
from juanji.nn.utils import parametrizations, parametrize, skip_init, stateless
from reference import torch

TP = torch.nn.utils.parametrize


class Symmetric(nn.Module):
    def forward(self, x):
        return (x + x.t()) / 2

    def right_inverse(self, a):
        return a


class TorchSymmetric(torch.nn.Module):
    def forward(self, x):
        return (x + x.t()) / 2

    def right_inverse(self, a):
        return a


def _pair(rng, cls=(nn.Linear, torch.nn.Linear), shape=(3, 3)):
    w = rng.standard_normal(shape)
    ours, theirs = cls[0](shape[1], shape[0], dtype=juanji.float64), cls[1](shape[1], shape[0])
    theirs = theirs.double()
    ours.weight.data = juanji.tensor(w)
    ours.bias.data = juanji.zeros(shape[0], dtype=juanji.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.zero_()
    return ours, theirs


def _grads_match(ours, theirs, rng, names):
    x = rng.standard_normal((4, ours.in_features))
    out_j, out_t = ours(juanji.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_j.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    (out_j**2).sum().backward()
    (out_t**2).sum().backward()
    for name in names:
        got = ours.get_parameter(name).grad.numpy()
        want = theirs.get_parameter(name).grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)


def test_register_parametrization_matches_torch(rng):
    ours, theirs = _pair(rng)
    parametrize.register_parametrization(ours, "weight", Symmetric())
    TP.register_parametrization(theirs, "weight", TorchSymmetric())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(ours) is nn.Linear
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    _grads_match(ours, theirs, rng, ["parametrizations.weight.original", "bias"])
    w = ours.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)


def test_assignment_runs_the_right_inverse_and_removal_restores(rng):
    ours, _ = _pair(rng)
    parametrize.register_parametrization(ours, "weight", Symmetric())
    ours.weight = juanji.eye(3, dtype=juanji.float64) * 2
    original = ours.parametrizations.weight.original.detach().numpy()
    np.testing.assert_array_equal(original, 2 * np.eye(3))
    value = ours.weight.detach().numpy()
    parametrize.remove_parametrizations(ours, "weight")
    assert type(ours) is nn.Linear and isinstance(ours.weight, nn.Parameter)
    np.testing.assert_array_equal(ours.weight.detach().numpy(), value)
    assert sorted(ours.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(ours, "weight")


def test_parametrization_errors_as_torch():
    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(nn.Linear(2, 2), "kernel", Symmetric())


def test_cached_computes_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x

    layer = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with parametrize.cached():
        _ = layer.weight, layer.weight
    assert len(calls) == 1
    _ = layer.weight, layer.weight
    assert len(calls) == 3


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm_matches_torch(rng, dim):
    ours, theirs = _pair(rng, shape=(4, 3))
    parametrizations.weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    names = ["parametrizations.weight.original0", "parametrizations.weight.original1"]
    _grads_match(ours, theirs, rng, names)


@pytest.mark.parametrize("training", [True, False])
def test_parametrizations_spectral_norm_matches_torch_from_the_same_vectors(rng, training):
    ours, theirs = _pair(rng, shape=(5, 4))
    parametrizations.spectral_norm(ours, n_power_iterations=2)
    torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name in ("_u", "_v"):
        getattr(ours.parametrizations.weight[0], name).copy_(
            juanji.tensor(getattr(theirs.parametrizations.weight[0], name).numpy())
        )
    ours.train(training)
    theirs.train(training)
    _grads_match(ours, theirs, rng, ["parametrizations.weight.original"])
    np.testing.assert_allclose(
        ours.parametrizations.weight[0]._u.numpy(),
        theirs.parametrizations.weight[0]._u.numpy(),
        rtol=1e-10,
    )


def test_parametrizations_spectral_norm_gives_unit_spectral_norm():
    juanji.manual_seed(0)
    layer = parametrizations.spectral_norm(nn.Conv2d(3, 4, 3), n_power_iterations=20)
    layer.train()
    _ = layer.weight
    matrix = layer.weight.detach().numpy().reshape(4, -1)
    assert np.linalg.norm(matrix, 2) == pytest.approx(1.0, rel=1e-4)


def test_functional_call_matches_torch_and_restores(rng):
    ours, theirs = _pair(rng)
    w, b = rng.standard_normal((3, 3)), rng.standard_normal(3)
    x = rng.standard_normal((2, 3))
    w_j = juanji.tensor(w, requires_grad=True)
    out_j = stateless.functional_call(
        ours, {"weight": w_j, "bias": juanji.tensor(b)}, (juanji.tensor(x),)
    )
    out_t = torch.func.functional_call(
        theirs, {"weight": torch.tensor(w), "bias": torch.tensor(b)}, (torch.tensor(x),)
    )
    np.testing.assert_allclose(out_j.detach().numpy(), out_t.numpy(), rtol=1e-12)
    out_j.sum().backward()
    assert w_j.grad is not None and ours.weight.grad is None
    assert isinstance(ours.weight, nn.Parameter)  # the original is back
    with pytest.raises(RuntimeError, match="Missing key"):
        stateless.functional_call(ours, {"weight": w_j}, (juanji.tensor(x),), strict=True)


def test_functional_call_ties_weights_and_restores_after_errors():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    out = stateless.functional_call(model, {"a.weight": juanji.eye(2) * 3}, (juanji.ones(1, 2),))
    np.testing.assert_array_equal(out.numpy(), [[9, 9]])
    original = model.a.weight
    with pytest.raises(ValueError):
        stateless.functional_call(model, {"a.weight": juanji.zeros(3, 3)}, (juanji.ones(1, 2),))
    assert model.a.weight is original


def test_skip_init_and_memory_format():
    layer = skip_init(nn.Linear, 5, 1)
    assert layer.weight.shape == (1, 5)
    with pytest.raises(RuntimeError, match="must support a 'device' arg"):
        skip_init(nn.ReLU)
    conv = nn.Conv2d(1, 2, 3)
    assert nn.utils.convert_conv2d_weight_memory_format(conv, None) is conv


@pytest.mark.parametrize(
    ("shape", "orthogonal_map"),
    [
        ((4, 4), None),
        ((5, 3), None),
        ((3, 5), None),
        ((4, 4), "householder"),
        ((5, 3), "matrix_exp"),
    ],
)
def test_parametrizations_orthogonal_matches_torch(rng, shape, orthogonal_map):
    ours, theirs = _pair(rng, shape=shape)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours_base = ours.parametrizations.weight[0].base
    theirs_base = theirs.parametrizations.weight[0].base
    if shape[0] == shape[1]:  # no random completion: the same base
        np.testing.assert_allclose(ours_base.numpy(), theirs_base.numpy(), atol=1e-12)
    ours_base.copy_(juanji.tensor(theirs_base.numpy()))
    # move away from the starting point -I; the diagonal only holds signs (no gradient)
    step = rng.standard_normal(shape) * 0.3
    np.fill_diagonal(step, 0.0)
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(step))
    original = ours.parametrizations.weight.original
    original.data = original.detach() + juanji.tensor(step)
    _grads_match(ours, theirs, rng, ["parametrizations.weight.original", "bias"])
    w = ours.weight.detach().numpy()
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)


def test_parametrizations_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        parametrizations.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(NotImplementedError, match="cayley"):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley")


def test_transfer_parametrizations_and_params_as_torch(rng):
    results = []
    for library, utils, sym in ((juanji, parametrize, Symmetric), (torch, TP, TorchSymmetric)):
        source = library.nn.Linear(3, 3)
        utils.register_parametrization(source, "weight", sym())
        target = utils.transfer_parametrizations_and_params(source, library.nn.Linear(3, 3))
        assert target.parametrizations.weight.original is source.parametrizations.weight.original
        assert utils.is_parametrized(target, "weight")
        np.testing.assert_array_equal(
            target.weight.detach().numpy(), source.weight.detach().numpy()
        )
        results.append(list(target.state_dict()))
    assert results[0] == results[1]
