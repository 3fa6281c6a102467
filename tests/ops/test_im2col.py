"""unfold (im2col) and fold (col2im): vs PyTorch in 2-D, vs naive loops in 1-D/2-D/3-D,
adjointness, gradcheck, dtype, non-contiguous input, and the window view itself."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji._ops.im2col import col2im, col2im_batch_last, im2col, sliding_windows
from juanji.testing import gradcheck
from reference import compare_op, naive_fold, naive_unfold, torch

TF = torch.nn.functional


@st.composite
def window_configs(draw, ranks=(1, 2, 3), symmetric=False):
    S = draw(st.sampled_from(ranks))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(S))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(S))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(S))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(S))
    if symmetric or draw(st.booleans()):  # PyTorch's symmetric form
        pads = tuple((b, b) for b, _ in pads)
    spread = 3 if S < 3 else 1
    size = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - b - a), d * (k - 1) + 1 + spread))
        for k, d, (b, a) in zip(kernel, dilation, pads, strict=True)
    )
    return {
        "S": S,
        "kernel": kernel,
        "dilation": dilation,
        "stride": stride,
        "pads": pads,
        "size": size,
        "N": draw(st.integers(1, 2)),
        "C": draw(st.integers(1, 3)),
        "seed": draw(st.integers(0, 99)),
    }


def _col_shape(cfg):
    padded = [n + b + a for n, (b, a) in zip(cfg["size"], cfg["pads"], strict=True)]
    out = [
        (p - d * (k - 1) - 1) // s + 1
        for p, k, d, s in zip(padded, cfg["kernel"], cfg["dilation"], cfg["stride"], strict=True)
    ]
    return (cfg["N"], cfg["C"] * int(np.prod(cfg["kernel"])), int(np.prod(out)))


def _kwargs(cfg):
    return {
        "kernel_size": cfg["kernel"],
        "dilation": cfg["dilation"],
        "padding": cfg["pads"],
        "stride": cfg["stride"],
    }


@settings(max_examples=40)
@given(
    cfg=window_configs(ranks=(2,), symmetric=True),
    batched=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_unfold_and_fold_2d_match_torch(cfg, batched, dtype):
    rng = np.random.default_rng(cfg["seed"])
    lead = (cfg["N"],) if batched else ()
    x = rng.standard_normal(lead + (cfg["C"],) + cfg["size"]).astype(dtype)
    torch_kwargs = {
        "kernel_size": cfg["kernel"],
        "dilation": cfg["dilation"],
        "padding": tuple(b for b, _ in cfg["pads"]),
        "stride": cfg["stride"],
    }
    compare_op(lambda t: F.unfold(t, **_kwargs(cfg)), lambda t: TF.unfold(t, **torch_kwargs), [x])
    col = rng.standard_normal(_col_shape(cfg)[1 if not batched else 0 :]).astype(dtype)
    compare_op(
        lambda t: F.fold(t, cfg["size"], **_kwargs(cfg)),
        lambda t: TF.fold(t, cfg["size"], **torch_kwargs),
        [col],
    )


@settings(max_examples=40)
@given(cfg=window_configs())
def test_unfold_and_fold_match_naive_loops(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["N"], cfg["C"]) + cfg["size"])
    args = (cfg["kernel"], cfg["dilation"], cfg["pads"], cfg["stride"])
    np.testing.assert_allclose(
        F.unfold(juanji.tensor(x), **_kwargs(cfg)).numpy(), naive_unfold(x, *args), rtol=0, atol=0
    )
    col = rng.standard_normal(_col_shape(cfg))
    np.testing.assert_allclose(
        F.fold(juanji.tensor(col), cfg["size"], **_kwargs(cfg)).numpy(),
        naive_fold(col, cfg["size"], *args),
        rtol=1e-12,
        atol=1e-12,
    )


@settings(max_examples=40)
@given(cfg=window_configs())
def test_unfold_and_fold_are_adjoint(cfg):
    # <unfold(x), y> == <x, fold(y)>: the fact that makes each the other's backward pass.
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["N"], cfg["C"]) + cfg["size"])
    y = rng.standard_normal(_col_shape(cfg))
    lhs = float((F.unfold(juanji.tensor(x), **_kwargs(cfg)).numpy() * y).sum())
    rhs = float((x * F.fold(juanji.tensor(y), cfg["size"], **_kwargs(cfg)).numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@settings(max_examples=20)
@given(cfg=window_configs(ranks=(1, 3)))
def test_unfold_and_fold_backward_in_1d_and_3d_match_naive_loops(cfg):
    # torch has no 1-D/3-D unfold. The gradient of sum(unfold(x) * y) in x is fold(y), and that
    # of sum(fold(c) * x) in c is unfold(x): check both against the loop references.
    rng = np.random.default_rng(cfg["seed"])
    x = juanji.tensor(rng.standard_normal((cfg["N"], cfg["C"]) + cfg["size"]), requires_grad=True)
    y = rng.standard_normal(_col_shape(cfg))
    (F.unfold(x, **_kwargs(cfg)) * juanji.tensor(y)).sum().backward()
    args = (cfg["kernel"], cfg["dilation"], cfg["pads"], cfg["stride"])
    np.testing.assert_allclose(
        x.grad.numpy(), naive_fold(y, cfg["size"], *args), rtol=1e-12, atol=1e-12
    )
    col = juanji.tensor(y, requires_grad=True)
    (F.fold(col, cfg["size"], **_kwargs(cfg)) * juanji.tensor(x.numpy(force=True))).sum().backward()
    np.testing.assert_allclose(
        col.grad.numpy(), naive_unfold(x.numpy(force=True), *args), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": (2,), "padding": ((1, 0),), "stride": 2},
        {"kernel_size": 2, "dilation": (1, 2), "padding": 1},
        {"kernel_size": (2, 1, 2), "stride": (1, 2, 1)},
    ],
)
def test_unfold_fold_gradcheck_full(kwargs):
    rng = np.random.default_rng(9)
    S = len(kwargs["kernel_size"]) if isinstance(kwargs["kernel_size"], tuple) else 2
    size = (3,) * S if S == 3 else (5,) * S
    x = juanji.tensor(rng.standard_normal((1, 2) + size), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, **kwargs), (x,), mode="full")
    col_shape = F.unfold(x.detach(), **kwargs).shape
    col = juanji.tensor(rng.standard_normal(col_shape), requires_grad=True)
    assert gradcheck(lambda t: F.fold(t, size, **kwargs), (col,), mode="full")


def test_unfold_fold_gradcheck_random():
    rng = np.random.default_rng(10)
    x = juanji.tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=True)
    kwargs = {
        "kernel_size": (3, 2),
        "dilation": (2, 1),
        "padding": ((2, 1), (0, 1)),
        "stride": (2, 3),
    }
    assert gradcheck(lambda t: F.unfold(t, **kwargs), (x,), mode="random")
    col = juanji.tensor(
        rng.standard_normal(F.unfold(x.detach(), **kwargs).shape), requires_grad=True
    )
    assert gradcheck(lambda t: F.fold(t, (9, 8), **kwargs), (col,), mode="random")


def test_unfold_fold_preserve_float32_and_accept_non_contiguous_input():
    base = np.arange(2 * 3 * 5 * 4, dtype=np.float32).reshape(2, 3, 4, 5)
    x_view = base.transpose(0, 1, 3, 2)  # (2, 3, 5, 4), not contiguous
    x = juanji.tensor(x_view.copy(), requires_grad=True)
    col = F.unfold(x, (2, 3), padding=1)
    assert col.dtype == juanji.float32
    expected = TF.unfold(torch.from_numpy(x_view.copy()), (2, 3), padding=1).numpy()
    np.testing.assert_array_equal(
        F.unfold(juanji.Tensor(x_view), (2, 3), padding=1).numpy(), expected
    )
    back = F.fold(col, (5, 4), (2, 3), padding=1)
    back.sum().backward()
    assert back.dtype == juanji.float32 and x.grad.dtype == juanji.float32


def test_conv_equals_weight_times_unfold():
    # The notes: convolution is one matrix product of the reshaped weight and the im2col matrix.
    rng = np.random.default_rng(11)
    x = juanji.tensor(rng.standard_normal((2, 3, 6, 5)))
    w = juanji.tensor(rng.standard_normal((4, 3, 3, 2)))
    y = F.conv2d(x, w, stride=(1, 2), padding=1)
    col = F.unfold(x, (3, 2), stride=(1, 2), padding=1)  # (2, 18, L)
    y_matmul = (w.reshape(4, 18) @ col).reshape(y.shape)
    np.testing.assert_allclose(y_matmul.numpy(), y.numpy(), rtol=1e-12, atol=1e-12)


def test_sliding_windows_is_a_read_only_view():
    x = np.arange(2 * 7, dtype=np.float32).reshape(1, 2, 7)
    windows = sliding_windows(x, (3,), (2,), (2,))  # span 5 -> out 2
    assert windows.shape == (1, 2, 2, 3)
    assert np.shares_memory(windows, x) and not windows.flags.writeable
    assert windows[0, 1, 1].tolist() == [9.0, 11.0, 13.0]  # channel 1 = 7..13, start 2


def test_col2im_layouts_agree():
    rng = np.random.default_rng(12)
    col = rng.standard_normal((2, 3 * 4, 6))  # (N, C*prod(k), L) for in (4, 5), k (2, 2)
    batch_first = col2im(col, (4, 4), (2, 2), (2, 1), (1, 1))
    batch_last = col2im_batch_last(
        np.ascontiguousarray(col.transpose(1, 2, 0)), (4, 4), (2, 2), (2, 1), (1, 1)
    )
    np.testing.assert_array_equal(batch_first, batch_last.transpose(3, 0, 1, 2))
    assert im2col(batch_first, (2, 2), (2, 1), (1, 1)).shape == col.shape
