"""backend: BLAS thread control, the small-op thread rule, and the work-array memory budget."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import backend


def test_set_num_threads_round_trips():
    before = backend.get_num_threads()
    try:
        backend.set_num_threads(1)
        assert backend.get_num_threads() == 1
        backend.set_num_threads(3)
        assert backend.get_num_threads() == 3
    finally:
        backend.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="set_num_threads: threads expected a positive int"):
        backend.set_num_threads(bad)


def test_op_threads_splits_ops_into_tasks_on_single_threaded_blas_and_restores_it():
    before = backend.get_num_threads()
    reachable = backend.set_num_threads(2)
    blas = (lambda: backend._openblas_functions()[1]()) if reachable else (lambda: None)
    try:
        with backend.op_threads(backend.TASK_MIN_MACS, splits=True) as tasks:
            assert tasks == 2 and blas() in (1, None)
        with backend.op_threads(1, splits=True) as tasks:
            assert tasks == 1 and blas() in (1, None)
        with backend.op_threads(1) as tasks:  # a small GEMM: one BLAS thread
            assert tasks == 1 and blas() in (1, None)
        with backend.op_threads(backend.SMALL_OP_MACS) as tasks:  # a big GEMM: BLAS threads
            assert tasks == 1 and blas() in (2, None)
        assert backend.get_num_threads() == 2 and blas() in (2, None)
    finally:
        backend.set_num_threads(before)


def test_run_tasks_returns_results_in_order_and_raises_errors():
    before = backend.get_num_threads()
    backend.set_num_threads(3)
    try:
        assert backend.run_tasks([lambda i=i: i * i for i in range(5)]) == [0, 1, 4, 9, 16]
        with pytest.raises(ZeroDivisionError):
            backend.run_tasks([lambda: 1, lambda: 1 / 0])
    finally:
        backend.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_convolution_gives_the_same_numbers_with_any_thread_count(threads):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    results = []
    before = backend.get_num_threads()
    for count in (1, threads):
        backend.set_num_threads(count)
        X, W = juanji.tensor(x, requires_grad=True), juanji.tensor(w, requires_grad=True)
        with backend.memory_budget(2000):  # several slabs, so that tasks have work to share
            y = F.conv2d(X, W, padding=1)
            (y * y).sum().backward()
        results.append((y.detach().numpy(), X.grad.numpy(), W.grad.numpy()))
    backend.set_num_threads(before)
    for ours, single in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(ours, single, rtol=1e-5, atol=1e-4)


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_transposed_is_a_contiguous_copy_of_the_transpose(dtype):
    a = np.arange(35, dtype=dtype).reshape(5, 7)
    t = backend.transposed(a)
    assert t.flags.c_contiguous and not np.shares_memory(t, a) and t.dtype == a.dtype
    np.testing.assert_array_equal(t, a.T)
    strided = np.arange(70, dtype=dtype).reshape(5, 14)[:, ::2]  # not contiguous: NumPy's path
    np.testing.assert_array_equal(backend.transposed(strided), strided.T)
    assert backend.transposed(np.zeros((0, 3), dtype)).shape == (3, 0)
