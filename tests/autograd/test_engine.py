"""The backward engine: accumulation, fan-out, diamonds, graph release, grad modes, deep chains."""

import numpy as np
import pytest

import juanji
from juanji.autograd.engine import sum_to_shape


def test_gradients_accumulate_across_backward_calls():
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_fan_out_sums_both_paths():
    x = juanji.tensor(2.0, requires_grad=True)
    y = x * x + x * 3  # dy/dx = 2x + 3
    y.backward()
    assert x.grad.item() == 7.0


def test_diamond_graph_calls_each_node_once():
    x = juanji.tensor([1.0, -2.0, 3.0], requires_grad=True)
    a = x.exp()
    b = a * 2
    c = a * 3
    (b + c).sum().backward()  # d/dx 5 e^x
    np.testing.assert_allclose(x.grad.numpy(), 5 * np.exp([1.0, -2.0, 3.0]), rtol=1e-6)


def test_deep_chain_has_no_recursion_limit():
    x = juanji.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1e-4
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = juanji.tensor([1.0], requires_grad=True)
    with juanji.no_grad():
        y = x * 2
        with juanji.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert juanji.is_grad_enabled()


def test_no_grad_as_decorator_and_set_grad_enabled():
    @juanji.no_grad()
    def f(t):
        return t * 2

    x = juanji.tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad
    juanji.set_grad_enabled(False)
    assert not juanji.is_grad_enabled()
    juanji.set_grad_enabled(True)
    with juanji.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert juanji.is_grad_enabled()


def test_non_leaf_grad_is_none_unless_retained():
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    kept = x * 3
    kept.retain_grad()
    (h.sum() + (kept * kept).sum()).backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad.numpy(), [6.0, 12.0])


def test_backward_needs_scalar_or_gradient():
    x = juanji.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(juanji.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\)"):
        (x * 2).backward(juanji.tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        juanji.tensor([1.0]).sum().backward()


def test_gradient_has_input_dtype_and_own_memory():
    x = juanji.tensor([1.0, 2.0], dtype=juanji.float32, requires_grad=True)
    y = juanji.tensor([1.0, 2.0], dtype=juanji.float32, requires_grad=True)
    (x + y).sum().backward()  # Add hands one array to both inputs
    assert x.grad.dtype == juanji.float32
    x.grad._data[0] = 100.0
    assert y.grad._data[0] == 1.0


def test_broadcast_gradient_is_summed_to_input_shape():
    x = juanji.ones(3, 1, requires_grad=True)
    y = juanji.ones(1, 4, requires_grad=True)
    (x * y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(y.grad.numpy(), np.full((1, 4), 6.0))


def test_sum_to_shape_handles_leading_and_stretched_axes():
    g = np.ones((2, 3, 4))
    assert sum_to_shape(g, (3, 1)).tolist() == [[8.0]] * 3
    assert sum_to_shape(g, (4,)).tolist() == [6.0] * 4
    assert sum_to_shape(g, ()).item() == 24.0


def test_multi_output_node_gets_zero_for_unused_output():
    x = juanji.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1], [1, 0]])
    assert not indices.requires_grad


def test_only_inputs_that_require_grad_get_one():
    a = juanji.tensor([1.0, 2.0], requires_grad=True)
    b = juanji.tensor([3.0, 4.0])
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_grad_fn_names_like_pytorch():
    x = juanji.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert "MulBackward0" in repr(y)
