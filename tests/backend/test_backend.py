"""backend: array library, BLAS thread control, the small-op thread rule, the memory budget."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import backend
from juanji.backend import blas, tasks


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
    backend.set_num_threads(2)
    blas_count = blas.blas_threads
    try:
        with backend.op_threads(backend.TASK_MIN_MACS, splits=True) as tasks:
            assert tasks == 2 and blas_count() in (1, None)
        with backend.op_threads(1, splits=True) as tasks:
            assert tasks == 1 and blas_count() in (1, None)
        with backend.op_threads(1) as tasks:  # a small GEMM: one BLAS thread
            assert tasks == 1 and blas_count() in (1, None)
        with backend.op_threads(backend.SMALL_OP_MACS) as tasks:  # a big GEMM: BLAS threads
            assert tasks == 1 and blas_count() in (2, None)
        assert backend.get_num_threads() == 2 and blas_count() in (2, None)
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


class _CountingPool:
    """A thread pool that counts the tasks handed to its workers."""

    def __init__(self) -> None:
        self.submitted = 0
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="juanji-test")

    def submit(self, fn):
        self.submitted += 1
        return self._pool.submit(fn)

    def shutdown(self, wait=True):
        self._pool.shutdown(wait=wait)


@pytest.mark.parametrize("threads", [2, 3])
def test_convolution_gives_the_same_numbers_with_any_thread_count(threads, monkeypatch):
    # A test-sized conv (44 k multiply-adds) is far under the size at which an op splits into
    # tasks (TASK_MIN_MACS): lower that threshold so the split path really runs, and count the
    # tasks the pool's workers received.
    monkeypatch.setattr(tasks, "TASK_MIN_MACS", 0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    results, submitted = [], []
    before = backend.get_num_threads()
    try:
        for count in (1, threads):
            backend.set_num_threads(count)
            pool = _CountingPool()
            monkeypatch.setattr(tasks, "_pool", (64, pool))
            X, W = juanji.tensor(x, requires_grad=True), juanji.tensor(w, requires_grad=True)
            with backend.memory_budget(2000):  # several slabs, so that tasks have work to share
                y = F.conv2d(X, W, padding=1)
                (y * y).sum().backward()
            pool.shutdown()
            submitted.append(pool.submitted)
            results.append((y.detach().numpy(), X.grad.numpy(), W.grad.numpy()))
    finally:
        backend.set_num_threads(before)
    assert submitted[0] == 0, "one thread: everything runs in the caller"
    assert submitted[1] >= threads - 1, f"{threads} threads: the work was never split"
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


def test_strided_views_and_scatter_add_use_the_array_library_of_their_input(xp):
    x = xp.arange(12.0).reshape(3, 4)
    itemsize = x.dtype.itemsize
    view = backend.as_strided(x, shape=(3, 2, 2), strides=(4 * itemsize, itemsize, itemsize))
    assert backend.xp_of(view) is xp
    expected = [[[0, 1], [1, 2]], [[4, 5], [5, 6]], [[8, 9], [9, 10]]]
    np.testing.assert_array_equal(backend.as_numpy(view), expected)
    windows = backend.sliding_window_view(x, 3, axis=1)  # (3, 2, 3)
    assert backend.xp_of(windows) is xp
    np.testing.assert_array_equal(backend.as_numpy(windows)[1, 1], [5, 6, 7])
    target = xp.zeros(3)
    backend.scatter_add(target, xp.asarray([0, 2, 0]), xp.asarray([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(backend.as_numpy(target), [4.0, 0.0, 2.0])  # repeats add up


def test_the_package_re_exports_what_the_rest_of_juanji_imports():
    from juanji.backend import array, memory  # noqa: PLC0415 - the split under test

    assert backend.xp_of is array.xp_of and backend.run_tasks is tasks.run_tasks
    assert backend.memory_budget is memory.memory_budget
    assert backend.transposed is blas.transposed
