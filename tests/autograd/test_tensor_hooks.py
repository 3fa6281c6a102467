"""Tensor.register_hook against PyTorch: leaves and intermediates, replacing, removing."""

import pytest

import juanji
from reference import torch


def _run(lib):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 3
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    x.register_hook(lambda g: g + 1)
    removed = x.register_hook(lambda g: g * 100)
    removed.remove()
    (h * h).sum().backward(retain_graph=True)
    first = x.grad.tolist()
    handle.remove()
    x.grad = None
    (h * h).sum().backward()
    return seen, first, x.grad.tolist()


def test_hooks_see_and_replace_gradients_as_pytorchs():
    assert _run(juanji) == _run(torch)


def test_a_hook_needs_a_tensor_that_requires_grad():
    for lib in (juanji, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.tensor([1.0]).register_hook(lambda g: g)
