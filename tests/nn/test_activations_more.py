"""The pointwise activations, GLU, Softmin and PReLU against PyTorch, gradcheck and by hand."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji._ops.activation import erf
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional

POINTWISE = {
    "relu6": (F.relu6, TF.relu6),
    "hardtanh": (F.hardtanh, TF.hardtanh),
    "hardtanh_range": (lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: TF.hardtanh(x, -2.0, 0.5)),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
    ),
    "silu": (F.silu, TF.silu),
    "mish": (F.mish, TF.mish),
    "hardswish": (F.hardswish, TF.hardswish),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "elu": (F.elu, TF.elu),
    "elu_alpha": (lambda x: F.elu(x, 0.3), lambda x: TF.elu(x, 0.3)),
    "selu": (F.selu, TF.selu),
    "celu": (lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7)),
    "softplus": (F.softplus, TF.softplus),
    "softplus_beta": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    "softsign": (F.softsign, TF.softsign),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink),
}

FLOAT32_CONSTANTS = {"celu", "hardsigmoid"}
MODULES = [
    ("ReLU6", ()),
    ("Hardtanh", (-2.0, 2.0)),
    ("GELU", ("tanh",)),
    ("SiLU", ()),
    ("Mish", ()),
    ("Hardswish", ()),
    ("Hardsigmoid", ()),
    ("ELU", (0.5,)),
    ("SELU", ()),
    ("CELU", (0.5,)),
    ("Softplus", (2.0, 5.0)),
    ("Softsign", ()),
    ("LogSigmoid", ()),
    ("Tanhshrink", ()),
    ("Softmin", (1,)),
    ("GLU", (1,)),
]
INPLACE = ["relu6", "hardtanh", "silu", "mish", "hardswish", "hardsigmoid", "elu", "selu", "celu"]

shapes = st.lists(st.integers(1, 5), min_size=0, max_size=4)
dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**16)


def _input(shape, dtype, seed, scale=4.0):
    return np.asarray(scale * np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


@pytest.mark.parametrize("name", sorted(POINTWISE))
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_pointwise_activation_matches_torch(name, shape, dtype, seed):
    ours, theirs = POINTWISE[name]
    compare_op(ours, theirs, [_input(shape, dtype, seed)], **_tolerance(name, dtype))


def _tolerance(name, dtype):
    # PyTorch's float64 gradient is off by ~1e-8 for these: CELU's backward rounds 1/alpha
    # through float32 (derivatives.yaml: ``1.0 / alpha.toFloat()``), Hardsigmoid's uses a float32
    # 1/6. juanji's are exact, so float64 is compared to 1e-7 for them.
    if name in FLOAT32_CONSTANTS and dtype == np.float64:
        return {"rtol": 1e-7, "atol": 1e-7}
    return {}


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_activation_at_kinks_and_extremes_matches_torch(name):
    ours, theirs = POINTWISE[name]
    x = np.array([-100.0, -20.0, -6.0, -3.0, -1.0, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0, 100.0])
    for dtype in (np.float32, np.float64):
        compare_op(ours, theirs, [x.astype(dtype)], **_tolerance(name, dtype))


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_activation_gradcheck(name):
    # Points away from the kinks (finite differences straddling a kink are meaningless).
    x = juanji.tensor(
        [-2.7, -1.3, -0.4, 0.2, 0.9, 1.7, 2.6], dtype=juanji.float64, requires_grad=True
    )
    assert gradcheck(POINTWISE[name][0], (x,))


def test_erf_to_float64_rounding():
    z = np.linspace(-7, 7, 20001)
    expected = np.array([math.erf(v) for v in z])
    np.testing.assert_allclose(erf(z), expected, rtol=0, atol=5e-15)
    assert erf(z.astype(np.float32)).dtype == np.float32


def test_hand_values():
    x = juanji.tensor([-4.0, -1.0, 0.0, 1.0, 8.0])
    np.testing.assert_allclose(F.relu6(x).numpy(), [0, 0, 0, 1, 6])
    np.testing.assert_allclose(F.hardswish(x).numpy(), [0, -1 * 2 / 6, 0, 4 / 6, 8], rtol=1e-6)
    np.testing.assert_allclose(F.hardsigmoid(x).numpy(), [0, 2 / 6, 0.5, 4 / 6, 1], rtol=1e-6)
    np.testing.assert_allclose(F.elu(x, 2.0).numpy()[1], 2 * (math.exp(-1) - 1), rtol=1e-6)
    np.testing.assert_allclose(
        F.gelu(x).numpy()[3], 0.5 * (1 + math.erf(1 / math.sqrt(2))), rtol=1e-6
    )
    np.testing.assert_allclose(F.softsign(x).numpy(), [-0.8, -0.5, 0, 0.5, 8 / 9], rtol=1e-6)
    np.testing.assert_allclose(F.glu(juanji.tensor([3.0, 0.0])).numpy(), [1.5])


@pytest.mark.parametrize("name,args", MODULES)
def test_modules_match_torch_repr_and_output(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    compare_op(
        ours, theirs, [_input((2, 4, 3), np.float64, 1)], **_tolerance(name.lower(), np.float64)
    )


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_flag_overwrites_input(name):
    module_name = {
        "relu6": "ReLU6",
        "hardtanh": "Hardtanh",
        "silu": "SiLU",
        "mish": "Mish",
        "hardswish": "Hardswish",
        "hardsigmoid": "Hardsigmoid",
        "elu": "ELU",
        "selu": "SELU",
        "celu": "CELU",
    }[name]
    ours, theirs = (
        getattr(nn, module_name)(inplace=True),
        getattr(torch.nn, module_name)(inplace=True),
    )
    assert repr(ours) == repr(theirs)
    x = _input((3, 4), np.float32, 2)
    jx, tx = juanji.tensor(x.copy()), torch.tensor(x.copy())
    out = ours(jx)
    theirs(tx)
    assert out is jx
    np.testing.assert_allclose(jx.numpy(), tx.numpy(), rtol=1e-5, atol=1e-6)
    leaf = juanji.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: inplace=True on a leaf tensor"):
        getattr(F, name)(leaf, inplace=True)


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    dtype=dtypes,
    seed=seeds,
    data=st.data(),
)
def test_glu_and_softmin_match_torch(shape, dtype, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    glu_shape = list(shape)
    glu_shape[dim] *= 2
    compare_op(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), [_input(glu_shape, dtype, seed)])
    compare_op(
        lambda x: F.softmin(x, dim), lambda x: TF.softmin(x, dim), [_input(shape, dtype, seed)]
    )


@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=4),
    dtype=dtypes,
    seed=seeds,
    shared=st.booleans(),
)
def test_prelu_matches_torch_incl_weight_gradient(shape, dtype, seed, shared):
    channels = shape[1] if len(shape) >= 2 and not shared else 1
    weight = _input((channels,), dtype, seed + 1, scale=0.5)
    compare_op(F.prelu, TF.prelu, [_input(shape, dtype, seed), weight])


def test_prelu_module_gradcheck_and_state():
    ours, theirs = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == ["weight"]
    np.testing.assert_allclose(ours.weight.detach().numpy(), [0.1, 0.1, 0.1], rtol=1e-6)
    x = juanji.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    w = juanji.tensor([0.1, -0.5, 2.0], dtype=juanji.float64, requires_grad=True)
    assert gradcheck(F.prelu, (x, w))
    y = juanji.tensor(np.linspace(-2, 2, 7)[None], requires_grad=True)
    assert gradcheck(lambda x: F.glu(x.repeat(1, 2), 1), (y,))


def test_activation_errors():
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'x'"):
        F.gelu(juanji.zeros(2), approximate="x")
    with pytest.raises(TypeError, match=r"silu: input must be a floating-point tensor"):
        F.silu(juanji.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"elu: alpha must be a number, got str"):
        F.elu(juanji.zeros(2), "1")
    with pytest.raises(
        ValueError,
        match=r"hardtanh: max_val \(-1\) must not be less than "
        r"min_val \(1\)",
    ):
        F.hardtanh(juanji.zeros(2), 1, -1)
    with pytest.raises(ValueError, match=r"celu: alpha must not be 0"):
        F.celu(juanji.zeros(2), 0.0)
    with pytest.raises(
        ValueError,
        match=r"glu: halving dimension must be even, but dimension 1 "
        r"is size 3",
    ):
        F.glu(juanji.zeros(2, 3), 1)
    with pytest.raises(
        ValueError,
        match=r"prelu: mismatch of parameter numbers and input "
        r"channel size: weight has 3 elements and input has 4",
    ):
        F.prelu(juanji.zeros(2, 4), juanji.zeros(3))
    with pytest.raises(ValueError, match=r"PReLU: num_parameters must be a positive integer"):
        nn.PReLU(0)
    with pytest.raises(TypeError, match=r"gelu: input must be a Tensor, got list"):
        F.gelu([1.0])
