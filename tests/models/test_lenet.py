"""LeNet5 (textbook) and LeNet5Classic (1998): parameter counts, shapes, torch twin, paper facts."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.models import LeNet5, LeNet5Classic, get_model, list_models, map_loss
from juanji.models.lenet import (
    EuclideanRBF,
    ScaledTanh,
    Subsampling2d,
    TableConv2d,
    c3_connection_table,
    digit_bitmaps,
)
from juanji.testing import gradcheck
from reference import torch


def _n_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------- LeNet5
def torch_lenet5(activation="relu", pool="max", num_classes=10):
    """The same network written in PyTorch, layer for layer (the oracle)."""
    tnn = torch.nn
    act = {"relu": tnn.ReLU, "sigmoid": tnn.Sigmoid}[activation]
    pool_layer = {"max": tnn.MaxPool2d, "avg": tnn.AvgPool2d}[pool]
    model = tnn.Module()
    model.features = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2),
        act(),
        pool_layer(2, 2),
        tnn.Conv2d(6, 16, 5),
        act(),
        pool_layer(2, 2),
    )
    model.classifier = tnn.Sequential(
        tnn.Linear(400, 120),
        act(),
        tnn.Linear(120, 84),
        act(),
        tnn.Linear(84, num_classes),
    )
    model.forward = lambda x: model.classifier(torch.flatten(model.features(x), 1))
    return model


def test_lenet5_has_61706_parameters():
    # Hand count (the notes: weights + bias per layer; pooling and activations have none):
    # conv1 6*(1*25)+6 = 156, conv2 16*(6*25)+16 = 2,416, fc 400*120+120 = 48,120,
    # 120*84+84 = 10,164, 84*10+10 = 850.
    model = LeNet5()
    per_layer = [p.numel() for p in model.parameters()]
    assert per_layer == [150, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]
    assert _n_trainable(model) == 156 + 2416 + 48120 + 10164 + 850 == 61706


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_lenet5_forward_shapes(activation, pool):
    model = LeNet5(activation=activation, pool=pool)
    assert model.input_size == (1, 28, 28)
    assert model(juanji.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert model.features(juanji.zeros(3, 1, 28, 28)).shape == (3, 16, 5, 5)


def test_lenet5_options_change_layers():
    model = LeNet5(activation="sigmoid", pool="avg", num_classes=7, in_channels=3)
    assert isinstance(model.features[1], nn.Sigmoid)
    assert isinstance(model.features[2], nn.AvgPool2d)
    assert model.input_size == (3, 28, 28)
    assert model(juanji.zeros(1, 3, 28, 28)).shape == (1, 7)


@pytest.mark.parametrize(("name", "value"), [("activation", "tanh"), ("pool", "min")])
def test_lenet5_rejects_unknown_options(name, value):
    with pytest.raises(ValueError, match=rf"LeNet5: {name} must be one of .*got '{value}'"):
        LeNet5(**{name: value})


def test_lenet5_state_dict_keys_equal_torch():
    ours = LeNet5().state_dict()
    theirs = torch_lenet5().state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


@pytest.mark.parametrize(("activation", "pool"), [("relu", "max"), ("sigmoid", "avg")])
def test_lenet5_equals_torch_twin_forward_and_input_gradient(activation, pool):
    torch.manual_seed(0)
    twin = torch_lenet5(activation, pool).double()
    model = LeNet5(activation=activation, pool=pool).double()
    result = model.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28))
    cotangent = np.random.default_rng(1).standard_normal((4, 10))

    x_j = juanji.tensor(x, requires_grad=True)
    out_j = model(x_j)
    (out_j * juanji.tensor(cotangent)).sum().backward()
    x_t = torch.tensor(x, requires_grad=True)
    out_t = twin(x_t)
    (out_t * torch.tensor(cotangent)).sum().backward()

    tight = {"rtol": 1e-10, "atol": 1e-10}
    np.testing.assert_allclose(out_j.detach().numpy(), out_t.detach().numpy(), **tight)
    np.testing.assert_allclose(x_j.grad.numpy(), x_t.grad.numpy(), **tight)
    pairs = zip(model.named_parameters(), twin.named_parameters(), strict=True)
    for (name, p_j), (_, p_t) in pairs:
        np.testing.assert_allclose(
            p_j.grad.numpy(), p_t.grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=name
        )


def test_lenet5_weights_round_trip_to_torch():
    model = LeNet5()
    twin = torch_lenet5()
    twin.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    )
    x = np.random.default_rng(2).standard_normal((2, 1, 28, 28)).astype(np.float32)
    with juanji.no_grad():
        ours = model(juanji.tensor(x)).numpy()
    np.testing.assert_allclose(ours, twin(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- registry
def test_registry_lists_and_builds_models():
    assert list_models()[:2] == ["lenet5", "lenet5-classic"]
    for alias in ["lenet5", "LeNet5", "lenet", "lenet-5", " LENET_5 "]:
        assert isinstance(get_model(alias), LeNet5)
    for alias in ["lenet5-classic", "LeNet5_Classic", "lenet5-1998", "lenet-5-classic"]:
        assert isinstance(get_model(alias), LeNet5Classic)
    assert get_model("lenet5", num_classes=3)(juanji.zeros(1, 1, 28, 28)).shape == (1, 3)


def test_registry_unknown_name_lists_known_models():
    with pytest.raises(
        ValueError,
        match=r"get_model: unknown model 'zfnet'; known models: "
        r"lenet5",
    ):
        get_model("zfnet")


# ---------------------------------------------------------------------------- LeNet5Classic
# The paper's numbers (Section II-B), written by hand: trainable parameters per layer.
PAPER_PARAMETERS = {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}

# Table I of the paper as printed: one row per S2 map, one column per C3 map (0-15).
TABLE_I = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
"""


@pytest.fixture
def classic():
    juanji.manual_seed(0)
    return LeNet5Classic()


def test_classic_has_exactly_60000_trainable_parameters(classic):
    assert _n_trainable(classic) == 60000
    assert sum(PAPER_PARAMETERS.values()) == 60000
    for name, expected in PAPER_PARAMETERS.items():
        layer = getattr(classic, name)
        assert sum(p.numel() for p in layer.parameters()) == expected, name
    assert list(classic.output.parameters()) == []


def test_classic_rbf_weights_are_a_fixed_buffer(classic):
    buffer = classic.output.weight
    assert not buffer.requires_grad
    assert all(p is not buffer for p in classic.parameters())
    np.testing.assert_array_equal(buffer.numpy(), digit_bitmaps().reshape(10, 84))
    assert "output.weight" in classic.state_dict()


def test_classic_state_dict_keys(classic):
    assert [(k, v.shape) for k, v in classic.state_dict().items()] == [
        ("c1.weight", (6, 1, 5, 5)), ("c1.bias", (6,)),
        ("s2.weight", (6,)), ("s2.bias", (6,)),
        ("c3.weight", (60, 5, 5)), ("c3.bias", (16,)),
        ("s4.weight", (16,)), ("s4.bias", (16,)),
        ("c5.weight", (120, 16, 5, 5)), ("c5.bias", (120,)),
        ("f6.weight", (84, 120)), ("f6.bias", (84,)),
        ("output.weight", (10, 84)),
    ]  # fmt: skip


def test_c3_connection_table_matches_table_i():
    printed = np.array([[c == "X" for c in row] for row in TABLE_I.split()])  # (S2, C3)
    np.testing.assert_array_equal(c3_connection_table(), printed.T)
    assert [int(n) for n in printed.sum(axis=0)] == [3] * 6 + [4] * 9 + [6]


def test_classic_forward_shapes_layer_by_layer(classic):
    shapes = {}

    def record(module, args, output):
        shapes[names[module]] = output.shape

    names = {getattr(classic, n): n for n in ["c1", "s2", "c3", "s4", "c5", "f6", "output"]}
    for layer in names:
        layer.register_forward_hook(record)
    out = classic(juanji.zeros(3, 1, 32, 32))
    assert shapes == {
        "c1": (3, 6, 28, 28), "s2": (3, 6, 14, 14), "c3": (3, 16, 10, 10),
        "s4": (3, 16, 5, 5), "c5": (3, 120, 1, 1), "f6": (3, 84), "output": (3, 10),
    }  # fmt: skip
    assert out.shape == (3, 10) and out.dtype == juanji.float32
    assert classic.input_size == (1, 32, 32)
    assert bool((out <= 0).all())  # logits are negated squared distances


def test_classic_initialisation_follows_the_paper(classic):
    # Appendix A: U(-2.4/F_i, 2.4/F_i), F_i = inputs of the unit.
    fan_ins = {"c1": 25, "s2": 4, "s4": 4, "c5": 400, "f6": 120}
    for name, fan_in in fan_ins.items():
        for p in getattr(classic, name).parameters():
            assert float(p.abs().max()) <= 2.4 / fan_in
    c3_fan_in = np.array([75] * 6 + [100] * 9 + [150])
    kernels_per_map = c3_connection_table().sum(axis=1)
    kernel_bounds = np.repeat(2.4 / c3_fan_in, kernels_per_map)
    assert (np.abs(classic.c3.weight.numpy(force=True)).max(axis=(1, 2)) <= kernel_bounds).all()
    assert (np.abs(classic.c3.bias.numpy(force=True)) <= 2.4 / c3_fan_in).all()


def test_table_conv_equals_a_sum_of_single_map_convolutions():
    # Oracle: PyTorch, one 1-channel convolution per connection of Table I, summed per map.
    juanji.manual_seed(1)
    c3 = TableConv2d(c3_connection_table(), 5).double()
    x = np.random.default_rng(0).standard_normal((2, 6, 14, 14))
    kernels = torch.from_numpy(c3.weight.numpy(force=True).copy())
    bias = c3.bias.numpy(force=True)
    expected = np.zeros((2, 16, 10, 10))
    k = 0
    for o, row in enumerate(c3_connection_table()):
        for i in np.flatnonzero(row):
            part = torch.nn.functional.conv2d(
                torch.from_numpy(x[:, i : i + 1]), kernels[k][None, None]
            )
            expected[:, o] += part[:, 0].numpy()
            k += 1
        expected[:, o] += bias[o]
    assert k == 60
    np.testing.assert_allclose(
        c3(juanji.tensor(x)).detach().numpy(), expected, rtol=1e-12, atol=1e-12
    )


def test_table_conv_gradient_equals_torch_masked_convolution():
    juanji.manual_seed(2)
    c3 = TableConv2d(c3_connection_table(), 5).double()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 14, 14))
    cotangent = rng.standard_normal((2, 16, 10, 10))
    mask = torch.from_numpy(c3_connection_table()[:, :, None, None].astype(np.float64))
    dense = torch.from_numpy(c3.dense_weight().detach().numpy().copy()).requires_grad_(True)
    x_t = torch.tensor(x, requires_grad=True)
    bias_t = torch.from_numpy(c3.bias.numpy(force=True).copy()).requires_grad_(True)
    out_t = torch.nn.functional.conv2d(x_t, dense * mask, bias_t)
    (out_t * torch.from_numpy(cotangent)).sum().backward()

    x_j = juanji.tensor(x, requires_grad=True)
    (c3(x_j) * juanji.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(x_j.grad.numpy(), x_t.grad.numpy(), rtol=1e-10, atol=1e-10)
    connected = dense.grad.numpy()[c3_connection_table()]  # (60, 5, 5), table order
    np.testing.assert_allclose(c3.weight.grad.numpy(), connected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(c3.bias.grad.numpy(), bias_t.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("optimiser", ["sgd", "adamw"])
def test_classic_unconnected_c3_weights_stay_zero_after_optimiser_steps(classic, optimiser):
    if optimiser == "sgd":
        opt = juanji.optim.SGD(classic.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    else:
        opt = juanji.optim.AdamW(classic.parameters(), lr=1e-2, weight_decay=1e-2)
    before = classic.c3.dense_weight().detach().numpy().copy()
    x = juanji.randn(4, 1, 32, 32)
    target = juanji.tensor([0, 3, 7, 9])
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(classic(x), target).backward()
        opt.step()
    after = classic.c3.dense_weight().detach().numpy()
    unconnected = ~c3_connection_table()
    assert (after[unconnected] == 0).all() and (before[unconnected] == 0).all()
    changed = np.abs(after - before).max(axis=(2, 3)) > 0
    np.testing.assert_array_equal(changed, c3_connection_table())


def test_scaled_tanh_hand_values():
    out = ScaledTanh()(juanji.tensor([-1.0, 0.0, 1.0, 30.0], dtype=juanji.float64))
    np.testing.assert_allclose(out.numpy(), [-1.0, 0.0, 1.0, 1.7159], atol=1e-4)
    np.testing.assert_allclose(out.numpy()[2], 1.7159 * np.tanh(2 / 3), rtol=1e-15)


def test_subsampling_hand_example():
    layer = Subsampling2d(2)
    layer.weight.data = juanji.tensor([2.0, -1.0])
    layer.bias.data = juanji.tensor([1.0, 0.5])
    x = juanji.arange(32, dtype=juanji.float32).reshape(1, 2, 4, 4)
    # channel 0 windows: 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50
    # channel 1 windows: each 64 larger (16 per pixel x 4 pixels)
    expected = [[[21.0, 37.0], [85.0, 101.0]], [[-73.5, -81.5], [-105.5, -113.5]]]
    np.testing.assert_allclose(layer(x).detach().numpy()[0], expected)


def test_euclidean_rbf_hand_example():
    rbf = EuclideanRBF([[1.0, -1.0, 1.0], [0.0, 0.0, 0.0]])
    out = rbf(juanji.tensor([[1.0, 1.0, 1.0], [2.0, -1.0, 0.0]]))
    # (0 + 4 + 0, 1 + 1 + 1), (1 + 0 + 1, 4 + 1 + 0)
    np.testing.assert_allclose(out.numpy(), [[4.0, 3.0], [2.0, 5.0]])


def test_digit_bitmaps_are_distinct_plus_minus_one_codes():
    bitmaps = digit_bitmaps()
    assert bitmaps.shape == (10, 12, 7)
    assert set(np.unique(bitmaps).tolist()) == {-1, 1}
    assert (bitmaps[:, 0] == -1).all() and (bitmaps[:, -1] == -1).all()  # blank margins
    flat = bitmaps.reshape(10, 84)
    hamming = (flat[:, None] != flat[None]).sum(-1)
    assert hamming[~np.eye(10, dtype=bool)].min() >= 7


def test_map_loss_equals_the_paper_formula():
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 20, size=(5, 10))
    target = np.array([0, 4, 9, 2, 2])
    j = 8.0
    expected = np.mean(y[np.arange(5), target] + np.log(np.exp(-j) + np.exp(-y).sum(axis=1)))
    got = map_loss(juanji.tensor(-y), juanji.tensor(target), j=j)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
    per_sample = map_loss(juanji.tensor(-y), juanji.tensor(target), j=j, reduction="none")
    assert per_sample.shape == (5,)


def test_map_loss_with_large_j_is_cross_entropy():
    logits = juanji.tensor(-np.random.default_rng(4).uniform(0, 5, size=(3, 10)))
    target = juanji.tensor([1, 2, 3])
    np.testing.assert_allclose(
        map_loss(logits, target, j=200.0).item(),
        F.cross_entropy(logits, target).item(),
        rtol=1e-12,
    )


def _double(x):
    return juanji.tensor(x, dtype=juanji.float64, requires_grad=True)


def test_gradcheck_subsampling_full():
    juanji.manual_seed(3)
    layer = Subsampling2d(3).double()
    x = _double(np.random.default_rng(5).standard_normal((2, 3, 4, 6)))
    assert gradcheck(lambda x, *params: layer(x), [x, *layer.parameters()])


def test_gradcheck_rbf_and_scaled_tanh_full():
    rbf = EuclideanRBF(digit_bitmaps().reshape(10, 84)[:3, :5]).double()
    x = _double(np.random.default_rng(6).standard_normal((2, 5)))
    assert gradcheck(lambda x: rbf(ScaledTanh()(x)), [x])


def test_gradcheck_table_conv_random():
    juanji.manual_seed(4)
    layer = TableConv2d([[True, False, True], [False, True, False]], (3, 2)).double()
    x = _double(np.random.default_rng(7).standard_normal((2, 3, 5, 6)))
    assert gradcheck(lambda x, *p: layer(x), [x, *layer.parameters()], mode="random")


@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_whole_classic_network_random(seed):
    juanji.manual_seed(seed)
    model = LeNet5Classic().double()
    x = _double(np.random.default_rng(seed).standard_normal((2, 1, 32, 32)))
    target = juanji.tensor([3, 8])

    def loss(x, *params):
        return map_loss(model(x), target, j=10.0)

    assert gradcheck(loss, [x, *model.parameters()], mode="random", seed=seed)


def test_table_conv_rejects_a_map_without_inputs():
    with pytest.raises(ValueError, match="TableConv2d: connections must be"):
        TableConv2d([[True, False], [False, False]], 3)
