"""Every registered conv algorithm on the cases it was written for, forward and every gradient.

``test_conv.py`` draws random small configurations (most of which a specialised algorithm such
as ``winograd`` or ``numba_depthwise`` does not apply to); the cases below are the shapes each
specialised algorithm claims, with its edge cases (asymmetric padding, dilation, channel
multipliers, 1-d, batch-last inputs and gradients), checked against PyTorch in float32 and
float64 and by float64 gradcheck. A case an algorithm does not apply to is skipped.

With Numba missing, or ``JUANJI_NUMBA=0`` (CI's second pass), the compiled algorithms do not
apply and their cases are skipped; ``test_compiled_off_means_numpy_only`` checks that.
"""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji._ops import compiled
from juanji._ops.conv import registry
from juanji.testing import gradcheck
from reference import compare_op, forced, torch

TF = torch.nn.functional
CONV = {1: (F.conv1d, TF.conv1d), 2: (F.conv2d, TF.conv2d)}
ALGORITHMS = pytest.mark.parametrize("algorithm", list(registry.ALGORITHMS))

# (name, S, N, C_in, C_out, groups, size, kernel, conv kwargs)
CASES = [
    ("dw 3x3 p1", 2, 3, 4, 4, 4, (7, 6), 3, {"padding": 1}),
    ("dw 3x3 multiplier 2", 2, 2, 3, 6, 3, (6, 6), 3, {"padding": 1}),
    ("dw 3x3 s2 p1", 2, 2, 4, 4, 4, (9, 8), 3, {"stride": 2, "padding": 1}),
    ("dw 5x5 dilated", 2, 2, 2, 2, 2, (9, 9), 5, {"padding": 2, "dilation": 2}),
    ("dw pairs, s(1,2)", 2, 2, 3, 3, 3, (6, 7), (3, 2), {"stride": (1, 2), "padding": 1}),
    ("dw same, no bias", 2, 1, 2, 4, 2, (5, 5), 3, {"padding": "same", "bias": False}),
    ("dw 1d", 1, 2, 3, 3, 3, (9,), 3, {"padding": 1, "stride": 2}),
    ("one input channel", 2, 4, 1, 3, 1, (8, 8), 5, {"padding": 2}),
    ("3x3 dense p1", 2, 2, 5, 4, 1, (7, 9), 3, {"padding": 1}),
    ("3x3 dense valid", 2, 3, 3, 6, 1, (6, 6), 3, {}),
    ("3x3 dense pairs", 2, 2, 4, 3, 1, (5, 8), 3, {"padding": ((2, 0), (0, 1))}),
    ("3x3 dense p2, partial tiles", 2, 2, 3, 4, 1, (13, 10), 3, {"padding": 2}),
    ("3x3 grouped", 2, 2, 4, 6, 2, (6, 7), 3, {"padding": 1}),
    ("1x1", 2, 3, 6, 5, 1, (5, 4), 1, {}),
    ("1x1 stride 2", 2, 2, 4, 6, 1, (7, 6), 1, {"stride": 2}),
    ("1x1 grouped", 2, 2, 6, 4, 2, (3, 5), 1, {}),
    ("1x1 1d", 1, 3, 4, 2, 1, (7,), 1, {}),
]
IDS = [case[0] for case in CASES]


def _arrays(case, dtype, seed=0):
    _, S, N, C_in, C_out, groups, size, kernel, kwargs = case
    kernel = (kernel,) * S if isinstance(kernel, int) else kernel
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C_in) + size).astype(dtype)
    w = rng.standard_normal((C_out, C_in // groups) + kernel).astype(dtype)
    b = rng.standard_normal(C_out).astype(dtype) if kwargs.get("bias", True) else None
    conv_kwargs = {k: v for k, v in kwargs.items() if k != "bias"}
    return x, w, b, dict(conv_kwargs, groups=groups)


def _torch_kwargs(kwargs, S):
    padding = kwargs.get("padding", 0)
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):  # pairs: pad explicitly
        return dict(kwargs, padding=0), [p for pair in reversed(padding) for p in pair]
    return kwargs, None


def _pair(case, dtype):
    x, w, b, kwargs = _arrays(case, dtype)
    S = case[1]
    t_kwargs, explicit = _torch_kwargs(kwargs, S)

    def ours(x, w, b):
        return CONV[S][0](x, w, b, **kwargs)

    def theirs(x, w, b):
        return CONV[S][1](TF.pad(x, explicit) if explicit else x, w, b, **t_kwargs)

    return ours, theirs, [x, w, b]


@ALGORITHMS
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_algorithm_matches_torch(algorithm, case, dtype):
    ours, theirs, inputs = _pair(case, dtype)
    with forced(algorithm):
        compare_op(ours, theirs, inputs)


@ALGORITHMS
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_algorithm_with_batch_last_input_and_gradient(algorithm, case):
    # After a gemm conv, activations and their gradients are (C, *sizes, N) in memory; every
    # algorithm takes them in that layout (and NCHW), and gives torch's numbers. Here x is a
    # batch-last view, and a gemm 1x1 conv after the algorithm's hands it a batch-last
    # grad_output.
    ours, theirs, (x, w, b) = _pair(case, np.float64)
    x_view = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)), -1, 0)
    assert x_view.shape == x.shape and (x.shape[0] == 1 or not x_view.flags.c_contiguous)
    S, C_out = case[1], case[4]
    w2 = np.random.default_rng(9).standard_normal((3, C_out) + (1,) * S)

    def ours_then_gemm(x, w, b, w2):
        y = ours(x, w, b)
        with juanji.backends.conv.use("gemm"):
            return CONV[S][0](y, w2)

    def theirs_then_conv(x, w, b, w2):
        return CONV[S][1](theirs(x, w, b), w2)

    with forced(algorithm):
        compare_op(ours_then_gemm, theirs_then_conv, [x_view, w, b, w2])


@ALGORITHMS
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_algorithm_gradcheck(algorithm, case):
    x, w, b, kwargs = _arrays(case, np.float64, seed=1)
    S = case[1]
    tensors = [juanji.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]

    def fn(*args):
        return CONV[S][0](args[0], args[1], args[2] if len(args) > 2 else None, **kwargs)

    with forced(algorithm):
        assert gradcheck(fn, tuple(tensors), mode="random", seed=0)


@ALGORITHMS
@pytest.mark.parametrize("which", [[0], [1], [2], [0, 2], [1, 2]], ids=str)
def test_algorithm_with_gradients_for_a_subset_of_inputs(algorithm, which):
    # The algorithm saves only what the needed gradients use (Winograd: V for grad_weight, the
    # filters for grad_input) and returns None for the others.
    ours, theirs, inputs = _pair(CASES[IDS.index("3x3 dense p2, partial tiles")], np.float64)
    with forced(algorithm):
        compare_op(ours, theirs, inputs, grads=which)


def test_compiled_off_means_numpy_only(monkeypatch):
    # JUANJI_NUMBA=0 (or no Numba): no compiled algorithm applies, auto falls back to NumPy.
    monkeypatch.setitem(compiled._state, "enabled", False)
    geometry = registry.Geometry(2, 4, 4, 4, (8, 8), (3, 3), (1, 1), ((1, 1),) * 2, (1, 1), 4)
    assert not registry.ALGORITHMS["numba_depthwise"].applies(geometry)
    assert registry.choose(geometry).name != "numba_depthwise"
    x, w = juanji.randn(2, 4, 8, 8), juanji.randn(4, 1, 3, 3)
    with juanji.backends.conv.use("numba_depthwise"), pytest.raises(ValueError, match="apply"):
        F.conv2d(x, w, padding=1, groups=4)


def test_compiled_enabled_follows_the_environment(monkeypatch):
    monkeypatch.setitem(compiled._state, "enabled", None)
    monkeypatch.setenv("JUANJI_NUMBA", "0")
    assert compiled.enabled() is False
    monkeypatch.setitem(compiled._state, "enabled", None)
    monkeypatch.setenv("JUANJI_NUMBA", "1")
    assert compiled.enabled() is compiled._numba_importable()


def test_backends_compiled_is_the_python_setting(monkeypatch):
    monkeypatch.setitem(compiled._state, "enabled", None)
    monkeypatch.setenv("JUANJI_NUMBA", "0")  # the environment only gives the default
    setting = juanji.backends.compiled
    assert setting.enabled is False
    if setting.is_available():
        setting.enabled = True
        assert compiled.enabled() is True
        with setting.flags(enabled=False):
            assert compiled.enabled() is False
        assert setting.enabled is True
    else:
        with pytest.raises(ValueError, match="juanji\\[fast\\]"):
            setting.enabled = True
    setting.enabled = None
    assert setting.enabled is False and "enabled=False" in repr(setting)


@pytest.mark.parametrize("threads", [1, 2])
def test_auto_uses_the_default_table(monkeypatch, threads):
    monkeypatch.setattr(registry.selection, "get_num_threads", lambda: threads)
    monkeypatch.setitem(registry._setting, "precision", "high")  # Winograd F(4x4) allowed

    def geometry(C_in, C_out, groups, kernel, stride=(1, 1), pads=((1, 1), (1, 1)), size=8):
        return registry.Geometry(
            2, C_in, C_out, groups, (size, size), kernel, stride, pads, (1, 1), 4
        )

    numba = compiled.enabled()
    assert registry.choose(geometry(8, 8, 8, (3, 3))).name == (
        "numba_depthwise" if numba else "gemm"
    )
    assert registry.choose(geometry(8, 4, 1, (1, 1), pads=((0, 0), (0, 0)))).name == "1x1"
    wide = "winograd4" if numba else "gemm"
    small = wide if threads == 1 else "gemm"  # maps under 16x16 keep F(4x4) on 1 thread only
    assert registry.choose(geometry(32, 32, 1, (3, 3), size=16)).name == wide
    assert registry.choose(geometry(64, 64, 1, (3, 3), size=32)).name == wide
    assert registry.choose(geometry(32, 32, 1, (3, 3))).name == small
    assert registry.choose(geometry(32, 64, 1, (3, 3), size=7)).name == small
    assert registry.choose(geometry(16, 16, 1, (3, 3), size=8)).name == small  # 4x4 tiles fit
    assert registry.choose(geometry(16, 32, 1, (3, 3), size=14)).name == "gemm"  # they do not
    assert registry.choose(geometry(256, 256, 1, (3, 3), size=4)).name == "gemm"  # too small
    assert registry.choose(geometry(4, 32, 1, (3, 3))).name == "gemm"  # too narrow
    assert registry.choose(geometry(32, 32, 1, (3, 3), stride=(2, 2))).name == "gemm"


def test_benchmark_mode_times_once_per_key_and_keeps_the_winner(monkeypatch):
    settings = juanji.backends.conv
    timed = []
    real = registry.selection._seconds

    def counting(algorithm, *args):
        timed.append(algorithm.name)
        return real(algorithm, *args)

    monkeypatch.setattr(registry.selection, "_seconds", counting)
    monkeypatch.setitem(registry._setting, "precision", "high")  # every algorithm competes
    settings.reset_benchmark()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    assert settings.benchmark is False
    settings.benchmark = True
    try:
        for _ in range(3):  # the same key: timed on the first call only
            compare_op(
                lambda x, w: F.conv2d(x, w, padding=1),
                lambda x, w: TF.conv2d(x, w, padding=1),
                [x, w],
            )
        results = settings.benchmark_results()
    finally:
        settings.benchmark = False
        settings.reset_benchmark()
    applicable = {
        "gemm",
        "winograd",
        "winograd4",
    }  # reference is not auto; 1x1 and depthwise do not apply
    assert len(results) == 1 and sorted(timed) == sorted(applicable)
    ((key, (winner, times)),) = results.items()
    assert set(times) == applicable and winner == min(times, key=times.get)
    assert key[2][:2] == (True, True)  # which inputs needed a gradient is part of the key
    with pytest.raises(TypeError, match="benchmark: expected a bool"):
        settings.benchmark = "yes"


# F(4x4, 3x3) scales by up to 5 (B^T) and 8 (A^T): benchmarks/README.md measured its error at
# 4-13e-6 of the output scale for C_in 16-256 (gemm and F(2x2): 2-8e-7), so its bound is 3e-5,
# twice the largest measured value and still far below what a wrong tap or tile would give.
@pytest.mark.parametrize(
    "algorithm, bound", [("winograd", 3e-6), ("gemm", 3e-6), ("winograd4", 3e-5)]
)
def test_float32_error_against_float64_stays_near_rounding(algorithm, bound):
    # benchmarks/README.md reports the same measure on 3x3 layers of 16, 64 and 256 channels:
    # the largest error over the largest value, for the output and both gradients.
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 64, 8, 8)), 0.1 * rng.standard_normal((64, 64, 3, 3))
    g = rng.standard_normal((2, 64, 8, 8))

    def run(dtype, name):
        X, W = (juanji.tensor(a.astype(dtype), requires_grad=True) for a in (x, w))
        with juanji.backends.conv.use(name):
            y = F.conv2d(X, W, padding=1)
            y.backward(juanji.tensor(g.astype(dtype)))
        return [a.astype(np.float64) for a in (y.detach().numpy(), X.grad.numpy(), W.grad.numpy())]

    exact = run(np.float64, "reference")
    for got, want in zip(run(np.float32, algorithm), exact, strict=True):
        assert np.abs(got - want).max() / np.abs(want).max() < bound


def test_gemm_saves_its_input_not_a_padded_copy_and_sees_inplace_writes():
    # Memory: gemm keeps x for backward (PyTorch's choice) instead of its padded batch-last
    # copy; so, as in PyTorch, writing into x before backward is caught, not silently ignored.

    x = juanji.randn(2, 3, 8, 8, requires_grad=True)
    w = juanji.randn(4, 3, 3, 3, requires_grad=True)
    with juanji.backends.conv.use("gemm"):
        h = x * 1.0
        y = F.conv2d(h, w, padding=1)
        saved = y.grad_fn.saved_tensors[0]
        assert np.shares_memory(saved, h.detach().numpy()) and saved.shape == tuple(h.shape)
        y.sum().backward()  # rebuilt padded copy: the gradient still matches PyTorch's
        tx, tw = (torch.from_numpy(t.detach().numpy()).requires_grad_() for t in (x, w))
        torch.nn.functional.conv2d(tx * 1.0, tw, padding=1).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)
        h2 = x * 1.0
        y2 = F.conv2d(h2, w, padding=1)
        h2.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y2.sum().backward()
    th = tx * 1.0
    ty = torch.nn.functional.conv2d(th, tw, padding=1)
    th.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()


def test_auto_keeps_exact_algorithms_at_the_highest_precision(monkeypatch):
    # PyTorch's default precision is "highest": auto then never trades accuracy for speed.
    wide = registry.Geometry(2, 64, 64, 1, (32, 32), (3, 3), (1, 1), ((1, 1),) * 2, (1, 1), 4)
    assert juanji.get_float32_matmul_precision() == "highest"
    assert registry.choose(wide).exact
    monkeypatch.setitem(registry._setting, "benchmark", True)
    registry.selection.reset()
    x, w = np.ones((4, 64, 32, 32), np.float32), np.ones((64, 64, 3, 3), np.float32)
    try:
        chosen = registry.choose(wide, lambda: ((x, w, None), (True, True, False)))
        ((winner, times),) = registry.selection.results().values()
        assert chosen.exact and winner == chosen.name and "winograd4" not in times
    finally:
        registry.selection.reset()


def test_precision_switch_behaves_as_pytorchs():
    try:
        for value in ("high", "medium", "highest"):
            juanji.set_float32_matmul_precision(value)
            torch.set_float32_matmul_precision(value)
            assert juanji.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        for module in (juanji, torch):
            with pytest.warns(UserWarning, match="has no effect"):
                module.set_float32_matmul_precision("low")
            assert module.get_float32_matmul_precision() == "highest"
            with pytest.raises(RuntimeError, match="expects a str"):
                module.set_float32_matmul_precision(3)
    finally:
        juanji.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision("highest")
