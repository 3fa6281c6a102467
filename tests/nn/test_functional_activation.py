"""Public API of the activation functions: signatures, in-place mode, implicit dim, errors."""

import inspect

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from reference import torch


def test_signatures_follow_pytorch():
    def names(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()][1:]

    assert names(F.relu) == [("inplace", False)]
    assert names(F.leaky_relu) == [("negative_slope", 0.01), ("inplace", False)]
    assert names(F.softmax) == [("dim", None), ("dtype", None)]
    assert names(F.log_softmax) == [("dim", None), ("dtype", None)]


@pytest.mark.parametrize("fn", [F.relu, lambda x, inplace: F.leaky_relu(x, 0.1, inplace)])
def test_inplace_overwrites_input_outside_a_graph(fn):
    x = juanji.tensor([-1.0, 2.0])
    out = fn(x, inplace=True)
    assert out is x and x.tolist()[1] == 2.0 and x.tolist()[0] <= 0.0 and x.tolist()[0] > -1.0


def test_inplace_refuses_leaf_that_requires_grad():
    x = juanji.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"relu: inplace=True on a leaf tensor that requires"):
        F.relu(x, inplace=True)


def test_inplace_inside_a_graph_keeps_gradients_right():
    x = juanji.tensor([-1.0, 2.0], requires_grad=True)
    hidden = x * 3
    out = F.relu(hidden, inplace=True)
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0]


def test_inplace_under_no_grad_writes_into_the_tensor():
    x = juanji.tensor([-1.0, 2.0], requires_grad=True)
    with juanji.no_grad():
        out = F.relu(x, inplace=True)
    assert out is x and x.detach().tolist() == [0.0, 2.0]


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((2, 5), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
def test_softmax_implicit_dim_follows_pytorch_with_a_warning(shape, dim):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with pytest.warns(UserWarning, match=rf"Implicit dimension choice for softmax .* dim={dim}"):
        ours = F.softmax(juanji.tensor(x))
    with pytest.warns(UserWarning):
        theirs = torch.nn.functional.softmax(torch.from_numpy(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match=r"log_softmax"):
        F.log_softmax(juanji.tensor(x))


def test_softmax_dtype_argument_casts_first():
    out = F.softmax(juanji.tensor([[1, 2, 3]]), dim=1, dtype=juanji.float64)
    assert out.dtype == juanji.float64
    assert out.sum().item() == pytest.approx(1.0)


def test_errors_name_the_function():
    with pytest.raises(TypeError, match=r"relu: input must be a Tensor, got list"):
        F.relu([1.0])
    with pytest.raises(TypeError, match=r"softmax: input must be a floating-point tensor"):
        F.softmax(juanji.tensor([1, 2]), dim=0)
    with pytest.raises(TypeError, match=r"leaky_relu: input must be a floating-point tensor"):
        F.leaky_relu(juanji.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"leaky_relu: negative_slope must be a number"):
        F.leaky_relu(juanji.zeros(2), "0.1")
    with pytest.raises(IndexError, match=r"Dimension out of range"):
        F.log_softmax(juanji.zeros(2, 3), dim=2)


def test_integer_input_to_sigmoid_and_tanh_gives_float():
    assert F.sigmoid(juanji.tensor([0])).dtype == juanji.float32
    assert F.tanh(juanji.tensor([0])).dtype == juanji.float32
    assert F.relu(juanji.tensor([-1, 2])).tolist() == [0, 2]


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "elu", "silu", "leaky_relu"])
def test_inplace_activation_inside_a_graph_writes_its_input_as_pytorch(name):
    # A module that keeps a conv's output and then applies ReLU(inplace=True) sees the ReLU'd
    # values in PyTorch (neural-style feature extractors rely on it); the gradient is PyTorch's.
    x0 = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib, F_ in ((juanji, F), (torch, torch.nn.functional)):
        x = lib.tensor(x0, requires_grad=True)
        h = x * 2.0
        kept = h  # the same tensor object, as a forward hook or a list would keep it
        out = getattr(F_, name)(h, inplace=True)
        assert out is h
        (out * out).sum().backward()
        results.append((kept.detach().numpy().copy(), x.grad.numpy().copy()))
    (j_kept, j_grad), (t_kept, t_grad) = results
    np.testing.assert_allclose(j_kept, t_kept, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(j_grad, t_grad, rtol=1e-5, atol=1e-6)
