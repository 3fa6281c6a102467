"""ParameterList, ParameterDict, RMSNorm, the ``*_with_indices`` pools, FeatureAlphaDropout."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional


def test_parameter_list_registers_and_converts():
    params = nn.ParameterList([juanji.zeros(2), nn.Parameter(juanji.ones(3, 4))])
    params.append(juanji.ones(1))
    params += [juanji.zeros(5)]
    assert len(params) == 4
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert list(params.state_dict()) == ["0", "1", "2", "3"]
    params[0] = juanji.full((2,), 7.0)
    np.testing.assert_array_equal(params[0].detach().numpy(), [7, 7])
    assert params[-1].shape == (5,)
    assert [p.shape for p in params[1:3]] == [(3, 4), (1,)]
    theirs = torch.nn.ParameterList([torch.zeros(2), torch.ones(3, 4)])
    ours = nn.ParameterList([juanji.zeros(2), juanji.ones(3, 4)])
    assert repr(ours) == repr(theirs).replace("torch.", "juanji.")
    with pytest.raises(TypeError, match="should be called with an iterable"):
        params.extend(juanji.zeros(2))


def test_parameter_list_in_a_model_trains():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([juanji.ones(2) for _ in range(3)])

        def forward(self, x):
            for w in self.weights:
                x = x * w
            return x

    model = Model()
    model(juanji.full((2,), 2.0)).sum().backward()
    assert [name for name, _ in model.named_parameters()] == [f"weights.{i}" for i in range(3)]
    np.testing.assert_array_equal(model.weights[1].grad.numpy(), [2, 2])


def test_parameter_dict_behaves_as_a_dict():
    params = nn.ParameterDict({"scale": juanji.ones(1), "shift": juanji.zeros(1)})
    params["bias"] = juanji.zeros(3)
    params.update([("extra", juanji.ones(2))])
    assert list(params) == ["scale", "shift", "bias", "extra"]
    assert "bias" in params and len(params) == 4
    assert isinstance(params["bias"], nn.Parameter)
    assert sorted(params.state_dict()) == sorted(["scale", "shift", "bias", "extra"])
    assert params.pop("extra").shape == (2,) and "extra" not in params
    assert params.get("missing") is None
    assert [k for k, _ in params.items()] == list(params.keys())
    with pytest.raises(KeyError):
        params["missing"]
    with pytest.raises(TypeError, match="keys must be strings"):
        params[1] = juanji.zeros(1)
    params.clear()
    assert len(params) == 0 and not list(params.parameters())


@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_rms_norm_matches_torch(rng, eps, dtype, shape):
    x = rng.standard_normal((4, *shape)).astype(dtype)
    w = rng.standard_normal(shape).astype(dtype)
    compare_op(
        lambda x, w: F.rms_norm(x, shape, w, eps),
        lambda x, w: TF.rms_norm(x, shape, w, eps),
        [x, w],
    )
    compare_op(
        lambda x: F.rms_norm(x, shape, eps=eps), lambda x: TF.rms_norm(x, shape, eps=eps), [x]
    )


def test_rms_norm_module_matches_torch(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for args in [((4,),), ((3, 4), 1e-3, False)]:
        ours, theirs = nn.RMSNorm(*args), torch.nn.RMSNorm(*args)
        assert repr(ours) == repr(theirs)
        compare_op(ours, theirs, [x])
    assert nn.RMSNorm(4).weight.shape == (4,)
    with pytest.raises(ValueError, match="rms_norm: given normalized_shape"):
        F.rms_norm(juanji.zeros(2, 3), (4,))


@pytest.mark.parametrize(
    ("name", "shape", "args"),
    [
        ("max_pool1d_with_indices", (1, 2, 7), (3, 2, 1)),
        ("max_pool2d_with_indices", (1, 2, 5, 6), (2,)),
        ("max_pool3d_with_indices", (1, 1, 4, 4, 4), (2, 1)),
        ("adaptive_max_pool1d_with_indices", (1, 2, 7), (3,)),
        ("adaptive_max_pool2d_with_indices", (1, 2, 5, 6), ((2, 3),)),
        ("adaptive_max_pool3d_with_indices", (1, 1, 4, 4, 4), (2,)),
    ],
)
def test_with_indices_pools_match_torch(rng, name, shape, args):
    x = rng.standard_normal(shape)
    out, indices = getattr(F, name)(juanji.tensor(x), *args)
    t_out, t_indices = getattr(TF, name)(torch.tensor(x), *args)
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())


def test_feature_alpha_dropout_drops_whole_channels_and_keeps_the_statistics():
    juanji.manual_seed(0)
    x = juanji.randn(400, 50, 3, 3, dtype=juanji.float64)
    out = F.feature_alpha_dropout(x, 0.3, training=True).numpy()
    alpha, p = 1.7580993408473766, 0.3
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    dropped = np.isclose(out, a * (-alpha) + alpha * a * p).reshape(400, 50, 9)
    assert np.all(dropped.all(-1) | ~dropped.any(-1))  # a whole channel or nothing
    assert dropped.all(-1).mean() == pytest.approx(p, abs=0.01)
    assert out.mean() == pytest.approx(0.0, abs=0.03)
    assert out.std() == pytest.approx(1.0, abs=0.03)
    layer = nn.FeatureAlphaDropout(0.3).eval()
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.FeatureAlphaDropout(0.3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(juanji.zeros(3), 0.5, training=True)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 9])
def test_cross_map_lrn2d_forward_matches_torch_and_its_gradient_is_exact(rng, size):
    x = rng.standard_normal((2, 7, 3, 3))
    ours = nn.CrossMapLRN2d(size, 1e-1, 0.75, 2.0)
    theirs = torch.nn.CrossMapLRN2d(size, 1e-1, 0.75, 2.0)
    np.testing.assert_allclose(
        ours(juanji.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12
    )
    assert repr(ours) == repr(theirs)
    small = juanji.tensor(rng.standard_normal((1, 4, 2, 2)), requires_grad=True)
    assert gradcheck(nn.CrossMapLRN2d(size, 1e-1, 0.75, 2.0), [small])
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D"):
        ours(juanji.zeros(1, 2, 3))


def test_buffer_registers_on_assignment_as_torch():
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.counts = nn.Buffer(juanji.ones(3))
    ours.cache = nn.Buffer(juanji.zeros(1), persistent=False)
    theirs.counts = torch.nn.Buffer(torch.ones(3))
    theirs.cache = torch.nn.Buffer(torch.zeros(1), persistent=False)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["counts"]
    assert isinstance(ours.counts, nn.Buffer) and not isinstance(juanji.ones(1), nn.Buffer)
    assert not list(ours.parameters())


def test_container_is_deprecated_and_holds_its_children():
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        container = nn.Container(layer=nn.Linear(2, 3))
    assert [name for name, _ in container.named_parameters()] == ["layer.weight", "layer.bias"]
