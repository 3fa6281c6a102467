"""Integer arithmetic: division by zero and out-of-range Python ints, as PyTorch does them."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji

torch = pytest.importorskip("torch")

_INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]

_DIVISIONS = {
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "floor_divide": lambda a, b: a.floor_divide(b),
    "remainder": lambda a, b: a.remainder(b),
    "fmod": lambda a, b: a.fmod(b),
    "div floor": lambda a, b: a.div(b, rounding_mode="floor"),
    "div trunc": lambda a, b: a.div(b, rounding_mode="trunc"),
    "floor_divide_": lambda a, b: a.clone().floor_divide_(b),
    "remainder_": lambda a, b: a.clone().remainder_(b),
    "fmod_": lambda a, b: a.clone().fmod_(b),
    "div_ trunc": lambda a, b: a.clone().div_(b, rounding_mode="trunc"),
    "div_ floor": lambda a, b: a.clone().div_(b, rounding_mode="floor"),
}


def _both(array):
    return juanji.tensor(array), torch.tensor(array)


@pytest.mark.parametrize("name", list(_DIVISIONS))
@pytest.mark.parametrize("zero", ["scalar", "tensor"])
def test_integer_division_by_zero_raises_like_torch(name, zero):
    op = _DIVISIONS[name]
    a, a_torch = _both(np.array([1, 2, 3]))
    b, b_torch = (0, 0) if zero == "scalar" else _both(np.array([1, 0, 1]))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(a_torch, b_torch)
    with pytest.raises(RuntimeError, match="ZeroDivisionError") as raised:
        op(a, b)
    assert isinstance(raised.value, ZeroDivisionError)


def test_reversed_integer_division_by_zero_raises():
    with pytest.raises(ZeroDivisionError, match=r"floor_divide"):
        5 // juanji.tensor([1, 0])
    with pytest.raises(ZeroDivisionError, match=r"remainder"):
        5 % juanji.tensor([1, 0])


@pytest.mark.parametrize("name", list(_DIVISIONS))
def test_float_division_by_zero_gives_inf_and_nan_without_warning(name):
    op = _DIVISIONS[name]
    values = np.array([1.0, -2.0, 0.0, 3.5], np.float32)
    a, a_torch = _both(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = op(a, 0.0).numpy()
    np.testing.assert_array_equal(got, op(a_torch, 0.0).numpy())


@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=6),
    st.integers(-7, 7).filter(bool),
    st.sampled_from(list(_DIVISIONS)),
)
def test_integer_division_matches_torch(values, divisor, name):
    op = _DIVISIONS[name]
    a, a_torch = _both(np.array(values))
    got, expected = op(a, divisor), op(a_torch, divisor)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]


def test_division_hand_examples():
    a = juanji.tensor([7, -7])
    assert (a // 2).tolist() == [3, -4]
    assert (a % 3).tolist() == [1, 2]
    assert a.fmod(3).tolist() == [1, -1]
    assert a.div(2, rounding_mode="trunc").tolist() == [3, -3]


def test_div_rejects_an_unknown_rounding_mode():
    with pytest.raises(RuntimeError, match=r"div: rounding_mode must be None, 'trunc' or 'floor'"):
        juanji.tensor([1]).div(2, rounding_mode="round")


@given(
    st.sampled_from(_INT_DTYPES),
    st.lists(st.integers(0, 100), min_size=1, max_size=4),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from(["+", "-", "*", "r-"]),
)
def test_out_of_range_python_int_wraps_like_torch(dtype, values, scalar, op):
    ops = {
        "+": lambda t: t + scalar,
        "-": lambda t: t - scalar,
        "*": lambda t: t * scalar,
        "r-": lambda t: scalar - t,
    }
    a, a_torch = _both(np.array(values, dtype=dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ops[op](a)
    expected = ops[op](a_torch)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert got.dtype == getattr(juanji, dtype)


def test_uint8_plus_300_wraps_to_38():
    got = juanji.tensor(np.array([250], np.uint8)) + 300
    assert got.tolist() == [38] and got.dtype == juanji.uint8
    assert (juanji.tensor(np.array(250, np.uint8)) + 300).item() == 38


def test_python_int_beyond_64_bits_is_a_clear_error():
    with pytest.raises(OverflowError, match=r"add: the integer \d+ does not fit in 64 bits"):
        juanji.tensor([1]) + 2**70
    with pytest.raises(OverflowError, match=r"does not fit in 64 bits"):
        juanji.tensor(np.array([1], np.uint8)) * 2**70
