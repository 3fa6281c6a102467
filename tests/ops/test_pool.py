"""Pooling kernels vs PyTorch (forward, indices, input gradients), gradcheck, tie and edge rules.

Inputs are continuous random numbers (no ties) wherever gradients are compared; ties, NaN and
-inf windows are checked by the hand cases at the end.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional.pooling as P
from juanji.testing import gradcheck
from reference import TOLERANCE, compare_op

TF = torch.nn.functional
MAX_SIZE = {1: 9, 2: 7, 3: 5}


@st.composite
def window_case(draw, dilation=True):
    """A valid max/avg pooling configuration: S, shape, kernel, stride, padding, dilation, ceil."""
    S = draw(st.integers(1, 3))
    batched = draw(st.booleans())
    lead = (
        (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
        if batched
        else (draw(st.integers(1, 3)),)
    )
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(S))
    stride = draw(st.none() | st.tuples(*[st.integers(1, 3)] * S))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(S)) if dilation else (1,) * S
    size = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), MAX_SIZE[S]))
        for k, p, d in zip(kernel, padding, dil, strict=True)
    )
    # A dilated window lying wholly in the padding gets an out-of-range index in PyTorch, whose
    # backward then writes out of bounds (heap corruption): keep such windows out of the oracle.
    assume(
        all(
            _every_window_touches_input(*dim)
            for dim in zip(size, kernel, stride or kernel, padding, dil, strict=True)
        )
    )
    return {
        "S": S,
        "shape": lead + size,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dil,
        "ceil_mode": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


def _every_window_touches_input(n, k, s, p, d):
    out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    ceil_out = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
    return all(any(0 <= o * s - p + i * d < n for i in range(k)) for o in range(max(out, ceil_out)))


def _split(case):
    case = dict(case)
    S, shape, seed = case.pop("S"), case.pop("shape"), case.pop("seed")
    return S, shape, np.random.default_rng(seed), case


@given(case=window_case())
def test_max_pool_matches_torch(xp, case):
    S, shape, rng, kwargs = _split(case)
    ours, theirs = getattr(P, f"max_pool{S}d"), getattr(TF, f"max_pool{S}d")
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        compare_op(
            lambda t: ours(t, **kwargs, return_indices=True),
            lambda t: theirs(t, **kwargs, return_indices=True),
            [x],
            xp=xp,
        )
        compare_op(lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), [x], xp=xp)
        compare_op(
            lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), [x], grads=False, xp=xp
        )


@given(
    case=window_case(dilation=False),
    count_include_pad=st.booleans(),
    divisor_override=st.sampled_from([None, None, 1, 3, -2]),
)
def test_avg_pool_matches_torch(xp, case, count_include_pad, divisor_override):
    S, shape, rng, kwargs = _split(case)
    del kwargs["dilation"]
    kwargs["count_include_pad"] = count_include_pad
    if S > 1:  # avg_pool1d has no divisor_override, in PyTorch as here
        kwargs["divisor_override"] = divisor_override
    # PyTorch's avg_pool3d alone refuses an input smaller than the kernel even when padding
    # makes up for it; juanji treats 3-D like 1-D and 2-D.
    assume(S < 3 or all(n >= k for n, k in zip(shape[-S:], kwargs["kernel_size"], strict=True)))
    ours, theirs = getattr(P, f"avg_pool{S}d"), getattr(TF, f"avg_pool{S}d")
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        compare_op(lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), [x], xp=xp)


@st.composite
def adaptive_case(draw):
    S = draw(st.integers(1, 3))
    lead = draw(st.sampled_from([(1, 2), (2, 1), (3,)]))
    size = tuple(draw(st.integers(1, MAX_SIZE[S])) for _ in range(S))
    out = tuple(draw(st.none() | st.integers(1, MAX_SIZE[S] + 1)) for _ in range(S))
    return S, lead + size, out, draw(st.integers(0, 2**16))


@given(case=adaptive_case())
def test_adaptive_pools_match_torch(xp, case):
    S, shape, out, seed = case
    # PyTorch's 1-D adaptive pools take no None entries: give torch the resolved sizes.
    resolved = tuple(n if o is None else o for n, o in zip(shape[-S:], out, strict=True))
    rng = np.random.default_rng(seed)
    avg, torch_avg = getattr(P, f"adaptive_avg_pool{S}d"), getattr(TF, f"adaptive_avg_pool{S}d")
    mx, torch_max = getattr(P, f"adaptive_max_pool{S}d"), getattr(TF, f"adaptive_max_pool{S}d")
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        compare_op(lambda t: avg(t, out), lambda t: torch_avg(t, resolved), [x], xp=xp)
        compare_op(
            lambda t: mx(t, out, return_indices=True),
            lambda t: torch_max(t, resolved, return_indices=True),
            [x],
            xp=xp,
        )
        compare_op(lambda t: mx(t, out), lambda t: torch_max(t, resolved), [x], grads=False, xp=xp)


# ------------------------------------------------------------------------------------ gradcheck
def _double(rng, shape):
    return juanji.tensor(rng.standard_normal(shape), dtype=juanji.float64, requires_grad=True)


GRADCHECK_CASES = {
    "max overlapping, padded": lambda t: P.max_pool2d(t, 3, 2, 1),
    "max dilated, ceil_mode": lambda t: P.max_pool2d(t, 2, 2, 1, dilation=2, ceil_mode=True),
    "max tiling": lambda t: P.max_pool2d(t, 2),
    "max 1d": lambda t: P.max_pool1d(t, 3, 1, 1),
    "max 3d": lambda t: P.max_pool3d(t, 2, 1),
    "avg overlapping, padded": lambda t: P.avg_pool2d(t, 3, 2, 1),
    "avg ceil, no pad count": lambda t: P.avg_pool2d(t, 3, 2, 1, True, False),
    "avg override": lambda t: P.avg_pool2d(t, 2, 1, 1, divisor_override=3),
    "avg 1d": lambda t: P.avg_pool1d(t, 2, 1, 1, ceil_mode=True),
    "avg 3d": lambda t: P.avg_pool3d(t, 2, 1, 1, count_include_pad=False),
    "adaptive avg": lambda t: P.adaptive_avg_pool2d(t, (3, 2)),
    "adaptive avg 3d": lambda t: P.adaptive_avg_pool3d(t, (2, None, 3)),
    "adaptive max": lambda t: P.adaptive_max_pool2d(t, (3, 2)),
    "adaptive max 1d": lambda t: P.adaptive_max_pool1d(t, 3),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_pool_gradcheck(name):
    rng = np.random.default_rng(7)
    fn = GRADCHECK_CASES[name]
    tiny = (1, 1, 3, 3, 3) if "3d" in name else (1, 5) if "1d" in name else (1, 4, 5)
    assert gradcheck(fn, (_double(rng, tiny),), mode="full")
    larger = (2, 3, 4, 5, 6) if "3d" in name else (2, 3, 11) if "1d" in name else (2, 3, 8, 9)
    assert gradcheck(fn, (_double(rng, larger),), mode="random")


# ------------------------------------------------------------------------ layouts and dtypes
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize(
    "config",
    [(2, 2, 0), (3, 2, 0), (3, 2, 1), (2, 1, 1)],
    ids=["lenet-tiling", "3x3s2", "3x3s2p1", "2x2s1p1"],
)
def test_pool2d_common_configs_match_torch(xp, name, config, dtype):
    k, s, p = config
    x = np.random.default_rng(1).standard_normal((3, 6, 12, 10)).astype(dtype)
    compare_op(
        lambda t: getattr(P, name)(t, k, s, p), lambda t: getattr(TF, name)(t, k, s, p), [x], xp=xp
    )


def _noncontiguous(rng, shape, dtype):
    base = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(dtype)
    return base[..., ::2].swapaxes(-1, -2)  # strided and transposed: shape[:-2] + (W, H)


@pytest.mark.parametrize(
    "name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]
)
def test_pool_noncontiguous_input_matches_torch(name, dtype):
    view = _noncontiguous(np.random.default_rng(2), (2, 3, 7, 6), dtype)
    assert not view.flags.c_contiguous
    x = juanji.Tensor(view, requires_grad=True)
    expected_x = torch.from_numpy(np.ascontiguousarray(view)).requires_grad_()
    args = (3,) if name.startswith("adaptive") else (3, 2, 1)
    y, expected = getattr(P, name)(x, *args), getattr(TF, name)(expected_x, *args)
    tol = TOLERANCE[np.dtype(dtype)]
    np.testing.assert_allclose(y.numpy(force=True), expected.detach().numpy(), tol, tol)
    cotangent = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    y.backward(juanji.tensor(cotangent))
    expected.backward(torch.from_numpy(cotangent))
    np.testing.assert_allclose(x.grad.numpy(), expected_x.grad.numpy(), tol, tol)


@pytest.mark.parametrize(
    "name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]
)
def test_pool_preserves_dtype(name, dtype):
    x = juanji.tensor(np.ones((1, 2, 4, 4), dtype=dtype), requires_grad=True)
    y = getattr(P, name)(x, 2)
    assert y.dtype == x.dtype
    y.sum().backward()
    assert x.grad.dtype == x.dtype


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 1, 1, 5), (1, 3, 4, 1), (1, 1)])
def test_pool_size_one_dims_match_torch(xp, shape):
    x = np.random.default_rng(4).standard_normal(shape)
    S = len(shape) - 2 if len(shape) > 2 else 1
    k = tuple(1 if n == 1 else 2 for n in shape[-S:])
    for name, size in (
        (f"max_pool{S}d", k),
        (f"avg_pool{S}d", k),
        (f"adaptive_avg_pool{S}d", 1),
        (f"adaptive_max_pool{S}d", 1),
    ):
        ours, theirs = getattr(P, name), getattr(TF, name)
        compare_op(
            lambda t, f=ours, n=size: f(t, n), lambda t, f=theirs, n=size: f(t, n), [x], xp=xp
        )


@pytest.mark.parametrize(
    "name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]
)
def test_pool_empty_batch(name):
    x = juanji.zeros(0, 3, 5, 5, requires_grad=True)
    y = getattr(P, name)(x, 2)
    assert y.shape == tuple(getattr(TF, name)(torch.zeros(0, 3, 5, 5), 2).shape)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5)


def test_adaptive_output_size_zero_gives_empty_like_torch():
    x = torch.ones(1, 2, 4, 4)
    for name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        y = getattr(P, name)(juanji.ones(1, 2, 4, 4), (0, 3))
        assert y.shape == tuple(getattr(TF, name)(x, (0, 3)).shape) == (1, 2, 0, 3)


def test_max_pool_integer_input_matches_torch(xp):
    x = np.random.default_rng(5).integers(-100, 100, (2, 3, 7, 6))
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}):
        out = compare_op(
            lambda t, kw=kwargs: P.max_pool2d(t, **kw, return_indices=True),
            lambda t, kw=kwargs: TF.max_pool2d(t, **kw, return_indices=True),
            [x],
            xp=xp,
        )
        assert out[0].dtype == juanji.int64


# ------------------------------------------------------------------- ties, NaN, -inf, inf
def test_max_pool_ties_go_to_first_maximum_like_torch(xp):
    # Zeros everywhere (as after a ReLU): every window is a tie.
    zeros = np.zeros((1, 1, 4, 4))
    values, indices = P.max_pool2d(juanji.tensor(zeros), 2, return_indices=True)
    assert indices.tolist() == [[[[0, 2], [8, 10]]]]
    x = juanji.tensor(zeros, requires_grad=True)
    P.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[[0, 0, 2, 2], [0, 2, 0, 2]] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    # Overlapping windows and padding: same answer as PyTorch CPU, indices and gradient.
    ties = np.array([[[[1.0, 3.0, 3.0, 1.0], [3.0, 3.0, 1.0, 3.0], [1.0, 1.0, 1.0, 1.0]]]])
    for kwargs in ({"kernel_size": 2, "stride": 1}, {"kernel_size": 3, "stride": 2, "padding": 1}):
        compare_op(
            lambda t, kw=kwargs: P.max_pool2d(t, **kw, return_indices=True),
            lambda t, kw=kwargs: TF.max_pool2d(t, **kw, return_indices=True),
            [ties],
            xp=xp,
        )


def test_max_pool_nan_wins_like_torch():
    x = np.array([[[[np.nan, 1.0], [np.nan, 2.0]]]])
    values, indices = P.max_pool2d(juanji.tensor(x), 2, return_indices=True)
    expected_values, expected_indices = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    assert np.isnan(values.item()) and np.isnan(expected_values.item())
    assert indices.item() == expected_indices.item() == 2


@pytest.mark.parametrize(
    "kwargs", [{"kernel_size": 2, "padding": 1}, {"kernel_size": 2, "padding": 1, "dilation": 3}]
)
def test_max_pool_all_minus_inf_windows_index_like_torch(kwargs):
    x = np.full((1, 1, 3, 2), -np.inf)
    values, indices = P.max_pool2d(juanji.tensor(x), **kwargs, return_indices=True)
    expected_values, expected_indices = TF.max_pool2d(
        torch.from_numpy(x), **kwargs, return_indices=True
    )
    np.testing.assert_array_equal(values.numpy(), expected_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


def test_max_pool_infinite_gradient_stays_at_the_maximum():
    x = juanji.tensor([[[1.0, 4.0, 2.0, 3.0]]], requires_grad=True)
    P.max_pool1d(x, 2).backward(juanji.tensor([[[np.inf, -np.inf]]]))
    assert x.grad.tolist() == [[[0.0, np.inf, 0.0, -np.inf]]]  # no NaN from inf * 0


def test_adaptive_max_pool_shared_maximum_accumulates_like_torch(xp):
    # Bins of 5 -> 3 are [0, 2), [1, 4), [3, 5): the first two share the maximum at index 1.
    x = np.array([[[0.0, 5.0, 0.5, 1.0, 0.25]]])
    out = compare_op(
        lambda t: P.adaptive_max_pool1d(t, 3, return_indices=True),
        lambda t: TF.adaptive_max_pool1d(t, 3, return_indices=True),
        [x],
        xp=xp,
    )
    assert out[1].tolist() == [[[1, 1, 3]]]
