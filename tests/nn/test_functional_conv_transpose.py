"""conv_transpose1d/2d/3d and ConvTranspose1d/2d/3d vs PyTorch; adjointness; hand cases; errors."""

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
CT = {
    1: (F.conv_transpose1d, TF.conv_transpose1d),
    2: (F.conv_transpose2d, TF.conv_transpose2d),
    3: (F.conv_transpose3d, TF.conv_transpose3d),
}


@st.composite
def transpose_configs(draw):
    S = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2]))
    C_in = groups * draw(st.integers(1, 2))
    C_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(S))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(S))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(S))
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    sizes = tuple(draw(st.integers(1, 4 if S < 3 else 2)) for _ in range(S))
    full = [
        (n - 1) * s + d * (k - 1) + 1 + op
        for n, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding, strict=True)
    ]
    padding = tuple(draw(st.integers(0, max(0, (f - 1) // 2))) for f in full)
    batched = draw(st.booleans())
    return dict(
        S=S,
        x_shape=((2,) if batched else ()) + (C_in,) + sizes,
        w_shape=(C_in, C_out // groups) + kernel,
        bias=draw(st.booleans()),
        kwargs=dict(
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            groups=groups,
            dilation=dilation,
        ),
    )


@settings(max_examples=60, deadline=None)
@given(config=transpose_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_transpose_matches_torch(config, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    w = rng.standard_normal(config["w_shape"]).astype(dtype)
    b = rng.standard_normal(config["w_shape"][1] * config["kwargs"]["groups"]).astype(dtype)
    ours, theirs = CT[config["S"]]
    kw = config["kwargs"]
    if config["bias"]:
        compare_op(lambda *a: ours(*a, **kw), lambda *a: theirs(*a, **kw), [x, w, b])
    else:
        compare_op(lambda *a: ours(*a, **kw), lambda *a: theirs(*a, **kw), [x, w])


@settings(max_examples=25, deadline=None)
@given(config=transpose_configs())
def test_conv_transpose_is_the_adjoint_of_conv(config):
    """<conv(z, w), y> == <z, conv_transpose(y, w)> for the same geometry."""
    if len(config["x_shape"]) == config["S"] + 1:
        return
    rng = np.random.default_rng(1)
    S, kw = config["S"], dict(config["kwargs"])
    # conv maps the output back to y's size only when output_padding < stride.
    kw["output_padding"] = tuple(
        min(op, s - 1) for op, s in zip(kw["output_padding"], kw["stride"], strict=True)
    )
    y = juanji.tensor(rng.standard_normal(config["x_shape"]))
    w = juanji.tensor(rng.standard_normal(config["w_shape"]))
    out = CT[S][0](y, w, **kw)
    z = juanji.tensor(rng.standard_normal(out.shape))
    conv = getattr(F, f"conv{S}d")
    forward = conv(
        z, w, stride=kw["stride"], padding=kw["padding"], dilation=kw["dilation"],
        groups=kw["groups"],
    )  # fmt: skip
    assert forward.shape == y.shape
    left = float((forward * y).sum())
    right = float((z * out).sum())
    assert abs(left - right) <= 1e-9 * max(1.0, abs(left))


def test_conv_transpose_gradcheck_float64():
    rng = np.random.default_rng(2)
    x = juanji.tensor(rng.standard_normal((2, 2, 3, 2)), requires_grad=True)
    w = juanji.tensor(rng.standard_normal((2, 2, 2, 3)), requires_grad=True)
    b = juanji.tensor(rng.standard_normal(4), requires_grad=True)

    def fn(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                                  groups=2, dilation=(1, 2))  # fmt: skip

    assert gradcheck(fn, [x, w, b])


def test_conv_transpose2d_by_hand_stride_2():
    # Each input pixel stamps its value times the 2x2 kernel into its own 2x2 block.
    x = juanji.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = juanji.tensor([[[[1.0, 10.0], [100.0, 1000.0]]]])
    y = F.conv_transpose2d(x, w, stride=2)
    assert y[0, 0].tolist() == [
        [1.0, 10.0, 2.0, 20.0],
        [100.0, 1000.0, 200.0, 2000.0],
        [3.0, 30.0, 4.0, 40.0],
        [300.0, 3000.0, 400.0, 4000.0],
    ]
    # stride 1: the stamps overlap and add; padding 1 crops the border.
    y1 = F.conv_transpose2d(x, juanji.ones(1, 1, 2, 2))
    assert y1[0, 0].tolist() == [[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]
    assert F.conv_transpose2d(x, juanji.ones(1, 1, 2, 2), padding=1)[0, 0].tolist() == [[10.0]]


def test_conv_transpose_keeps_float32():
    x = juanji.ones(1, 2, 3, 3)
    w = juanji.ones(2, 1, 2, 2)
    assert F.conv_transpose2d(x, w, stride=2).dtype == juanji.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x, w: F.conv_transpose2d(x, w, output_padding=1), "output_padding must be smaller"),
        (lambda x, w: F.conv_transpose2d(x, w, padding="same"), "no strings"),
        (lambda x, w: F.conv_transpose2d(x, w, stride=0), "stride must be >= 1"),
        (lambda x, w: F.conv_transpose2d(x, w, padding=-1), "padding must be >= 0"),
        (lambda x, w: F.conv_transpose2d(x, w, groups=3), "groups=3 must divide"),
        (lambda x, w: F.conv_transpose2d(x, w, groups=0), "groups must be >= 1"),
        (lambda x, w: F.conv_transpose2d(x[:, :1], w), "input has 1 channels but weight expects 2"),
        (lambda x, w: F.conv_transpose2d(x, w, juanji.ones(3)), r"bias must have shape \(4,\)"),
        (lambda x, w: F.conv_transpose2d(x, w, padding=5), "must be >= 1"),
        (lambda x, w: F.conv_transpose2d(x[0, 0], w), "input must be 3-D"),
        (lambda x, w: F.conv_transpose2d(x, w[0]), "weight must be 4-D"),
        (lambda x, w: F.conv_transpose2d(x.long(), w), "floating-point"),
        (lambda x, w: F.conv_transpose2d(x, w.double()), "same dtype"),
    ],
)
def test_conv_transpose_bad_input_messages(call, message):
    x, w = juanji.ones(1, 2, 3, 3), juanji.ones(2, 4, 2, 2)
    with pytest.raises((ValueError, TypeError), match=f"conv_transpose2d: .*{message}"):
        call(x, w)


def test_conv_transpose_module_state_dict_init_and_repr_match_torch():
    for S in (1, 2, 3):
        ours = getattr(nn, f"ConvTranspose{S}d")(4, 6, 3, stride=2, padding=1, groups=2)
        theirs = getattr(torch.nn, f"ConvTranspose{S}d")(4, 6, 3, stride=2, padding=1, groups=2)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():
            assert ours.state_dict()[key].shape == tuple(value.shape)
        # PyTorch's bound: 1 / sqrt(fan_in), fan_in = weight.shape[1] * prod(k).
        bound = 1 / np.sqrt(3 * 3**S)
        assert np.abs(ours.weight.detach().numpy()).max() <= bound
        assert np.abs(ours.bias.detach().numpy()).max() <= bound
        assert np.abs(ours.weight.detach().numpy()).max() > bound / 2
    full = nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), output_padding=(1, 0), dilation=2,
                              bias=False)  # fmt: skip
    reference = torch.nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), output_padding=(1, 0),
                                         dilation=2, bias=False)  # fmt: skip
    assert repr(full) == repr(reference)


@pytest.mark.parametrize("output_size", [(15, 15), (16, 16), (1, 3, 16, 15), [15, 16]])
def test_conv_transpose_module_output_size_matches_torch(output_size):
    ours = nn.ConvTranspose2d(3, 2, 3, stride=2, dtype=juanji.float64)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, dtype=torch.float64)
    state = ours.state_dict()
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy()) for k, v in state.items()})
    x = np.random.default_rng(3).standard_normal((1, 3, 7, 7))
    compare_op(
        lambda t: ours(t, output_size=output_size),
        lambda t: theirs(t, output_size=output_size),
        [x],
    )


def test_conv_transpose_module_messages():
    with pytest.raises(ValueError, match='ConvTranspose2d: only "zeros" padding_mode'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="ConvTranspose2d: in_channels \\(3\\) must be divisible"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="ConvTranspose1d: output_padding must be >= 0"):
        nn.ConvTranspose1d(1, 1, 3, output_padding=-1)
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2)
    with pytest.raises(ValueError, match=r"valid sizes range from \(15, 15\) to \(16, 16\)"):
        layer(juanji.ones(1, 1, 7, 7), output_size=(17, 15))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        layer(juanji.ones(1, 1, 7, 7), output_size=(15,))
