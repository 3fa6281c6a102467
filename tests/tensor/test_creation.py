"""Factories: shapes, dtypes, seeding, argument forms."""

import numpy as np
import pytest

import juanji


def test_size_argument_forms():
    for make in (juanji.zeros, juanji.ones, juanji.empty, juanji.rand, juanji.randn):
        assert make(2, 3).shape == make((2, 3)).shape == make([2, 3]).shape == (2, 3)
        assert make(2, 3).dtype == juanji.float32
        assert make(2, dtype=juanji.float64).dtype == juanji.float64
    with pytest.raises(TypeError, match="sizes must be ints"):
        juanji.zeros(2.5)


def test_value_factories():
    assert juanji.full((2,), 7).dtype == juanji.int64
    assert juanji.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert juanji.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert juanji.arange(0.0, 1.0, 0.5).dtype == juanji.float32
    assert juanji.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert juanji.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    x = juanji.ones(2, 3, dtype=juanji.float64)
    assert juanji.zeros_like(x).dtype == juanji.float64 and juanji.ones_like(x).shape == (2, 3)
    assert juanji.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        juanji.arange(0, 3, 0)


def test_manual_seed_reproduces_every_random_factory():
    def draw():
        return [
            juanji.rand(3).tolist(),
            juanji.randn(2).tolist(),
            juanji.randint(0, 10, (4,)).tolist(),
            juanji.randperm(5).tolist(),
        ]

    juanji.manual_seed(42)
    first = draw()
    juanji.manual_seed(42)
    assert draw() == first
    g = juanji.Generator().manual_seed(1)
    a = juanji.randn(3, generator=g)
    g.manual_seed(1)
    assert juanji.randn(3, generator=g).equal(a)


def test_randint_forms_and_errors():
    x = juanji.randint(5, (100,))
    assert x.dtype == juanji.int64 and x.min().item() >= 0 and x.max().item() < 5
    with pytest.raises(RuntimeError, match="high"):
        juanji.randint(3, 3, (2,))


def test_tensor_rejects_non_numbers():
    with pytest.raises(TypeError, match="expected numbers"):
        juanji.tensor(["a", "b"])
    with pytest.raises(ValueError, match="could not make a tensor"):
        juanji.tensor([[1, 2], [3]])


def test_from_numpy_rejects_unsupported():
    with pytest.raises(TypeError, match="from_numpy"):
        juanji.from_numpy([1, 2])
    with pytest.raises(TypeError, match="no dtype"):
        juanji.from_numpy(np.zeros(2, dtype=np.complex64))


def test_default_dtype_switch():
    juanji.set_default_dtype(juanji.float64)
    try:
        assert juanji.tensor([1.0]).dtype == juanji.float64
        assert juanji.zeros(1).dtype == juanji.float64
    finally:
        juanji.set_default_dtype(juanji.float32)
    with pytest.raises(TypeError, match="float32 or float64"):
        juanji.set_default_dtype(juanji.int64)


def test_python_floats_with_a_float64_dtype_keep_their_double_precision():
    # tensor([0.1], dtype=float64) went through float32 first: 0.10000000149011612.
    import torch

    for data in ([0.1, 1 / 3], 0.1, [[2.0**-30 + 1.0]]):
        ours = juanji.tensor(data, dtype=juanji.float64).numpy()
        theirs = torch.tensor(data, dtype=torch.float64).numpy()
        np.testing.assert_array_equal(ours, theirs)
    assert juanji.tensor([0.1]).dtype == juanji.float32  # the default dtype without one
