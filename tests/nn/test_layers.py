"""Layers (``juanji.nn`` modules) against the same layers in PyTorch.

Each layer is built in both libraries, PyTorch's parameters are loaded into juanji's (as NumPy
arrays), and outputs and gradients (input and every parameter) are compared. Also: reprs,
PyTorch's default initialisation bounds, constructor validation, module/functional signature
parity.
"""

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import TOLERANCE, torch


def check_against_torch(build, x, *, rtol=None, atol=None, seed=0):
    """Build ``build(lib)`` in both libraries with torch's weights; compare forward and grads."""
    torch.manual_seed(seed)
    theirs = build(torch)
    ours = build(juanji)
    if x.dtype == np.float64:
        ours.double()
        theirs.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    tol = TOLERANCE[x.dtype]
    rtol, atol = rtol or tol, atol or tol
    x_ours = juanji.tensor(x.copy(), requires_grad=True)
    x_theirs = torch.from_numpy(x.copy()).requires_grad_()
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(
        out_ours.detach().numpy(),
        out_theirs.detach().numpy(),
        rtol=rtol,
        atol=atol,
        err_msg="forward",
    )
    assert out_ours.dtype == juanji.tensor(x).dtype
    cotangent = np.random.default_rng(seed).standard_normal(out_ours.shape).astype(x.dtype)
    (out_ours * juanji.tensor(cotangent)).sum().backward()
    (out_theirs * torch.from_numpy(cotangent)).sum().backward()
    np.testing.assert_allclose(
        x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=rtol, atol=atol, err_msg="input gradient"
    )
    for (name, p_ours), p_theirs in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(
            p_ours.grad.numpy(),
            p_theirs.grad.numpy(),
            rtol=rtol,
            atol=atol,
            err_msg=f"gradient of {name}",
        )
    return ours


@st.composite
def conv_layers(draw):
    """A Conv{1,2,3}d configuration that PyTorch also accepts, and an input for it."""
    n = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = draw(st.integers(1, 2))
    padding_kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = 1 if padding_kind == "same" else draw(st.integers(1, 2))
    padding = {
        "int": draw(st.integers(0, 2)),
        "tuple": tuple(draw(st.integers(0, 2)) for _ in range(n)),
        "same": "same",
        "valid": "valid",
    }[padding_kind]
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    bias = draw(st.booleans())
    # Every size is at least the dilated kernel and 3 (> any pad: what 'reflect' needs).
    size = tuple(draw(st.integers(0, 2)) + max(dilation * (k - 1) + 1, 3) for k in kernel)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = (
        np.random.default_rng(draw(st.integers(0, 2**16)))
        .standard_normal((2, in_channels, *size))
        .astype(dtype)
    )

    def build(lib):
        layer = getattr(lib.nn, f"Conv{n}d")
        return layer(
            in_channels,
            out_channels,
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            padding_mode=mode,
        )

    return build, x


@settings(max_examples=60)
@given(conv_layers())
def test_conv_layers_match_torch(case):
    build, x = case
    check_against_torch(build, x)


def test_conv_unbatched_input(rng):
    x = rng.standard_normal((3, 8, 8)).astype(np.float32)
    check_against_torch(lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"), x)


@pytest.mark.parametrize("padding, pads", [("same_lower", (1, 0, 1, 0)), ("same", (0, 1, 0, 1))])
@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_conv_same_padding_with_even_kernel(padding, pads, mode, rng):
    # An even kernel needs an odd total pad: 'same' puts the extra pixel bottom/right,
    # 'same_lower' top/left (the notes' rule). PyTorch reference: explicit pad, then conv.
    layer = nn.Conv2d(1, 2, 2, padding=padding, padding_mode=mode)
    x = rng.standard_normal((1, 1, 5, 6)).astype(np.float32)
    weight = torch.from_numpy(layer.weight.detach().numpy())
    bias = torch.from_numpy(layer.bias.detach().numpy())
    padded = torch.nn.functional.pad(
        torch.from_numpy(x), pads, mode="constant" if mode == "zeros" else mode
    )
    expected = torch.nn.functional.conv2d(padded, weight, bias)
    np.testing.assert_allclose(
        layer(juanji.tensor(x)).detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("mode", ["zeros", "replicate"])
def test_conv_same_padding_with_stride_gives_ceil_output(mode):
    layer = nn.Conv2d(1, 1, 3, stride=2, padding="same", padding_mode=mode)
    assert layer(juanji.zeros(1, 1, 7, 8)).shape == (1, 1, 4, 4)


POOLS = [
    lambda lib: lib.nn.MaxPool2d(2),
    lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
    lambda lib: lib.nn.MaxPool1d(3, stride=1, padding=1, dilation=2),
    lambda lib: lib.nn.MaxPool3d((1, 2, 2), stride=(1, 2, 1)),
    lambda lib: lib.nn.AvgPool2d(2),
    lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda lib: lib.nn.AvgPool2d(2, divisor_override=3),
    lambda lib: lib.nn.AvgPool1d(3, stride=2, padding=1),
    lambda lib: lib.nn.AvgPool3d(2, stride=1, padding=1, count_include_pad=False),
    lambda lib: lib.nn.AdaptiveAvgPool2d((3, 2)),
    lambda lib: lib.nn.AdaptiveAvgPool2d((None, 2)),
    lambda lib: lib.nn.AdaptiveAvgPool1d(4),
    lambda lib: lib.nn.AdaptiveMaxPool2d(3),
]


@pytest.mark.parametrize("index", range(len(POOLS)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_layers_match_torch(index, dtype, rng):
    build = POOLS[index]
    name = type(build(torch)).__name__
    rank = 3 if "3d" in name else 1 if "1d" in name else 2
    x = rng.standard_normal((2, 3, *(7,) * rank)).astype(dtype)
    check_against_torch(build, x)
    assert repr(build(juanji)) == repr(build(torch))


def test_max_pool_return_indices_like_torch(rng):
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    for build in (
        lambda lib: lib.nn.MaxPool2d(2, return_indices=True),
        lambda lib: lib.nn.AdaptiveMaxPool2d(3, return_indices=True),
    ):
        values, indices = build(juanji)(juanji.tensor(x))
        their_values, their_indices = build(torch)(torch.from_numpy(x))
        np.testing.assert_array_equal(values.numpy(), their_values.numpy())
        np.testing.assert_array_equal(indices.numpy(), their_indices.numpy())


@pytest.mark.parametrize(
    "build",
    [
        lambda lib: lib.nn.Linear(5, 3),
        lambda lib: lib.nn.Linear(5, 3, bias=False),
        lambda lib: lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(20, 4), lib.nn.ReLU()),
        lambda lib: lib.nn.Sequential(lib.nn.Flatten(0, 1), lib.nn.Unflatten(0, (4, -1))),
        lambda lib: lib.nn.Unflatten(1, (2, 2)),
        lambda lib: lib.nn.LeakyReLU(0.2),
        lambda lib: lib.nn.Sigmoid(),
        lambda lib: lib.nn.Tanh(),
        lambda lib: lib.nn.Softmax(dim=1),
        lambda lib: lib.nn.LogSoftmax(dim=-1),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(5, 5), lib.nn.ReLU(inplace=True)),
        lambda lib: lib.nn.Identity(3, bias=True),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_and_activation_layers_match_torch(build, dtype, rng):
    x = rng.standard_normal((4, 4, 5)).astype(dtype)
    check_against_torch(build, x)


def test_loss_layers_match_torch(rng):
    x = rng.standard_normal((6, 4)).astype(np.float32)
    target = np.array([0, 3, 1, 1, 2, 0])
    weight = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32)

    def losses(lib):
        w = lib.from_numpy(weight.copy())
        return [
            lib.nn.CrossEntropyLoss(),
            lib.nn.CrossEntropyLoss(weight=w, ignore_index=1, reduction="sum", label_smoothing=0.1),
            lib.nn.NLLLoss(weight=w, reduction="none"),
        ]

    for ours, theirs in zip(losses(juanji), losses(torch), strict=True):
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        got = ours(juanji.tensor(x), juanji.tensor(target)).numpy()
        expected = theirs(torch.from_numpy(x), torch.from_numpy(target)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    y = rng.standard_normal((6, 4)).astype(np.float32)
    got = nn.MSELoss(reduction="sum")(juanji.tensor(x), juanji.tensor(y)).item()
    expected = torch.nn.MSELoss(reduction="sum")(torch.from_numpy(x), torch.from_numpy(y)).item()
    assert got == pytest.approx(expected, rel=1e-5)


def test_loss_weight_buffer_follows_dtype_conversion():
    loss = nn.CrossEntropyLoss(weight=juanji.ones(3)).double()
    assert loss.weight.dtype == juanji.float64
    x = juanji.zeros(2, 3, dtype=juanji.float64)
    assert loss(x, juanji.tensor([0, 2])).dtype == juanji.float64


def test_dropout_layer_train_and_eval():
    juanji.manual_seed(0)
    drop = nn.Dropout(0.5)
    x = juanji.ones(1000)
    out = drop(x).numpy()
    assert set(np.unique(out).tolist()) == {0.0, 2.0}
    assert drop.eval()(x) is x
    assert repr(drop) == repr(torch.nn.Dropout(0.5))
    assert repr(nn.Dropout(0, inplace=True)) == repr(torch.nn.Dropout(0, inplace=True))


def test_layer_reprs_equal_torch():
    def layers(lib):
        m = lib.nn
        return m.Sequential(
            m.Conv1d(2, 4, 3, groups=2), m.Conv2d(6, 16, 5, bias=False, padding="same",
                                                  padding_mode="reflect"),
            m.Conv3d(2, 4, 3, stride=2, dilation=2, padding=(1, 0, 1)), m.Conv2d(1, 1, 1),
            m.Conv2d(3, 3, 3, padding="valid"), m.MaxPool1d(2), m.MaxPool3d(2, 1, 1),
            m.AvgPool3d(2), m.AvgPool1d(3, 2, 1), m.AvgPool2d((2, 3)),
            m.AdaptiveAvgPool1d(4), m.AdaptiveAvgPool2d((2, 3)), m.AdaptiveMaxPool2d(1),
            m.Flatten(), m.Unflatten(1, (2, 5)), m.Linear(400, 120), m.Linear(3, 1, bias=False),
            m.Identity(), m.ReLU(), m.ReLU(inplace=True), m.LeakyReLU(), m.LeakyReLU(0.2, True),
            m.Sigmoid(), m.Tanh(), m.Softmax(dim=1), m.LogSoftmax(), m.Dropout(0.25),
            m.CrossEntropyLoss(), m.NLLLoss(), m.MSELoss(),
        )  # fmt: skip

    assert repr(layers(juanji)) == repr(layers(torch))


def test_conv_repr_with_per_side_pairs_and_same_lower():
    assert repr(nn.Conv2d(1, 2, 2, padding=((1, 0), (0, 1)))) == (
        "Conv2d(1, 2, kernel_size=(2, 2), stride=(1, 1), padding=((1, 0), (0, 1)))"
    )
    assert "padding=same_lower" in repr(nn.Conv1d(1, 1, 2, padding="same_lower"))


def _check_default_bound(values, bound, exact_edge):
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    if exact_edge:
        assert np.abs(values).max() > 0.95 * bound


@pytest.mark.parametrize(
    "build, fan_in",
    [
        (lambda lib: lib.nn.Linear(400, 120), 400),
        (lambda lib: lib.nn.Conv2d(6, 16, 5), 150),
        (lambda lib: lib.nn.Conv2d(8, 16, 3, groups=4), 18),
        (lambda lib: lib.nn.Conv1d(4, 64, 3), 12),
        (lambda lib: lib.nn.Conv3d(2, 8, (1, 2, 3)), 12),
    ],
)
def test_default_initialisation_matches_torch_bounds(build, fan_in):
    juanji.manual_seed(0)
    ours, theirs = build(juanji), build(torch)
    bound = 1 / math.sqrt(fan_in)
    assert torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)[0] == fan_in
    weight, bias = ours.weight.detach().numpy(), ours.bias.detach().numpy()
    _check_default_bound(weight, bound, exact_edge=weight.size > 1000)
    _check_default_bound(bias, bound, exact_edge=False)
    _check_default_bound(theirs.weight.detach().numpy(), bound, exact_edge=weight.size > 1000)
    if weight.size > 1000:
        assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
        assert weight.std() == pytest.approx(theirs.weight.detach().numpy().std(), rel=0.05)


def test_seeded_construction_is_reproducible():
    juanji.manual_seed(3)
    first = nn.Conv2d(1, 6, 5).weight.detach().numpy().copy()
    juanji.manual_seed(3)
    assert np.array_equal(first, nn.Conv2d(1, 6, 5).weight.detach().numpy())
    nn.Conv2d(1, 6, 5).reset_parameters()


def test_dtype_and_device_arguments():
    layer = nn.Linear(2, 3, dtype=juanji.float64, device="cpu")
    assert layer.weight.dtype == layer.bias.dtype == juanji.float64
    conv = nn.Conv2d(1, 2, 3, dtype=juanji.float64)
    assert conv(juanji.zeros(1, 1, 4, 4, dtype=juanji.float64)).dtype == juanji.float64
    with pytest.raises(TypeError, match=r"Linear: dtype must be a floating-point dtype"):
        nn.Linear(2, 3, dtype=juanji.int64)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: nn.Conv2d(0, 6, 5),
            ValueError,
            r"Conv2d: in_channels must be a positive integer, got 0",
        ),
        (lambda: nn.Conv2d(3, -1, 5), ValueError, r"Conv2d: out_channels must be a positive"),
        (lambda: nn.Conv2d(3.0, 6, 5), TypeError, r"Conv2d: in_channels must be an int, got 3.0"),
        (
            lambda: nn.Conv2d(3, 6, 5, groups=2),
            ValueError,
            r"Conv2d: in_channels \(3\) must be divisible by groups \(2\)",
        ),
        (
            lambda: nn.Conv1d(4, 6, 3, groups=4),
            ValueError,
            r"Conv1d: out_channels \(6\) must be divisible by groups \(4\)",
        ),
        (lambda: nn.Conv2d(3, 6, 5, groups=0), ValueError, r"Conv2d: groups must be a positive"),
        (
            lambda: nn.Conv2d(3, 6, 5, padding_mode="zero"),
            ValueError,
            r"Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', "
            r"got 'zero'",
        ),
        (lambda: nn.Conv2d(3, 6, 0), ValueError, r"Conv2d: kernel_size must be >= 1"),
        (
            lambda: nn.Conv3d(3, 6, (3, 3)),
            ValueError,
            r"Conv3d: kernel_size must be an int or a "
            r"tuple of 3 ints",
        ),
        (lambda: nn.Conv2d(3, 6, 3, stride=0), ValueError, r"Conv2d: stride must be >= 1"),
        (lambda: nn.Conv2d(3, 6, 3, padding=-1), ValueError, r"Conv2d: padding must be >= 0"),
        (
            lambda: nn.Conv2d(3, 6, 3, padding="full"),
            ValueError,
            r"Conv2d: padding must be an int, a tuple of 2 ints or 2 \(before, after\) pairs "
            r"\('valid', 'same', 'same_lower'\), got 'full'",
        ),
        (
            lambda: nn.Conv2d(3, 6, 3, padding=((1, 2, 3), 0)),
            ValueError,
            r"Conv2d: each padding entry must be an int or a \(before, after\) pair of ints, "
            r"got \(1, 2, 3\) in \(\(1, 2, 3\), 0\)",
        ),
        (lambda: nn.Linear(-1, 3), RuntimeError, r"Linear: Trying to create tensor with negative"),
        (lambda: nn.Linear(3, 2.5), TypeError, r"Linear: out_features must be an int"),
        (lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be >= 1"),
        (lambda: nn.MaxPool2d(2, stride=0), ValueError, r"MaxPool2d: stride must be >= 1"),
        (lambda: nn.AvgPool2d(2, padding=-1), ValueError, r"AvgPool2d: padding must be >= 0"),
        (
            lambda: nn.AvgPool2d(2, divisor_override=0),
            ValueError,
            r"AvgPool2d: divisor_override must be a non-zero int",
        ),
        (
            lambda: nn.AdaptiveAvgPool2d((0, 1)),
            ValueError,
            r"AdaptiveAvgPool2d: output_size must be an int >= 1 or a tuple of 2",
        ),
        (lambda: nn.Dropout(1.5), ValueError, r"Dropout: p must be a probability between 0 and 1"),
        (lambda: nn.Unflatten(1, (2, -1, -1)), ValueError, r"Unflatten: unflattened_size must be"),
        (
            lambda: nn.CrossEntropyLoss(reduction="avg"),
            ValueError,
            r"CrossEntropyLoss: reduction must be one of 'none', 'mean', 'sum', got 'avg'",
        ),
        (
            lambda: nn.CrossEntropyLoss(label_smoothing=-0.1),
            ValueError,
            r"CrossEntropyLoss: label_smoothing must be a probability",
        ),
        (lambda: nn.NLLLoss(weight=[1.0, 2.0]), TypeError, r"NLLLoss: weight must be a Tensor"),
    ],
)
def test_constructor_validation(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_forward_errors_come_from_the_functional():
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight expects 1"):
        nn.Conv2d(1, 6, 5)(juanji.zeros(1, 3, 28, 28))
    with pytest.raises(
        ValueError,
        match=r"linear: input has 3 features in its last dimension "
        r"but weight expects 4 \(in_features\)",
    ):
        nn.Linear(4, 2)(juanji.zeros(5, 3))
    with pytest.raises(
        ValueError,
        match=r"Unflatten: unflattened_size \(2, 5\) does not fit "
        r"dimension 1 of the input, which has size 12",
    ):
        nn.Unflatten(1, (2, 5))(juanji.zeros(3, 12))
    with pytest.raises(IndexError, match=r"Unflatten: dim 3 is out of range for a 2-D input"):
        nn.Unflatten(3, (2, 5))(juanji.zeros(3, 10))


def _parameters(callable_):
    return [(p.name, p.default, p.kind) for p in inspect.signature(callable_).parameters.values()]


@pytest.mark.parametrize(
    "module, functional, skip",
    [
        (nn.MaxPool1d, F.max_pool1d, 1),
        (nn.MaxPool2d, F.max_pool2d, 1),
        (nn.MaxPool3d, F.max_pool3d, 1),
        (nn.AvgPool1d, F.avg_pool1d, 1),
        (nn.AvgPool2d, F.avg_pool2d, 1),
        (nn.AvgPool3d, F.avg_pool3d, 1),
        (nn.AdaptiveAvgPool1d, F.adaptive_avg_pool1d, 1),
        (nn.AdaptiveAvgPool2d, F.adaptive_avg_pool2d, 1),
        (nn.AdaptiveMaxPool2d, F.adaptive_max_pool2d, 1),
        (nn.ReLU, F.relu, 1),
        (nn.LeakyReLU, F.leaky_relu, 1),
        (nn.Flatten, F.flatten, 1),
        (nn.CrossEntropyLoss, F.cross_entropy, 2),
        (nn.NLLLoss, F.nll_loss, 2),
        (nn.MSELoss, F.mse_loss, 2),
    ],
)
def test_module_and_functional_share_argument_order(module, functional, skip):
    module_args = _parameters(module)
    functional_args = _parameters(functional)[skip:]
    if module is nn.Flatten:  # the module keeps the batch: start_dim=1 (as PyTorch)
        functional_args = [(n, 1 if n == "start_dim" else d, k) for n, d, k in functional_args]
    if module is nn.MSELoss:  # PyTorch 2.13 gave F.mse_loss a weight=, but not nn.MSELoss
        functional_args = [arg for arg in functional_args if arg[0] != "weight"]
    assert module_args == functional_args


def test_shared_conv_layer_is_trained_through_both_uses():
    conv = nn.Conv2d(2, 2, 3, padding=1)
    model = nn.Sequential(conv, nn.ReLU(), conv)
    assert len(list(model.parameters())) == 2
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    model(juanji.tensor(x)).sum().backward()
    # torch, same weights, same two uses: the gradient is the sum over both uses
    w = torch.tensor(conv.weight.detach().numpy(), requires_grad=True)
    b = torch.tensor(conv.bias.detach().numpy(), requires_grad=True)
    first = torch.relu(torch.nn.functional.conv2d(torch.tensor(x), w, b, padding=1))
    torch.nn.functional.conv2d(first, w, b, padding=1).sum().backward()
    np.testing.assert_allclose(conv.weight.grad.numpy(), w.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(conv.bias.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)
    # and it is not the gradient of either use alone
    w_second = torch.tensor(conv.weight.detach().numpy(), requires_grad=True)
    torch.nn.functional.conv2d(first.detach(), w_second, b.detach(), padding=1).sum().backward()
    assert not np.allclose(conv.weight.grad.numpy(), w_second.grad.numpy(), atol=1e-3)
