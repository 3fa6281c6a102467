"""The backward order on graphs where one node is reached by a short and a long path."""

import numpy as np
from tests.reference import torch

import juanji


def _diamonds(lib, x):
    y = x * 2
    a = y + y * 3  # the short path (y) is listed before the long one (y * 3)
    b = (a * 3).exp() * 0.01 + a
    return (b + b.tanh() + (b * b).sum()).sum()


def test_short_path_listed_first_gets_every_gradient():
    # Hand: y = 2x, a = y + 3y = 8x, d(sum a)/dx = 8.
    x = juanji.ones(3, requires_grad=True)
    y = x * 2
    (y + y * 3).sum().backward()
    assert x.grad.tolist() == [8.0, 8.0, 8.0]


def test_nested_diamonds_match_torch():
    values = np.linspace(-0.5, 0.5, 4)
    grads = []
    for lib in (juanji, torch):
        x = lib.tensor(values, requires_grad=True)
        _diamonds(lib, x).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-10)
