"""gradcheck catches wrong gradients, refuses float32, and both modes work."""

import numpy as np
import pytest

import juanji
from juanji.autograd.function import Function
from juanji.testing import GradcheckError, assert_close, gradcheck


class WrongSquare(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * x  # should be 2x


@pytest.mark.parametrize("mode", ["full", "random"])
def test_gradcheck_catches_a_wrong_backward(mode):
    x = juanji.randn(3, dtype=juanji.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="mismatch"):
        gradcheck(lambda t: juanji.Tensor._apply(WrongSquare, t), (x,), mode=mode)
    assert not gradcheck(
        lambda t: juanji.Tensor._apply(WrongSquare, t), (x,), mode=mode, raise_exception=False
    )


@pytest.mark.parametrize("mode", ["full", "random"])
def test_gradcheck_passes_a_right_backward_with_many_outputs(mode):
    a = juanji.randn(2, 3, dtype=juanji.float64, requires_grad=True)
    b = juanji.randn(3, dtype=juanji.float64, requires_grad=True)
    assert gradcheck(lambda x, y: (x * y, (x + y).sum(0)), (a, b), mode=mode)


def test_gradcheck_refuses_float32():
    x = juanji.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, (x,))


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="no input has requires_grad"):
        gradcheck(lambda t: t * 2, (juanji.randn(3, dtype=juanji.float64),))


def test_gradcheck_perturbs_a_private_copy_of_broadcast_views():
    base = juanji.tensor(np.ones(3))
    view = juanji.Tensor(np.broadcast_to(base._data, (2, 3)), requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), (view,))


def test_assert_close_uses_dtype_tolerances():
    assert_close(juanji.ones(2), juanji.ones(2) + 1e-6)
    with pytest.raises(AssertionError):
        assert_close(
            juanji.ones(2, dtype=juanji.float64), juanji.ones(2, dtype=juanji.float64) + 1e-6
        )
