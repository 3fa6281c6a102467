"""interpolate / Upsample / pixel_shuffle vs PyTorch; gradcheck; hand cases; messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn as nn
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


@st.composite
def interpolate_configs(draw):
    S = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 6 if S < 3 else 4)) for _ in range(S))
    mode = draw(
        st.sampled_from(["nearest", "nearest-exact", LINEAR[S], "area"] + ["bicubic"] * (S == 2))
    )
    kwargs = {}
    if draw(st.booleans()):
        factor = draw(st.sampled_from([0.5, 0.7, 1.0, 1.3, 1.5, 2.0, 2.5, 3.0, 1.11, 0.37]))
        if all(int(n * factor) >= 1 for n in sizes):
            kwargs["scale_factor"] = factor
            kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    if not kwargs:
        kwargs["size"] = tuple(draw(st.integers(1, 9 if S < 3 else 5)) for _ in range(S))
    if mode in ("linear", "bilinear", "trilinear", "bicubic"):
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return (2, 3) + sizes, mode, kwargs


@settings(max_examples=150, deadline=None)
@given(config=interpolate_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_interpolate_matches_torch(config, dtype):
    shape, mode, kwargs = config
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    compare_op(
        lambda t: F.interpolate(t, mode=mode, **kwargs),
        lambda t: TF.interpolate(t, mode=mode, **kwargs),
        [x],
        grads=not _torch_nearest_backward_differs(shape, mode, kwargs),
    )


def _torch_nearest_backward_differs(shape, mode, kwargs):
    """PyTorch's 1-D/3-D nearest backward copies when out == n or halves when out == 2n, while
    its forward applies the scale factor: there its gradient is not its forward's adjoint."""
    factor = kwargs.get("scale_factor")
    if mode != "nearest" or len(shape) == 4 or factor is None or kwargs["recompute_scale_factor"]:
        return False
    sizes = shape[2:]
    outs = [int(n * factor) for n in sizes]
    return factor not in (1.0, 2.0) and any(
        o in (n, 2 * n) for n, o in zip(sizes, outs, strict=True)
    )


def test_interpolate_nearest_gradient_is_the_adjoint_where_torch_differs():
    # 1-D, n = 2, scale_factor 1.11: out = 2 and the forward reads pixel 0 twice (as torch).
    x = juanji.tensor([[[1.0, 2.0]]], requires_grad=True)
    y = F.interpolate(x, scale_factor=1.11)
    assert y.tolist() == TF.interpolate(torch.tensor([[[1.0, 2.0]]]), scale_factor=1.11).tolist()
    y.sum().backward()
    assert x.grad.tolist() == [[[2.0, 0.0]]]


@pytest.mark.parametrize(
    ("mode", "kwargs"),
    [
        ("nearest", dict(scale_factor=1.7)),
        ("nearest-exact", dict(size=(5, 2))),
        ("bilinear", dict(size=(4, 5), align_corners=True)),
        ("bilinear", dict(scale_factor=0.6)),
        ("bicubic", dict(size=(5, 4))),
        ("bicubic", dict(size=(2, 3), align_corners=True)),
    ],
)
def test_interpolate_gradcheck_float64(mode, kwargs):
    x = juanji.tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, **kwargs), [x])


def test_interpolate_gradcheck_linear_and_trilinear():
    rng = np.random.default_rng(2)
    x1 = juanji.tensor(rng.standard_normal((1, 2, 4)), requires_grad=True)
    x3 = juanji.tensor(rng.standard_normal((1, 1, 2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=7, mode="linear"), [x1])
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="trilinear"), [x3])


def test_interpolate_by_hand():
    x = juanji.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    # nearest 2x: every pixel becomes a 2x2 block
    assert F.interpolate(x, scale_factor=2)[0, 0].tolist() == [
        [1.0, 1.0, 2.0, 2.0],
        [1.0, 1.0, 2.0, 2.0],
        [3.0, 3.0, 4.0, 4.0],
        [3.0, 3.0, 4.0, 4.0],
    ]
    # bilinear 2x without align_corners: src = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25;
    # clamped at 0 and at the last pixel, so a row 1, 2 becomes 1, 1.25, 1.75, 2.
    row = F.interpolate(x, scale_factor=2, mode="bilinear")[0, 0, 0].tolist()
    assert row == [1.0, 1.25, 1.75, 2.0]
    # linear 1-D with align_corners to 5 points: 0, 0.25, ..., 1 of the way from 1 to 2
    line = F.interpolate(juanji.tensor([[[1.0, 2.0]]]), size=5, mode="linear", align_corners=True)
    assert line[0, 0].tolist() == [1.0, 1.25, 1.5, 1.75, 2.0]
    # nearest-exact halving picks the pixel whose centre is nearest: index floor((i+0.5)*2)
    seq = juanji.tensor([[[0.0, 1.0, 2.0, 3.0]]])
    assert F.interpolate(seq, size=2, mode="nearest-exact")[0, 0].tolist() == [1.0, 3.0]
    assert F.interpolate(seq, size=2, mode="nearest")[0, 0].tolist() == [0.0, 2.0]


def test_interpolate_gradient_of_nearest_counts_copies():
    x = juanji.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    F.interpolate(x, size=7).sum().backward()  # sources floor(i * 3/7): 0 0 0 1 1 2 2
    assert x.grad.tolist() == [[[3.0, 2.0, 2.0]]]


def test_interpolate_keeps_float32():
    assert F.interpolate(juanji.ones(1, 1, 3, 3), scale_factor=1.5, mode="bicubic").dtype == (
        juanji.float32
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda x: F.interpolate(x), ValueError, "either of size or scale_factor"),
        (lambda x: F.interpolate(x, 2, 2), ValueError, "only one of size or scale_factor"),
        (lambda x: F.interpolate(x, (2, 3, 4)), ValueError, "size must have one entry per"),
        (lambda x: F.interpolate(x, 0), ValueError, "size must be positive ints"),
        (lambda x: F.interpolate(x, scale_factor=(1, 2, 3)), ValueError, "scale_factor must have"),
        (lambda x: F.interpolate(x, scale_factor=-1.0), ValueError, "positive and finite"),
        (lambda x: F.interpolate(x, scale_factor="2"), TypeError, "scale_factor must be a number"),
        (lambda x: F.interpolate(x, scale_factor=0.1), ValueError, "every output size must be"),
        (lambda x: F.interpolate(x, 4, mode="cubic"), ValueError, "mode must be one of"),
        (lambda x: F.interpolate(x, 4, mode="linear"), ValueError, "'linear' needs a 3-D"),
        (lambda x: F.interpolate(x, 4, mode="trilinear"), ValueError, "'trilinear' needs a 5-D"),
        (
            lambda x: F.interpolate(x, 4, align_corners=True),
            ValueError,
            "align_corners can only be set",
        ),
        (
            lambda x: F.interpolate(x, 4, recompute_scale_factor=True),
            ValueError,
            "not meaningful with an explicit size",
        ),
        (lambda x: F.interpolate(x, 4, antialias=True), NotImplementedError, "antialias"),
        (lambda x: F.interpolate(x[0, 0], 4), ValueError, "input must be 3-D"),
        (lambda x: F.interpolate(x.long(), 4), TypeError, "floating-point"),
    ],
)
def test_interpolate_bad_input_messages(call, error, message):
    with pytest.raises(error, match=f"interpolate: .*{message}"):
        call(juanji.ones(1, 2, 3, 3))


def test_upsample_modules_match_torch():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    for ours, theirs in [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(3, 7), mode="bicubic"), torch.nn.Upsample(size=(3, 7), mode="bicubic")),
        (
            nn.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
            torch.nn.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
        ),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (nn.UpsamplingBilinear2d(size=(6, 6)), torch.nn.UpsamplingBilinear2d(size=(6, 6))),
    ]:
        assert repr(ours) == repr(theirs)
        compare_op(ours, theirs, [x])


@settings(max_examples=30, deadline=None)
@given(
    r=st.integers(1, 3),
    lead=st.sampled_from([(), (2,), (2, 1)]),
    c=st.integers(1, 2),
    h=st.integers(1, 3),
    w=st.integers(1, 3),
)
def test_pixel_shuffle_and_unshuffle_match_torch(r, lead, c, h, w):
    x = np.random.default_rng(4).standard_normal(lead + (c * r * r, h, w))
    compare_op(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), [x])
    y = np.random.default_rng(5).standard_normal(lead + (c, h * r, w * r)).astype(np.float32)
    compare_op(lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r), [y])
    assert repr(nn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))
    assert repr(nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


def test_pixel_shuffle_by_hand_and_gradcheck():
    x = juanji.arange(8.0).reshape(1, 8, 1, 1)
    assert F.pixel_shuffle(x, 2)[0].tolist() == [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]
    t = juanji.tensor(np.random.default_rng(6).standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert gradcheck(lambda a: F.pixel_shuffle(a, 2), [t])
    assert gradcheck(lambda a: F.pixel_unshuffle(F.pixel_shuffle(a, 2), 2), [t])


def test_pixel_shuffle_messages():
    with pytest.raises(ValueError, match=r"pixel_shuffle: input channels \(3\) must be divisible"):
        F.pixel_shuffle(juanji.ones(3, 2, 2), 2)
    with pytest.raises(ValueError, match="pixel_shuffle: input must be at least 3-D"):
        F.pixel_shuffle(juanji.ones(4, 2), 2)
    with pytest.raises(TypeError, match="pixel_shuffle: upscale_factor must be an int"):
        F.pixel_shuffle(juanji.ones(4, 2, 2), 2.0)
    with pytest.raises(ValueError, match="pixel_unshuffle: downscale_factor must be >= 1"):
        F.pixel_unshuffle(juanji.ones(4, 2, 2), 0)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: height \(3\) and width \(2\)"):
        F.pixel_unshuffle(juanji.ones(1, 3, 2), 2)
    with pytest.raises(ValueError, match="PixelShuffle: upscale_factor must be >= 1"):
        nn.PixelShuffle(0)


@pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")
def test_upsample_aliases_match_torch():
    x = np.random.default_rng(7).standard_normal((1, 2, 3, 4))
    compare_op(
        lambda t: F.upsample_bilinear(t, scale_factor=2),
        lambda t: TF.upsample_bilinear(t, scale_factor=2),
        [x],
    )
    compare_op(
        lambda t: F.upsample_nearest(t, size=(5, 3)),
        lambda t: TF.upsample_nearest(t, size=(5, 3)),
        [x],
    )
    compare_op(
        lambda t: F.upsample(t, size=(5, 3), mode="bicubic"),
        lambda t: TF.upsample(t, size=(5, 3), mode="bicubic"),
        [x],
    )
