"""Max and average pooling with the compiled kernels (``juanji[fast]``) on and off.

``test_pool.py`` runs the default path (compiled where it applies, when Numba is installed);
here each case runs both ways in one process against PyTorch, forward, indices and gradient,
plus float64 gradcheck, on NCHW and batch-last inputs. Without Numba the "numba" half skips.
"""

import numpy as np
import pytest

import juanji
import juanji.nn.functional.pooling as P
from juanji._ops import compiled
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional

CASES = {
    "max 3x3 s2 p1": ("max_pool2d", (3, 4, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    "max 2x2": ("max_pool2d", (3, 2, 8, 6), {"kernel_size": 2}),
    "max dilated ceil": (
        "max_pool2d",
        (2, 3, 9, 9),
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
    ),
    "max (3, 2) s1": ("max_pool2d", (2, 2, 6, 7), {"kernel_size": (3, 2), "stride": 1}),
    "max 1d": ("max_pool1d", (3, 2, 11), {"kernel_size": 3, "stride": 2, "padding": 1}),
    "avg 3x3 s2 p1": ("avg_pool2d", (3, 4, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    "avg no pad count, ceil": (
        "avg_pool2d",
        (2, 3, 8, 7),
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
    ),
    "avg override": (
        "avg_pool2d",
        (2, 2, 7, 7),
        {"kernel_size": 2, "stride": 1, "padding": 1, "divisor_override": 3},
    ),
    "avg 1d": ("avg_pool1d", (3, 2, 9), {"kernel_size": 3, "stride": 1, "padding": 1}),
}
MODES = pytest.mark.parametrize("mode", ["numba", "numpy"])


@pytest.fixture
def mode_on(mode, monkeypatch):
    if mode == "numba" and not compiled._numba_importable():
        pytest.skip("Numba is not installed (pip install 'juanji[fast]')")
    monkeypatch.setitem(compiled._state, "enabled", mode == "numba")
    return mode


def _batch_last(x):
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)), -1, 0)


@MODES
@pytest.mark.parametrize("layout", ["nchw", "batch_last"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_pool_matches_torch(mode_on, name, dtype, layout):
    fn, shape, kwargs = CASES[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    if layout == "batch_last":
        x = _batch_last(x)
    compare_op(lambda t: getattr(P, fn)(t, **kwargs), lambda t: getattr(TF, fn)(t, **kwargs), [x])


@MODES
@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("max")])
def test_max_pool_indices_match_torch(mode_on, name):
    fn, shape, kwargs = CASES[name]
    x = np.random.default_rng(1).standard_normal(shape)
    x[..., ::3] = 0.5  # ties
    compare_op(
        lambda t: getattr(P, fn)(t, **kwargs, return_indices=True),
        lambda t: getattr(TF, fn)(t, **kwargs, return_indices=True),
        [_batch_last(x)],
    )


@MODES
def test_max_pool_nan_inf_and_ties_like_numpy_path(mode_on):
    # The tie rule (first maximum wins, NaN propagates, all -inf windows point at their first
    # in-image pixel) is the NumPy path's; the compiled kernel gives the same values and indices.
    x = np.zeros((2, 3, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[0, 1] = -np.inf
    x[1, 2, :2, :2] = 7.0
    ours = P.max_pool2d(juanji.tensor(x), 3, 2, 1, return_indices=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(compiled._state, "enabled", False)
        reference = P.max_pool2d(juanji.tensor(x), 3, 2, 1, return_indices=True)
    for got, expected in zip(ours, reference, strict=True):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    theirs = TF.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())


@MODES
@pytest.mark.parametrize("name", list(CASES))
def test_pool_gradcheck(mode_on, name):
    fn, shape, kwargs = CASES[name]
    x = juanji.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: getattr(P, fn)(t, **kwargs), (x,), mode="random", seed=1)
