"""LeNet5 (textbook) and LeNet5Classic (1998): parameter counts, shapes, torch twin, paper facts."""

import numpy as np
import pytest

import juanji
from juanji import nn
from juanji.models import LeNet5, get_model, list_models
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
    assert list_models()[0] == "lenet5"
    for alias in ["lenet5", "LeNet5", "lenet", "lenet-5", " LENET_5 "]:
        assert isinstance(get_model(alias), LeNet5)
    assert get_model("lenet5", num_classes=3)(juanji.zeros(1, 1, 28, 28)).shape == (1, 3)


def test_registry_unknown_name_lists_known_models():
    with pytest.raises(
        ValueError,
        match=r"get_model: unknown model 'alexnet'; known models: "
        r"lenet5",
    ):
        get_model("alexnet")
