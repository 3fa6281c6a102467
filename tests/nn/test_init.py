"""``juanji.nn.init``: PyTorch's gains, fans, bounds and standard deviations.

The random streams differ from PyTorch's (expected); the distributions must not. Bounds are
checked exactly (every sample inside, the extremes close to the bound), standard deviations
statistically on large tensors.
"""

import inspect
import math

import numpy as np
import pytest

import juanji
from juanji.nn import init
from reference import torch


@pytest.mark.parametrize(
    "name",
    ["linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"],
)
def test_calculate_gain_matches_torch(name):
    assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


@pytest.mark.parametrize("slope", [0, 0.2, math.sqrt(5), 3])
def test_leaky_relu_gain_matches_torch(slope):
    ours = init.calculate_gain("leaky_relu", slope)
    assert ours == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match=r"unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match=r"negative_slope 'x' is not a valid number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 4), (6, 1, 5, 5), (16, 3, 2, 3, 4), (10, 84)])
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(juanji.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(juanji.empty(5))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported"):
        init.kaiming_uniform_(juanji.empty(3, 4), mode="fan_avg")


def _check_uniform(tensor, bound):
    values = tensor.detach().numpy()
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() >= 0.98 * bound  # 10^5 samples reach the edge
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def _expected_fan(shape, mode):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    return fan_in if mode == "fan_in" else fan_out


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(
    "nonlinearity, a", [("leaky_relu", math.sqrt(5)), ("relu", 0), ("leaky_relu", 0), ("tanh", 0)]
)
def test_kaiming_uniform_bound(mode, nonlinearity, a):
    shape = (200, 50, 3, 3)
    tensor = init.kaiming_uniform_(juanji.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity)
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    _check_uniform(tensor, gain * math.sqrt(3.0 / _expected_fan(shape, mode)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_std(mode):
    shape = (300, 40, 3, 3)
    tensor = init.kaiming_normal_(juanji.empty(*shape), mode=mode, nonlinearity="relu")
    expected = math.sqrt(2.0) / math.sqrt(_expected_fan(shape, mode))
    values = tensor.numpy()
    assert values.std() == pytest.approx(expected, rel=0.02)
    assert abs(values.mean()) < 0.02 * expected


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_bounds_and_std(gain):
    shape = (400, 300)
    std = gain * math.sqrt(2.0 / (400 + 300))
    _check_uniform(init.xavier_uniform_(juanji.empty(*shape), gain=gain), math.sqrt(3) * std)
    assert init.xavier_normal_(juanji.empty(*shape), gain=gain).numpy().std() == pytest.approx(
        std, rel=0.02
    )


def test_simple_fills():
    t = juanji.empty(1000, 100)
    values = init.uniform_(t, -2.0, 3.0).numpy()
    assert values.min() >= -2.0 and values.max() < 3.0
    assert values.mean() == pytest.approx(0.5, abs=0.02)
    values = init.normal_(t, mean=1.0, std=0.5).numpy()
    assert values.mean() == pytest.approx(1.0, abs=0.01)
    assert values.std() == pytest.approx(0.5, rel=0.02)
    assert init.constant_(juanji.empty(3), 0.25).tolist() == [0.25] * 3
    assert init.zeros_(juanji.ones(2)).tolist() == [0.0, 0.0]
    assert init.ones_(juanji.zeros(2)).tolist() == [1.0, 1.0]


def test_fills_work_in_place_on_parameters_without_recording():
    param = juanji.nn.Parameter(juanji.zeros(4, 3))
    data = param._data
    out = init.kaiming_uniform_(param)
    assert out is param and param._data is data
    assert param.requires_grad and param.grad_fn is None
    assert param.dtype == juanji.float32


def test_seeding_reproduces_values():
    juanji.manual_seed(7)
    first = init.kaiming_uniform_(juanji.empty(5, 5)).numpy().copy()
    juanji.manual_seed(7)
    assert np.array_equal(first, init.kaiming_uniform_(juanji.empty(5, 5)).numpy())
    a = init.xavier_normal_(juanji.empty(4, 4), generator=juanji.Generator().manual_seed(1))
    b = init.xavier_normal_(juanji.empty(4, 4), generator=juanji.Generator().manual_seed(1))
    assert a.equal(b)


def test_zero_element_tensor_is_a_no_op_with_a_warning():
    with pytest.warns(UserWarning, match=r"Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(juanji.empty(0, 3))


def test_non_tensor_is_refused():
    with pytest.raises(TypeError, match=r"uniform_: tensor must be a Tensor, got ndarray"):
        init.uniform_(np.zeros(3))


def test_float64_tensor_keeps_its_dtype():
    t = init.kaiming_normal_(juanji.empty(3, 4, dtype=juanji.float64))
    assert t.dtype == juanji.float64


@pytest.mark.parametrize(
    "name",
    [
        "uniform_",
        "normal_",
        "constant_",
        "zeros_",
        "ones_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "calculate_gain",
    ],
)
def test_signatures_match_torch(name):
    def parameters(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    assert parameters(getattr(init, name)) == parameters(getattr(torch.nn.init, name))
