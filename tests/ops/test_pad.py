"""pad: every mode vs PyTorch (asymmetric, negative in constant mode), gradcheck, hand cases."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional


@st.composite
def constant_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    n_pairs = draw(st.integers(1, len(shape)))
    pad = []
    for n in reversed(shape[len(shape) - n_pairs :]):  # last dim first, as F.pad lists them
        before = draw(st.integers(-n, 3))
        after = draw(st.integers(-(n + before) if before < 0 else -n, 3))
        pad += [before, after]
    assume(
        all(
            n + pad[2 * i] + pad[2 * i + 1] >= 0
            for i, n in enumerate(reversed(shape[len(shape) - n_pairs :]))
        )
    )
    return shape, tuple(pad), draw(st.sampled_from([0.0, -1.5]))


@settings(max_examples=50)
@given(
    case=constant_cases(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99)
)
def test_pad_constant_matches_torch(xp, case, dtype, seed):
    shape, pad, value = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    compare_op(
        lambda t: F.pad(t, pad, value=value), lambda t: TF.pad(t, pad, value=value), [x], xp=xp
    )


@st.composite
def mode_cases(draw):
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    n_pairs = draw(st.integers(1, 3))
    batched = draw(st.booleans())  # PyTorch: n_pairs + 1 (unbatched) or + 2 (batched) dims
    lead = (draw(st.integers(1, 2)),) * (1 + batched)
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(n_pairs))
    limit = {"reflect": lambda n: n - 1, "replicate": lambda n: 3, "circular": lambda n: n}[mode]
    pad = []
    for n in reversed(spatial):
        pad += [draw(st.integers(0, limit(n))), draw(st.integers(0, limit(n)))]
    return mode, lead + spatial, tuple(pad)


@settings(max_examples=60)
@given(case=mode_cases(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_pad_modes_match_torch(xp, case, dtype, seed):
    mode, shape, pad = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    compare_op(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), [x], xp=xp)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_on_any_rank_match_torch_after_reshape(xp, mode):
    # juanji pads one trailing dim of a 4-D input, which PyTorch refuses; fold the leading dims
    # into one so that PyTorch accepts the same computation.
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    compare_op(
        lambda t: F.pad(t, (2, 3), mode=mode),
        lambda t: TF.pad(t.reshape(6, 4, 5), (2, 3), mode=mode).reshape(2, 3, 4, 10),
        [x],
        xp=xp,
    )


@pytest.mark.parametrize(
    ("mode", "pad"),
    [
        ("constant", (2, -1, -1, 1)),
        ("reflect", (1, 2, 0, 1)),
        ("replicate", (3, 0, 1, 2)),
        ("circular", (1, 3, 2, 0)),
    ],
)
def test_pad_gradcheck_full(mode, pad):
    x = juanji.tensor(np.random.default_rng(2).standard_normal((1, 3, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), (x,), mode="full")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck_random_3d(mode):
    x = juanji.tensor(np.random.default_rng(3).standard_normal((2, 2, 4, 5, 3)), requires_grad=True)
    pad = (1, 2, 3, 0, 2, 2)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), (x,), mode="random")


def test_pad_hand_examples():
    x = juanji.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert F.pad(x, (2, 2)).tolist() == [[0, 0, 1, 2, 3, 0, 0]]
    assert F.pad(x, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert F.pad(x, (2, 2), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 3, 3]]
    assert F.pad(x, (2, 2), mode="circular").tolist() == [[2, 3, 1, 2, 3, 1, 2]]
    assert F.pad(x, (-1, 1), value=7.0).tolist() == [[2, 3, 7]]
    # Backward counts how often each input cell was copied: reflect uses x[0] twice, x[1] three
    # times, x[2] twice; a cropped cell gets nothing.
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    assert x.grad.tolist() == [[2, 3, 2]]
    x.grad = None
    F.pad(x, (-1, 2), value=5.0).sum().backward()
    assert x.grad.tolist() == [[0, 1, 1]]


def test_pad_preserves_dtype_and_accepts_non_contiguous_input():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = juanji.tensor(base.T.copy(), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = F.pad(juanji.Tensor(base.T), (1, 1, 2, 1), mode=mode)  # a transposed view
        expected = TF.pad(torch.from_numpy(base.T.copy())[None], (1, 1, 2, 1), mode=mode)[0]
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
        z = F.pad(x, (1, 1, 2, 1), mode=mode)
        z.sum().backward()
        assert z.dtype == juanji.float32 and x.grad.dtype == juanji.float32
    ints = juanji.tensor([[1, 2]])
    assert F.pad(ints, (1, 0)).tolist() == [[0, 1, 2]] and F.pad(ints, (1, 0)).dtype == ints.dtype
