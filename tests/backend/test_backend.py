"""backend: BLAS thread control, the small-op thread rule, and the work-array memory budget."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import backend


def test_set_num_threads_round_trips_when_openblas_is_reachable():
    before = backend.get_num_threads()
    if before is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS juanji can reach")
    try:
        assert backend.set_num_threads(1) is True
        assert backend.get_num_threads() == 1
    finally:
        backend.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="set_num_threads: threads expected a positive int"):
        backend.set_num_threads(bad)


def test_gemm_threads_uses_one_thread_for_small_ops_and_restores():
    if backend.get_num_threads() is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS juanji can reach")
    before = backend.get_num_threads()
    try:
        backend.set_num_threads(2)
        with backend.gemm_threads(1):
            assert backend.get_num_threads() == 1
        assert backend.get_num_threads() == 2
        with backend.gemm_threads(backend.SMALL_OP_MACS):
            assert backend.get_num_threads() == 2
    finally:
        backend.set_num_threads(before)


def test_memory_budget_is_restored_after_the_block_and_after_an_error():
    default = backend.get_memory_budget()
    with backend.memory_budget(1234):
        assert backend.get_memory_budget() == 1234
    assert backend.get_memory_budget() == default
    with pytest.raises(KeyError), backend.memory_budget(99):
        raise KeyError
    assert backend.get_memory_budget() == default


@pytest.mark.parametrize("bad", [0, -5, 2.0, None, False])
def test_set_memory_budget_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="set_memory_budget: nbytes expected a positive int"):
        backend.set_memory_budget(bad)


def test_a_convolution_larger_than_the_budget_gives_the_same_numbers():
    # 16 images of 8x8 with a 3x3 kernel: col has 8 * 9 * 36 * 16 floats (166 kB); a 4 kB budget
    # splits it into many slabs of rows and samples.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    whole = F.conv2d(juanji.tensor(x), juanji.tensor(w)).numpy()
    with backend.memory_budget(4096):
        sliced = F.conv2d(juanji.tensor(x), juanji.tensor(w)).numpy()
    np.testing.assert_allclose(sliced, whole, rtol=1e-5, atol=1e-5)
