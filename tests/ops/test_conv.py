"""ConvNd (through conv1d/2d/3d) vs PyTorch over hypothesis configurations; gradcheck; variants.

The torch side receives the padding either natively (int, tuple, 'valid', 'same' at stride 1)
or, for what PyTorch lacks (pairs, 'same_lower', strided 'same'), as an explicit
``torch.nn.functional.pad`` followed by a convolution without padding. The pads for the latter
are derived here from the definition, not taken from juanji.
"""

import math

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji._ops import compiled
from juanji._ops.conv import registry
from juanji.testing import gradcheck
from reference import compare_op, forced, torch

TF = torch.nn.functional
CONV = {1: (F.conv1d, TF.conv1d), 2: (F.conv2d, TF.conv2d), 3: (F.conv3d, TF.conv3d)}
KINDS = ("int", "tuple", "pairs", "valid", "same", "same_lower")
# Every torch comparison and gradcheck below runs once per registered algorithm.
ALGORITHMS = pytest.mark.parametrize("algorithm", list(registry.ALGORITHMS))


def _same_pairs(sizes, kernel, stride, dilation, lower):
    """Pads giving ceil(n / s) outputs, from the definition (independent of juanji)."""
    pairs = []
    for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        small, large = total // 2, total - total // 2
        pairs.append((large, small) if lower else (small, large))
    return tuple(pairs)


def _torch_conv(S, stride, dilation, groups, torch_padding, explicit_pairs):
    """A torch function (x, w, b) -> y for the given padding (native or explicit pairs)."""
    conv = CONV[S][1]

    def run(x, w, b):
        if explicit_pairs is not None:
            flat = [p for pair in reversed(explicit_pairs) for p in pair]  # last dim first
            x = TF.pad(x, flat)
            return conv(x, w, b, stride=stride, padding=0, dilation=dilation, groups=groups)
        return conv(x, w, b, stride=stride, padding=torch_padding, dilation=dilation, groups=groups)

    return run


@st.composite
def conv_configs(draw):
    S = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans())
    C_in = groups * (1 if depthwise else draw(st.integers(1, 2)))
    C_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(S))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(S))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(S))
    spread = 4 if S < 3 else 2
    sizes = tuple(
        draw(st.integers(d * (k - 1) + 1, d * (k - 1) + 1 + spread))
        for k, d in zip(kernel, dilation, strict=True)
    )
    kind = draw(st.sampled_from(KINDS))
    if kind == "int":
        padding = draw(st.integers(0, 2))
        pairs = ((padding, padding),) * S
    elif kind == "tuple":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(S))
        pairs = tuple((p, p) for p in padding)
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(S))
        pairs = padding
    elif kind == "valid":
        padding, pairs = "valid", ((0, 0),) * S
    else:
        padding = kind
        pairs = _same_pairs(sizes, kernel, stride, dilation, lower=kind == "same_lower")
    native = kind in ("int", "tuple", "valid") or (kind == "same" and set(stride) == {1})
    return {
        "S": S,
        "groups": groups,
        "C_in": C_in,
        "C_out": C_out,
        "kernel": kernel,
        "stride": stride,
        "dilation": dilation,
        "sizes": sizes,
        "padding": padding,
        "torch_padding": padding if native else None,
        "pairs": None if native else pairs,
        "batch": draw(st.sampled_from([None, 1, 2, 3])),
        "bias": draw(st.booleans()),
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "seed": draw(st.integers(0, 99)),
    }


def _arrays(cfg):
    rng = np.random.default_rng(cfg["seed"])
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    x = rng.standard_normal(lead + (cfg["C_in"],) + cfg["sizes"]).astype(cfg["dtype"])
    w_shape = (cfg["C_out"], cfg["C_in"] // cfg["groups"]) + cfg["kernel"]
    w = rng.standard_normal(w_shape).astype(cfg["dtype"])
    b = rng.standard_normal(cfg["C_out"]).astype(cfg["dtype"]) if cfg["bias"] else None
    return x, w, b


# winograd and winograd4 apply to 2-d 3x3 stride-1 ungrouped calls only, which these small
# random draws almost never make (hypothesis gives up filtering): their cases are in
# test_conv_algorithms.py.
# Without Numba (or with JUANJI_NUMBA=0) numba_depthwise applies to nothing: skipped.
@pytest.mark.parametrize(
    "algorithm",
    [
        pytest.param(
            a,
            marks=pytest.mark.skipif(
                a == "numba_depthwise" and not compiled.enabled(), reason="compiled kernels off"
            ),
        )
        for a in registry.ALGORITHMS
        if a not in ("winograd", "winograd4")
    ],
)
@settings(max_examples=60)
@given(cfg=conv_configs())
def test_conv_nd_matches_torch(algorithm, cfg):
    x, w, b = _arrays(cfg)
    S = cfg["S"]

    def ours(x, w, b):
        return CONV[S][0](
            x,
            w,
            b,
            stride=cfg["stride"],
            padding=cfg["padding"],
            dilation=cfg["dilation"],
            groups=cfg["groups"],
        )

    theirs = _torch_conv(
        S, cfg["stride"], cfg["dilation"], cfg["groups"], cfg["torch_padding"], cfg["pairs"]
    )
    with forced(algorithm, skip=lambda _: reject()):
        compare_op(ours, theirs, [x, w, b])


@ALGORITHMS
@pytest.mark.parametrize("which", [[0], [1], [2], [0, 2], [1, 2]], ids=str)
def test_conv2d_requires_grad_on_a_subset(algorithm, which):
    with forced(algorithm):
        _requires_grad_on_a_subset(which)


def _requires_grad_on_a_subset(which):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 6, 5)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 2)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    compare_op(
        lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
        lambda x, w, b: TF.conv2d(x, w, b, padding=1, groups=2),
        [x, w, b],
        grads=which,
    )
    X, W, B = (juanji.tensor(a, requires_grad=i in which) for i, a in enumerate((x, w, b)))
    F.conv2d(X, W, B, padding=1, groups=2).sum().backward()
    assert [t.grad is not None for t in (X, W, B)] == [i in which for i in range(3)]


@ALGORITHMS
def test_conv_preserves_float32(algorithm):
    with forced(algorithm):
        _preserves_float32()


def _preserves_float32():
    x = juanji.randn(2, 3, 6, 6, requires_grad=True)
    w = juanji.randn(4, 3, 3, 3, requires_grad=True)
    b = juanji.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b, stride=2, padding="same")
    y.sum().backward()
    assert y.dtype == juanji.float32
    assert {x.grad.dtype, w.grad.dtype, b.grad.dtype} == {juanji.float32}


@ALGORITHMS
@pytest.mark.parametrize("padding", [((1, 0), (2, 1)), 0], ids=["padded", "unpadded"])
def test_conv_non_contiguous_inputs_match_contiguous(algorithm, padding):
    with forced(algorithm):
        _non_contiguous_inputs_match_contiguous(padding)


def _non_contiguous_inputs_match_contiguous(padding):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 2, 3))
    x_t = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # strided view
    w_t = np.ascontiguousarray(w.transpose(3, 2, 1, 0)).transpose(3, 2, 1, 0)
    results = []
    for xa, wa in ((x, w), (x_t, w_t)):
        X, W = juanji.Tensor(xa, requires_grad=True), juanji.Tensor(wa, requires_grad=True)
        y = F.conv2d(X, W, padding=padding, stride=(2, 1))
        # Through a transpose, conv's backward receives a non-contiguous grad_output too.
        y_t = y.transpose(2, 3)
        cotangent = juanji.tensor(np.arange(y_t.numel(), dtype=np.float64).reshape(y_t.shape))
        (y_t * cotangent).sum().backward()
        results.append((y.numpy(force=True), X.grad.numpy(), W.grad.numpy()))
    assert not X._data.flags.c_contiguous and not W._data.flags.c_contiguous
    for ours, reference in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("budget", [1, 2000])  # one (row, sample) per slab; a few rows each
def test_conv_in_slabs_matches_torch(budget):
    # A small memory budget splits im2col into slabs of output rows and samples: the same
    # GEMMs on fewer columns, col rebuilt in backward.
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 6, 5))
    w = rng.standard_normal((6, 2, 3, 3))
    b = rng.standard_normal(6)
    with juanji.backend.memory_budget(budget):
        compare_op(
            lambda x, w, b: F.conv2d(x, w, b, padding=(1, 0), groups=2, stride=(1, 2)),
            lambda x, w, b: TF.conv2d(x, w, b, padding=(1, 0), groups=2, stride=(1, 2)),
            [x, w, b],
        )


@pytest.mark.parametrize(
    ("S", "kwargs"),
    [
        (1, {"stride": 2, "padding": 2, "dilation": 2}),
        (2, {"stride": (2, 1), "padding": ((1, 2), (0, 1)), "groups": 2}),
        (3, {"padding": 1, "dilation": (1, 2, 1)}),
    ],
)
@pytest.mark.parametrize("budget", [1, 300, 5000])
def test_conv_slabs_give_the_same_result(S, kwargs, budget):
    # Slabs hand BLAS narrower matrices (it may pick another kernel, or gemv for one column)
    # and group grad_W's column sums by slab: the results agree to float32 rounding.
    rng = np.random.default_rng(S)
    shape = (5, 4) + (7, 6, 5)[:S]
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((6, 4 // kwargs.get("groups", 1)) + (3,) * S).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    fn = CONV[S][0]
    results = []
    for limit in (2**30, budget):
        X, W, B = (juanji.tensor(a, requires_grad=True) for a in (x, w, b))
        with juanji.backend.memory_budget(limit):
            y = fn(X, W, B, **kwargs)
            (y * juanji.tensor(np.cos(np.arange(y.numel())).reshape(y.shape))).sum().backward()
        results.append((y.detach().numpy(), X.grad.numpy(), W.grad.numpy(), B.grad.numpy()))
    (y0, gx0, gw0, gb0), (y1, gx1, gw1, gb1) = results
    for ours, unsplit in zip((y1, gx1, gw1, gb1), (y0, gx0, gw0, gb0), strict=True):
        np.testing.assert_allclose(ours, unsplit, rtol=1e-5, atol=1e-5)


def test_conv_output_is_a_batch_last_view_that_chains():
    # The output is the transposed view of a (C_out, *out, N) array (see _ops/conv/gemm.py); the
    # next conv takes it as its batch-last input without a copy, and the results are still
    # torch's.
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3, 9, 9))
    w1, w2 = rng.standard_normal((5, 3, 3, 3)), rng.standard_normal((2, 5, 3, 3))
    y = F.conv2d(juanji.tensor(x), juanji.tensor(w1))
    assert y.shape == (4, 5, 7, 7) and y.numpy().transpose(1, 2, 3, 0).flags.c_contiguous
    compare_op(
        lambda x, w1, w2: F.conv2d(F.relu(F.conv2d(x, w1)), w2, padding=1),
        lambda x, w1, w2: TF.conv2d(TF.relu(TF.conv2d(x, w1)), w2, padding=1),
        [x, w1, w2],
    )


@ALGORITHMS
def test_conv_empty_batch(algorithm):
    x = juanji.zeros(0, 3, 5, 5, requires_grad=True)
    w = juanji.randn(2, 3, 3, 3, requires_grad=True)
    with forced(algorithm):
        y = F.conv2d(x, w, padding=1)
        assert y.shape == (0, 2, 5, 5)
        y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and not w.grad.numpy().any()


def test_conv_is_linear_in_weight():
    rng = np.random.default_rng(6)
    x = juanji.tensor(rng.standard_normal((2, 2, 5, 5)))
    w1, w2 = (juanji.tensor(rng.standard_normal((3, 2, 3, 3))) for _ in range(2))
    lhs = F.conv2d(x, w1 * 2.0 + w2 * -3.0, padding=1)
    rhs = F.conv2d(x, w1, padding=1) * 2.0 + F.conv2d(x, w2, padding=1) * -3.0
    np.testing.assert_allclose(lhs.numpy(), rhs.numpy(), rtol=1e-12, atol=1e-12)


def _f64(rng, *shape):
    return juanji.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize(
    ("S", "kwargs"),
    [
        (1, {"stride": 2, "padding": ((1, 0),), "dilation": 1, "groups": 1}),
        (2, {"stride": 1, "padding": "same_lower", "dilation": 1, "groups": 2}),
        (2, {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 1}),
    ],
)
@ALGORITHMS
def test_conv_gradcheck_full(algorithm, S, kwargs):
    rng = np.random.default_rng(7)
    x = _f64(rng, 1, 2, *(4,) * S)
    w = _f64(rng, 2, 2 // kwargs["groups"], *(2,) * S)
    b = _f64(rng, 2)
    with forced(algorithm):
        assert gradcheck(lambda x, w, b: CONV[S][0](x, w, b, **kwargs), (x, w, b), mode="full")


@pytest.mark.parametrize(
    ("S", "kwargs"),
    [
        (2, {"stride": 2, "padding": "same", "dilation": 1, "groups": 3}),
        (
            3,
            {
                "stride": (1, 2, 1),
                "padding": ((0, 1), 1, (2, 0)),
                "dilation": (2, 1, 1),
                "groups": 1,
            },
        ),
        (1, {"stride": 3, "padding": "valid", "dilation": 2, "groups": 6}),
    ],
)
@ALGORITHMS
def test_conv_gradcheck_random(algorithm, S, kwargs):
    with forced(algorithm):
        _gradcheck_random(S, kwargs)


def _gradcheck_random(S, kwargs):
    rng = np.random.default_rng(8)
    for seed in range(3):
        x = _f64(rng, 2, 6, *(7,) * S)
        w = _f64(rng, 6, 6 // kwargs["groups"], *(3,) * S)
        b = _f64(rng, 6)
        assert gradcheck(
            lambda x, w, b: CONV[S][0](x, w, b, **kwargs), (x, w, b), mode="random", seed=seed
        )


def test_reference_and_gemm_give_the_same_numbers_on_one_layer():
    # What a learner does: one Conv2d, run through both algorithms, forward and backward.
    juanji.manual_seed(0)
    layer = juanji.nn.Conv2d(3, 4, 3, stride=2, padding=1, groups=1).double()
    x = juanji.randn(2, 3, 9, 8, dtype=juanji.float64)
    results = []
    for name in ("gemm", "reference"):
        layer.zero_grad()
        with juanji.backends.conv.use(name):
            X = x.clone().requires_grad_()
            y = layer(X)
            (y * y).sum().backward()
        results.append((y.detach().numpy(), X.grad.numpy(), layer.weight.grad.numpy()))
    for gemm, ref in zip(*results, strict=True):
        np.testing.assert_allclose(gemm, ref, rtol=1e-12, atol=1e-12)


def test_reference_hand_example():
    # 1-D, kernel (1, -1): y[p] = x[p] - x[p + 1] (the notes' edge detector, computed by hand).
    with juanji.backends.conv.use("reference"):
        y = F.conv1d(juanji.tensor([[[0.0, 0.0, 1.0, 3.0]]]), juanji.tensor([[[1.0, -1.0]]]))
    assert y.tolist() == [[[0.0, -1.0, -2.0]]]


def test_backends_conv_setting_and_context_manager():
    settings_ = juanji.backends.conv
    assert settings_.algorithm == "auto"
    assert settings_.available() == ("auto", *registry.ALGORITHMS)
    with settings_.use("reference"):
        assert settings_.algorithm == "reference"
        with pytest.raises(RuntimeError), settings_.use("gemm"):
            raise RuntimeError  # the previous setting comes back even after an error
        assert settings_.algorithm == "reference"
    assert settings_.algorithm == "auto"
    settings_.algorithm = "gemm"
    try:
        assert F.conv2d(juanji.ones(1, 1, 3, 3), juanji.ones(1, 1, 2, 2)).tolist() == [
            [[[4.0, 4.0], [4.0, 4.0]]]
        ]
    finally:
        settings_.algorithm = "auto"


@pytest.mark.parametrize("name", ["no_such_algorithm", "", None, 3])
def test_backends_conv_unknown_algorithm_lists_the_available_ones(name):
    message = r"juanji.backends.conv.algorithm: unknown algorithm .*; available: 'auto', .*'gemm'"
    with pytest.raises(ValueError, match=message):
        juanji.backends.conv.algorithm = name
    with pytest.raises(ValueError, match=message), juanji.backends.conv.use(name):
        pass  # pragma: no cover
    assert juanji.backends.conv.algorithm == "auto"


def test_forcing_an_algorithm_that_does_not_apply_is_an_error(monkeypatch):
    class OnlyThreeByThree(registry.Algorithm):
        name = "only3x3"

        def applies(self, geometry):
            return geometry.kernel_size == (3, 3)

        forward = registry.ALGORITHMS["gemm"].forward.__func__
        backward = registry.ALGORITHMS["gemm"].backward.__func__

    monkeypatch.setitem(registry.ALGORITHMS, "only3x3", OnlyThreeByThree())
    with juanji.backends.conv.use("only3x3"):
        assert F.conv2d(juanji.ones(1, 1, 4, 4), juanji.ones(1, 1, 3, 3)).shape == (1, 1, 2, 2)
        with pytest.raises(
            ValueError,
            match=r"algorithm = 'only3x3' does not apply to this convolution \(kernel \(2, 2\).*"
            r"algorithms that do: .*'gemm', 'reference', or 'auto'",
        ):
            F.conv2d(juanji.ones(1, 1, 4, 4), juanji.ones(1, 1, 2, 2))


def test_auto_never_chooses_the_teaching_algorithm():
    geometry = registry.Geometry(2, 3, 4, 1, (5, 5), (3, 3), (1, 1), ((0, 0),) * 2, (1, 1), 4)
    assert registry.choose(geometry).name == "gemm"
    assert registry.ALGORITHMS["reference"].auto is False


def test_every_registered_algorithm_follows_the_interface():
    for name, algorithm in registry.ALGORITHMS.items():
        assert isinstance(algorithm, registry.Algorithm) and algorithm.name == name != "auto"
        assert type(algorithm).forward is not registry.Algorithm.forward
        assert type(algorithm).backward is not registry.Algorithm.backward
