"""``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook`` vs PyTorch."""

import warnings

import numpy as np
import pytest

import juanji
from reference import torch


def _run(library, rng_seed, inputs_require_grad=True, replace=None, pre_replace=None):
    rng = np.random.default_rng(rng_seed)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    if library is torch:
        layer = torch.nn.Sequential(torch.nn.Linear(3, 2).double(), torch.nn.Tanh())
    else:
        layer = juanji.nn.Sequential(juanji.nn.Linear(3, 2, dtype=juanji.float64), juanji.nn.Tanh())
    with torch.no_grad() if library is torch else juanji.no_grad():
        layer[0].weight.copy_(library.tensor(w))
        layer[0].bias.zero_()
    seen = []

    def hook(module, grad_input, grad_output):
        seen.append(
            (
                [None if g is None else g.detach().numpy().copy() for g in grad_input],
                [g.detach().numpy().copy() for g in grad_output],
            )
        )
        return replace(grad_input) if replace else None

    handle = layer[0].register_full_backward_hook(hook)
    if pre_replace:
        layer[1].register_full_backward_pre_hook(
            lambda module, grad_output: pre_replace(grad_output)
        )
    x = library.tensor(x, requires_grad=inputs_require_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "no inputs require gradients"
        (layer(x) ** 2).sum().backward()
    handle.remove()
    (layer(x) ** 2).sum().backward()  # removed: no second call
    grads = [None if x.grad is None else x.grad.numpy(), layer[0].weight.grad.numpy()]
    return seen, grads


def _same(ours, theirs):
    (seen, grads), (t_seen, t_grads) = ours, theirs
    assert len(seen) == len(t_seen) == 1
    for got, want in zip(
        [*seen[0][0], *seen[0][1], *grads], [*t_seen[0][0], *t_seen[0][1], *t_grads], strict=True
    ):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("inputs_require_grad", [True, False])
def test_full_backward_hook_sees_torch_s_gradients(inputs_require_grad):
    _same(_run(juanji, 0, inputs_require_grad), _run(torch, 0, inputs_require_grad))


def test_full_backward_hook_can_replace_grad_input():
    def double(grad_input):
        return tuple(None if g is None else g * 2 for g in grad_input)

    _same(_run(juanji, 1, replace=double), _run(torch, 1, replace=double))


def test_full_backward_pre_hook_can_replace_grad_output():
    def halve(grad_output):
        return tuple(g / 2 for g in grad_output)

    _same(_run(juanji, 2, pre_replace=halve), _run(torch, 2, pre_replace=halve))


def test_backward_hooks_do_nothing_under_no_grad():
    layer = juanji.nn.Linear(3, 2)
    layer.register_full_backward_hook(lambda *args: pytest.fail("no backward under no_grad"))
    with juanji.no_grad():
        out = layer(juanji.ones(1, 3))
    assert not out.requires_grad
