"""``juanji.nn.init``'s other half: eye_, dirac_, orthogonal_, sparse_ and the deprecated names."""

import warnings

import numpy as np
import pytest

import juanji
from juanji.nn import init
from reference import torch

TI = torch.nn.init


def test_init_has_every_public_name_of_torch():
    names = {
        n
        for n in dir(TI)
        if not n.startswith("_") and getattr(getattr(TI, n), "__module__", "") == "torch.nn.init"
    }
    assert len(names) == 26
    assert names <= set(init.__all__)
    assert all(callable(getattr(init, n)) for n in names)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (4, 1)])
def test_eye_matches_torch(shape):
    ours = init.eye_(juanji.full(shape, 7.0)).numpy()
    np.testing.assert_array_equal(ours, TI.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((4, 4, 3), 1), ((6, 3, 3, 3), 1), ((3, 6, 5, 4), 1), ((4, 2, 3, 3), 2), ((6, 1, 3, 3, 3), 3)],
)
def test_dirac_matches_torch(shape, groups):
    ours = init.dirac_(juanji.full(shape, 7.0), groups).numpy()
    np.testing.assert_array_equal(ours, TI.dirac_(torch.empty(shape), groups).numpy())


def test_dirac_convolution_copies_its_input():
    x = juanji.randn(1, 3, 5, 5)
    weight = init.dirac_(juanji.empty(3, 3, 3, 3))
    out = juanji.nn.functional.conv2d(x, weight, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("fn", "args", "message"),
    [
        (init.eye_, ((2, 2, 2),), "Only tensors with 2 dimensions are supported"),
        (init.dirac_, ((2, 2),), "Only tensors with 3, 4, or 5 dimensions are supported"),
        (init.orthogonal_, ((5,),), "Only tensors with 2 or more dimensions are supported"),
        (init.sparse_, ((2, 2, 2), 0.5), "Only tensors with 2 dimensions are supported"),
    ],
)
def test_dimension_errors_as_torch(fn, args, message):
    shape, *rest = args
    with pytest.raises(ValueError, match=message):
        getattr(TI, fn.__name__)(torch.empty(shape), *rest)
    with pytest.raises(ValueError, match=message):
        fn(juanji.empty(*shape), *rest)


def test_dirac_groups_error_as_torch():
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        TI.dirac_(torch.empty(3, 1, 3), groups=2)
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(juanji.empty(3, 1, 3), groups=2)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (8, 2), (6, 3, 3, 3)])
@pytest.mark.parametrize("dtype", [juanji.float32, juanji.float64])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape, dtype):
    w = init.orthogonal_(juanji.empty(*shape, dtype=dtype), gain=2.0).numpy()
    assert w.dtype == dtype.np_dtype
    matrix = w.reshape(shape[0], -1) / 2.0
    small = min(matrix.shape)
    gram = matrix @ matrix.T if matrix.shape[0] == small else matrix.T @ matrix
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_orthogonal_is_random_and_follows_the_generator():
    g1, g2 = juanji.Generator().manual_seed(3), juanji.Generator().manual_seed(3)
    a = init.orthogonal_(juanji.empty(4, 4), generator=g1).numpy()
    b = init.orthogonal_(juanji.empty(4, 4), generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, init.orthogonal_(juanji.empty(4, 4)).numpy())
    assert init.orthogonal_(juanji.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize(("rows", "sparsity"), [(10, 0.3), (7, 0.5), (5, 0.0), (4, 1.0)])
def test_sparse_zeros_per_column_as_torch(rows, sparsity):
    juanji.manual_seed(0)
    ours = init.sparse_(juanji.empty(rows, 6), sparsity, std=0.5).numpy()
    theirs = TI.sparse_(torch.empty(rows, 6), sparsity, std=0.5).numpy()
    np.testing.assert_array_equal((ours == 0).sum(0), (theirs == 0).sum(0))


def test_sparse_keeps_the_standard_deviation():
    juanji.manual_seed(0)
    w = init.sparse_(juanji.empty(400, 200), 0.25, std=0.1).numpy()
    assert np.std(w[w != 0]) == pytest.approx(0.1, rel=0.02)
    assert np.mean(w == 0) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("old", "args"),
    [
        ("uniform", ()),
        ("normal", ()),
        ("constant", (0.5,)),
        ("eye", ()),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
        ("sparse", (0.5,)),
    ],
)
def test_deprecated_names_warn_as_torch_and_fill(old, args):
    message = rf"`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`\."
    with pytest.warns(FutureWarning, match=message):
        getattr(TI, old)(torch.empty(4, 3), *args)
    with pytest.warns(FutureWarning, match=message):
        out = getattr(init, old)(juanji.full((4, 3), 7.0), *args)
    assert out.shape == (4, 3) and not bool((out == 7.0).all())


def test_deprecated_dirac_fills_like_dirac_():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours = init.dirac(juanji.empty(2, 2, 3)).numpy()
    np.testing.assert_array_equal(ours, init.dirac_(juanji.empty(2, 2, 3)).numpy())
