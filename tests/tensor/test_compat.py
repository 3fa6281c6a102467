"""The torch surface real scripts use: trigonometry, new_*, Size, type names, legacy
constructors, Variable, meshgrid, normal, comparisons, axis swaps, juanji.cuda; against torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.reference import compare_op, torch

import juanji
from juanji.testing import gradcheck

TRIG = ["sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan"]


@pytest.mark.parametrize("name", TRIG)
@given(data=st.data())
def test_trig_matches_torch(name, data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-0.9375, 0.9375, width=32)))
    compare_op(getattr(juanji, name), getattr(torch, name), [x])
    compare_op(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])


@pytest.mark.parametrize("name", TRIG)
def test_trig_gradcheck(name):
    x = juanji.tensor(np.linspace(-0.8, 0.8, 6), requires_grad=True)
    assert gradcheck(getattr(juanji, name), (x,))


def test_trig_hand_values():
    x = juanji.tensor([0.0, np.pi / 2])
    assert juanji.sin(x).tolist() == pytest.approx([0.0, 1.0], abs=1e-6)
    assert juanji.cosh(juanji.tensor([0.0])).item() == 1.0
    assert juanji.tensor([1, 2]).sin().dtype == juanji.float32  # integers become float


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (2, 3), (2, 1, 4)])
def test_meshgrid_matches_torch(indexing, sizes):
    arrays = [np.arange(n, dtype=np.float64) * (k + 1) + 0.5 for k, n in enumerate(sizes)]
    compare_op(
        lambda *t: juanji.meshgrid(*t, indexing=indexing),
        lambda *t: torch.meshgrid(*t, indexing=indexing),
        arrays,
    )


def test_meshgrid_errors_and_default():
    with pytest.warns(UserWarning, match="indexing"):
        a, _ = juanji.meshgrid(juanji.arange(2), juanji.arange(3))
    assert a.shape == (2, 3)
    with pytest.raises(RuntimeError, match="meshgrid: indexing must be 'ij' or 'xy', got 'yx'"):
        juanji.meshgrid(juanji.arange(2), indexing="yx")
    with pytest.raises(RuntimeError, match="meshgrid: expected 0-D or 1-D tensors, argument 0"):
        juanji.meshgrid(juanji.zeros(2, 2), indexing="ij")


def test_normal_forms_shapes_and_statistics():
    juanji.manual_seed(0)
    sample = juanji.normal(2.0, 3.0, size=(20000,))
    assert sample.dtype == juanji.float32
    assert abs(sample.mean().item() - 2.0) < 0.1 and abs(sample.std().item() - 3.0) < 0.1
    mean = juanji.arange(4.0)
    assert juanji.normal(mean, 0.0).tolist() == [0.0, 1.0, 2.0, 3.0]  # std 0: exactly the mean
    assert juanji.normal(0.0, juanji.ones(2, 3)).shape == (2, 3)
    assert juanji.normal(0, 1, (2, 1), requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="normal: with float mean and std, give size="):
        juanji.normal(0.0, 1.0)
    with pytest.raises(RuntimeError, match="normal: std must be >= 0"):
        juanji.normal(juanji.zeros(2), -1.0)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_functions_match_torch(name):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    got = getattr(juanji, name)(juanji.tensor(a), juanji.tensor(b))
    want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert got.tolist() == want.tolist() and got.dtype == juanji.bool
    assert getattr(juanji, name)(juanji.tensor(a), 2.0).tolist() == (
        getattr(torch, name)(torch.tensor(a), 2.0).tolist()
    )


def test_logic_operators_match_torch():
    a, b = [True, False, True], [True, True, False]
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        assert op(juanji.tensor(a), juanji.tensor(b)).tolist() == (
            op(torch.tensor(a), torch.tensor(b)).tolist()
        )
    assert (~juanji.tensor([1, 2])).tolist() == (~torch.tensor([1, 2])).tolist()
    with pytest.raises(NotImplementedError, match="&: needs bool or integer tensors"):
        juanji.ones(2) & juanji.ones(2)


@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=3), data=st.data())
def test_swapaxes_and_movedim_match_torch(shape, data):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    n = len(shape)
    a, b = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    compare_op(lambda t: t.swapaxes(a, b), lambda t: t.swapaxes(a, b), [x])
    compare_op(lambda t: juanji.moveaxis(t, a, b), lambda t: torch.moveaxis(t, a, b), [x])
    src = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    dst = data.draw(st.permutations(range(n)))[: len(src)]
    compare_op(lambda t: t.movedim(src, dst), lambda t: t.movedim(src, dst), [x])


def test_movedim_error():
    with pytest.raises(
        RuntimeError, match="movedim: source .* and destination .* must have the same"
    ):
        juanji.zeros(2, 3).movedim((0, 1), (1,))


def test_new_factories_follow_torch():
    for lib in (juanji, torch):
        x = lib.zeros(2, dtype=lib.float64)
        assert x.new_tensor([1, 2]).dtype == lib.float64
        assert x.new_zeros(2, 3).shape == (2, 3) and x.new_ones((1,)).tolist() == [1.0]
        assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
        assert x.new_empty(3).shape == (3,)
        assert x.new_zeros(2, dtype=lib.int64).dtype == lib.int64
        assert x.new_tensor([1.0], requires_grad=True).requires_grad
    source = juanji.tensor([1.0, 2.0])
    copy = source.new_tensor(source)
    copy[0] = 5.0
    assert source.tolist() == [1.0, 2.0]  # new_tensor copies


def test_squeeze_and_unsqueeze_in_place():
    for lib in (juanji, torch):
        x = lib.zeros(1, 3, 1)
        assert x.squeeze_() is x and x.shape == (3,)
        x.unsqueeze_(-1)
        assert x.shape == (3, 1)
        x.squeeze_(1)
        assert x.shape == (3,)
    w = juanji.ones(1, 3, requires_grad=True)
    y = w * 2
    y.squeeze_(0)
    y.sum().backward()
    assert w.grad.shape == (1, 3) and w.grad.tolist() == [[2.0, 2.0, 2.0]]


def test_size_is_a_tuple_with_numel():
    shape = juanji.zeros(2, 3, 4).shape
    assert isinstance(shape, tuple) and isinstance(shape, juanji.Size)
    assert shape == (2, 3, 4) and shape == torch.Size([2, 3, 4]) and list(shape) == [2, 3, 4]
    assert isinstance(shape[1:], juanji.Size) and shape[1:].numel() == 12
    assert isinstance((1, 1) + shape, juanji.Size) and (1, 1) + shape == (1, 1, 2, 3, 4)
    assert repr(shape) == "(2, 3, 4)" and f"{shape}" == "(2, 3, 4)"
    assert juanji.zeros(2).size() == (2,) and isinstance(juanji.zeros(2).size(), juanji.Size)


def test_factories_take_size_keyword():
    for lib in (juanji, torch):
        for fn in (lib.zeros, lib.ones, lib.empty, lib.rand, lib.randn):
            assert fn(size=(2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="zeros: give the size either positionally or as size="):
        juanji.zeros(2, size=(2,))


def test_axis_alias_matches_torch():
    x = np.arange(6.0).reshape(2, 3)
    for fn in (
        lambda t: t.sum(axis=1),
        lambda t: t.mean(axis=0),
        lambda t: t.argmax(axis=1),
        lambda t: t.argmin(axis=0),
    ):
        assert fn(juanji.tensor(x)).tolist() == fn(torch.tensor(x)).tolist()


@pytest.mark.parametrize(
    ("dtype", "name"),
    [
        ("float32", "torch.FloatTensor"),
        ("float64", "torch.DoubleTensor"),
        ("int64", "torch.LongTensor"),
        ("int32", "torch.IntTensor"),
        ("bool", "torch.BoolTensor"),
        ("uint8", "torch.ByteTensor"),
    ],
)
def test_type_names_are_torchs(dtype, name):
    x = np.zeros(2, dtype=dtype)
    assert juanji.tensor(x).type() == torch.tensor(x).type() == name
    assert juanji.zeros(2).type(name).dtype == getattr(juanji, dtype if dtype != "bool" else "bool")


def test_type_casts_by_class_and_refuses_unknown_names():
    assert juanji.zeros(2).type(juanji.LongTensor).dtype == juanji.int64
    assert juanji.zeros(2).type(juanji.float64).dtype == juanji.float64
    with pytest.raises(ValueError, match="type: invalid type 'torch.Nonsense'"):
        juanji.zeros(2).type("torch.Nonsense")


@pytest.mark.parametrize(
    "name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]
)
def test_legacy_constructors_match_torch(name):
    data = [[1, 0], [3, 1]]
    got, want = getattr(juanji, name)(data), getattr(torch, name)(data)
    assert got.tolist() == want.tolist() and got.type() == want.type()
    assert getattr(juanji, name)(2, 3).shape == getattr(torch, name)(2, 3).shape == (2, 3)
    assert getattr(juanji, name)().shape == getattr(torch, name)().shape == (0,)
    assert isinstance(got, getattr(juanji, name)) and isinstance(got, juanji.Tensor)
    source = juanji.tensor([1.0])
    assert getattr(juanji, name)(source) is not source  # a copy


def test_legacy_constructor_isinstance_and_errors():
    assert isinstance(juanji.zeros(2), juanji.FloatTensor)
    assert not isinstance(juanji.zeros(2), juanji.LongTensor)
    assert not isinstance([1.0], juanji.FloatTensor)
    with pytest.raises(TypeError, match="LongTensor: expected data .* or sizes as ints, got 2"):
        juanji.LongTensor([1], [2])


def test_variable_returns_a_tensor():
    from juanji.autograd import Variable

    x = Variable(juanji.ones(2), requires_grad=True)
    assert type(x) is juanji.Tensor and x.requires_grad and x.is_leaf
    assert isinstance(x, Variable)
    plain = juanji.ones(2)
    assert Variable(plain) is plain  # no copy, as torch
    assert Variable([1.0, 2.0]).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="Variable: volatile=True was removed; use"):
        Variable(plain, volatile=True)


def test_cuda_module_without_gpu():
    assert juanji.cuda.is_available() is torch.cuda.is_available() is False
    assert juanji.cuda.device_count() == torch.cuda.device_count() == 0
    juanji.cuda.manual_seed(0)
    juanji.cuda.manual_seed_all(0)
    juanji.cuda.synchronize()
    juanji.cuda.empty_cache()
    for fn in (juanji.cuda.current_device, juanji.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="juanji.cuda: no GPU is available"):
            fn()


def test_device_flags_and_cuda_device_objects():
    x = juanji.zeros(2)
    assert (x.is_cuda, x.is_xpu, x.is_mps, x.is_meta, x.get_device()) == (
        False, False, False, False, -1,
    )  # fmt: skip
    gpu = juanji.device("cuda")
    assert gpu.type == "cuda" and str(juanji.device("cuda:1")) == "cuda:1"
    with pytest.raises(RuntimeError, match="device 'cuda' needs CuPy and an NVIDIA GPU"):
        x.to(gpu)


def test_utils_data_gives_the_data_packages_classes():
    # juanji.utils.data is its own module since issue 28; its names are juanji.data's objects.
    from juanji.utils import data

    assert data.DataLoader is juanji.data.DataLoader
    assert data.TensorDataset is juanji.data.TensorDataset


def test_numpy_scalars_become_0d_arrays():
    total = juanji.tensor([1, 2, 3]).sum()
    total += juanji.tensor(4)
    assert total.item() == 10 and total.shape == ()


def test_masked_fill_function_matches_torch():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    compare_op(
        lambda t: juanji.masked_fill(t, juanji.tensor(x > 0.4), -3.0),
        lambda t: torch.masked_fill(t, torch.tensor(x > 0.4), -3.0),
        [x],
    )
