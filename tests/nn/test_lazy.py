"""Lazy modules (``nn/lazy.py``, ``UninitializedParameter``) against PyTorch's behaviour."""

import inspect

import numpy as np
import pytest

import juanji
from juanji import nn, optim
from reference import torch


def _d2l_net(lib):
    """The d2l book's way of writing a CNN: every layer lazy."""
    return lib.nn.Sequential(
        lib.nn.LazyConv2d(6, kernel_size=5, padding=2),
        lib.nn.LazyBatchNorm2d(),
        lib.nn.ReLU(),
        lib.nn.Flatten(),
        lib.nn.LazyLinear(10),
        lib.nn.LazyBatchNorm1d(),
        lib.nn.LazyLinear(3),
    )


def test_lazy_network_materialises_like_torch():
    ours, theirs = _d2l_net(juanji), _d2l_net(torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 2, 6, 6)).astype(np.float32)
    ours(juanji.tensor(x))
    theirs(torch.tensor(x))
    assert repr(ours) == repr(theirs)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert type(ours[0]) is nn.Conv2d and type(ours[4]) is nn.Linear
    ours_state, their_state = ours.state_dict(), theirs.state_dict()
    assert {k: v.shape for k, v in ours_state.items()} == {
        k: tuple(v.shape) for k, v in their_state.items()
    }
    # Same initialisation law: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for conv and linear.
    bound = 1 / np.sqrt(2 * 5 * 5)
    w = ours[0].weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    np.testing.assert_array_equal(ours[1].weight.detach().numpy(), np.ones(6, np.float32))
    # With torch's values loaded, the two networks compute the same thing.
    ours.load_state_dict({k: v.numpy() for k, v in their_state.items()})
    np.testing.assert_allclose(
        ours(juanji.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-4,
        atol=1e-4,
    )


def test_optimiser_built_before_first_forward_trains_the_materialised_parameters():
    # PyTorch allows it: materialize() keeps the Parameter objects, so the optimiser sees them.
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    ours_opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    ours(juanji.tensor(x))
    theirs(torch.tensor(x))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for _ in range(3):
        for model, opt, lib in ((ours, ours_opt, juanji), (theirs, their_opt, torch)):
            opt.zero_grad()
            (model(lib.tensor(x)) ** 2).sum().backward()
            opt.step()
    assert ours_opt.param_groups[0]["params"][0] is ours.weight
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-5
    )


def test_load_state_dict_materialises_placeholders():
    source = nn.Linear(4, 3)
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(source.state_dict())
    assert lazy.weight.shape == (3, 4) and type(lazy) is nn.LazyLinear  # class changes at forward
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), source.weight.detach().numpy())
    out = lazy(juanji.ones(2, 4))
    assert type(lazy) is nn.Linear
    np.testing.assert_allclose(out.detach().numpy(), source(juanji.ones(2, 4)).detach().numpy())
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "bias"'):
        nn.LazyLinear(3).load_state_dict({"weight": juanji.zeros(3, 4)})


def test_uninitialized_parameter_refuses_its_shape_and_prints_as_torch():
    p = nn.LazyLinear(3).weight
    assert repr(p) == repr(torch.nn.LazyLinear(3).weight) == "<UninitializedParameter>"
    assert isinstance(p, nn.UninitializedParameter) and isinstance(p, nn.Parameter)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        p.shape
    assert repr(nn.LazyBatchNorm2d().running_mean) == "<UninitializedBuffer>"


@pytest.mark.parametrize(
    "name,shape",
    [("LazyConv1d", (2, 3, 7)), ("LazyConv2d", (3, 5, 5)), ("LazyConv3d", (1, 3, 4, 4, 4))],
)
def test_lazy_convolutions_infer_channels_incl_unbatched(name, shape):
    ours, theirs = getattr(nn, name)(4, 3, stride=1, groups=1), getattr(torch.nn, name)(4, 3)
    assert repr(ours) == repr(theirs)
    out = ours(juanji.zeros(*shape))
    theirs(torch.zeros(*shape))
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert out.shape == tuple(theirs(torch.zeros(*shape)).shape)


def test_lazy_norms_and_dtype_before_forward():
    for name, shape in [
        ("LazyBatchNorm1d", (4, 3)),
        ("LazyBatchNorm3d", (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm1d", (2, 3, 5)),
        ("LazyInstanceNorm2d", (2, 3, 4, 4)),
    ]:
        ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
        assert repr(ours) == repr(theirs)
        ours(juanji.randn(*shape))
        theirs(torch.randn(*shape))
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    layer = nn.LazyLinear(2).double()
    layer(juanji.zeros(1, 3, dtype=juanji.float64))
    assert layer.weight.dtype == juanji.float64


def test_lazy_errors():
    with pytest.raises(
        ValueError,
        match=r"LazyConv2d: in_channels \(3, inferred from the input\) "
        r"must be divisible by groups \(2\)",
    ):
        nn.LazyConv2d(4, 3, groups=2)(juanji.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"LazyLinear: cannot infer the input size from a 0-D"):
        nn.LazyLinear(2)(juanji.tensor(1.0))


def test_lazy_conv_arguments_mean_what_they_mean_in_torch():
    # Positional stride, padding, dilation, groups; keyword bias and padding_mode.
    ours = nn.LazyConv2d(4, 3, 2, 1, 1, 2, bias=False, padding_mode="reflect")
    theirs = torch.nn.LazyConv2d(4, 3, 2, 1, 1, 2, bias=False, padding_mode="reflect")
    assert repr(ours) == repr(theirs)
    ours(juanji.zeros(1, 6, 7, 7))
    theirs(torch.zeros(1, 6, 7, 7))
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (4, 3, 3, 3)
    assert ours.bias is None
    assert list(inspect.signature(nn.LazyConv2d).parameters)[:2] == ["out_channels", "kernel_size"]


def test_placeholders_load_into_placeholders_but_not_into_real_parameters():
    fresh = nn.LazyLinear(3)
    other = nn.LazyLinear(3)
    other.load_state_dict(fresh.state_dict())  # both uninitialised: nothing to copy
    assert other.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        nn.Linear(4, 3).load_state_dict(fresh.state_dict())


def test_lazy_conv_factory_gives_transposed_layers_their_weight_layout():
    # The contract for LazyConvTranspose*: a _ConvNd with transposed = True gets its weight as
    # (in_channels, out_channels / groups, *kernel), PyTorch's ConvTranspose layout.
    from juanji.nn.lazy import _lazy_conv

    lazy = _lazy_conv(nn.ConvTranspose2d)(6, 3, groups=2)
    lazy.initialize_parameters(juanji.zeros(1, 4, 5, 5))
    assert lazy.weight.shape == (4, 3, 3, 3) and lazy.in_channels == 4
    assert type(lazy).__name__ == "LazyConvTranspose2d" and lazy.transposed


@pytest.mark.parametrize("n", [1, 2, 3])
def test_lazy_conv_transpose_infers_in_channels_and_equals_torch(n):
    lazy = getattr(juanji.nn, f"LazyConvTranspose{n}d")(4, 3, stride=2, padding=1)
    twin = getattr(torch.nn, f"ConvTranspose{n}d")(5, 4, 3, stride=2, padding=1)
    x = np.random.default_rng(n).standard_normal((2, 5) + (4,) * n).astype(np.float32)
    lazy(juanji.tensor(x))
    assert type(lazy).__name__ == f"ConvTranspose{n}d"
    assert lazy.weight.shape == tuple(twin.weight.shape) == (5, 4) + (3,) * n
    lazy.load_state_dict({k: juanji.tensor(v.detach().numpy()) for k, v in
                          twin.state_dict().items()})
    np.testing.assert_allclose(lazy(juanji.tensor(x)).detach().numpy(),
                               twin(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
