"""ZeroPad*/ConstantPad*/ReflectionPad*/ReplicationPad*/CircularPad* vs PyTorch; messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn as nn
from juanji.testing import gradcheck
from reference import compare_op, torch

KINDS = ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")


def _make(library, kind, S, padding):
    cls = getattr(library, f"{kind}{S}d")
    return cls(padding, 1.5) if kind == "ConstantPad" else cls(padding)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    S=st.integers(1, 3),
    batched=st.booleans(),
    data=st.data(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_padding_layers_match_torch(kind, S, batched, data, dtype):
    sizes = tuple(data.draw(st.integers(2, 4)) for _ in range(S))
    limit = 1 if kind == "ReflectionPad" else 2
    if data.draw(st.booleans()):
        padding = data.draw(st.integers(0, limit))
    else:
        padding = tuple(data.draw(st.integers(0, limit)) for _ in range(2 * S))
    shape = ((2,) if batched else ()) + (3,) + sizes
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    ours, theirs = _make(nn, kind, S, padding), _make(torch.nn, kind, S, padding)
    assert repr(ours) == repr(theirs)
    compare_op(ours, theirs, [x])


def test_padding_layers_by_hand_and_gradcheck():
    x = juanji.tensor([[[1.0, 2.0, 3.0]]])
    assert nn.ZeroPad1d((1, 2))(x).tolist() == [[[0.0, 1.0, 2.0, 3.0, 0.0, 0.0]]]
    assert nn.ReflectionPad1d(2)(x).tolist() == [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]]
    assert nn.ReplicationPad1d((2, 1))(x).tolist() == [[[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]]
    assert nn.CircularPad1d((1, 2))(x).tolist() == [[[3.0, 1.0, 2.0, 3.0, 1.0, 2.0]]]
    t = juanji.tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 3)), requires_grad=True)
    for kind in KINDS:
        assert gradcheck(_make(nn, kind, 2, (1, 2, 2, 0)), [t])


def test_padding_layer_messages():
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match="ReflectionPad2d: input must be 3-D or 4-D, got 2-D"):
        nn.ReflectionPad2d(1)(juanji.ones(3, 3))
    with pytest.raises(ValueError, match="pad: 'reflect' needs each pad < the dimension size"):
        nn.ReflectionPad1d(3)(juanji.ones(1, 3))
