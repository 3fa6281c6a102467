"""juanji.autograd.grad and backward against torch.autograd's, and their errors."""

import numpy as np
import pytest

import juanji
from reference import torch


def test_grad_of_a_leaf_and_an_intermediate_equals_torchs_and_leaves_grad_alone():
    values = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for lib in (juanji, torch):
        x = lib.tensor(values, requires_grad=True)
        w = lib.tensor(values.T.copy(), requires_grad=True)
        h = (x @ w).tanh()
        loss = (h * h).sum() + x.sum()
        gx, gh = lib.autograd.grad(loss, [x, h], retain_graph=True)
        assert x.grad is None and w.grad is None
        (gw,) = lib.autograd.grad([loss, h.sum()], w)  # two outputs: their gradients add up
        results.append([g.detach().numpy() for g in (gx, gh, gw)])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_grad_outputs_unused_inputs_and_materialize():
    for lib in (juanji, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        unused = lib.tensor([5.0], requires_grad=True)
        y = x * 3
        (g,) = lib.autograd.grad(y, x, grad_outputs=lib.tensor([1.0, -1.0]), retain_graph=True)
        assert g.tolist() == [3.0, -3.0]
        with pytest.raises(RuntimeError, match="allow_unused=True"):
            lib.autograd.grad(y.sum(), [x, unused], retain_graph=True)
        kept = lib.autograd.grad(y.sum(), [x, unused], allow_unused=True, retain_graph=True)
        assert kept[1] is None
        zeros = lib.autograd.grad(y.sum(), [x, unused], materialize_grads=True)[1]
        assert zeros.tolist() == [0.0]


def test_grad_refuses_what_torch_refuses():
    for lib in (juanji, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
            lib.autograd.grad(x * 2, x)
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad((x * 2).sum(), lib.tensor([1.0]))


def test_backward_of_several_outputs_accumulates_as_torchs():
    grads = []
    for lib in (juanji, torch):
        x = lib.tensor([3.0, -1.0], requires_grad=True)
        lib.autograd.backward([(x * 2).sum(), x * x], [None, lib.tensor([1.0, 2.0])])
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [8.0, -2.0]
