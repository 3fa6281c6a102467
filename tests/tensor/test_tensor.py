"""Tensor: creation rules, dtype promotion, metadata, conversion, in-place rules, repr."""

import copy
import pickle

import numpy as np
import pytest

import juanji


def test_default_dtypes_follow_pytorch():
    assert juanji.tensor([1.0]).dtype == juanji.float32
    assert juanji.tensor([1]).dtype == juanji.int64
    assert juanji.tensor([True]).dtype == juanji.bool
    assert juanji.tensor(np.zeros(2)).dtype == juanji.float64  # arrays keep their dtype
    assert juanji.tensor([1, 2], dtype=juanji.float64).dtype == juanji.float64


@pytest.mark.parametrize("dtype", [juanji.float32, juanji.float64])
def test_python_scalars_never_widen_float_tensors(dtype):
    x = juanji.ones(3, dtype=dtype)
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3, x - np.float64(1.0), x**2, 1 / x, 2.0**x):
        assert y.dtype == dtype


def test_promotion_between_tensors():
    f32, f64 = juanji.ones(2), juanji.ones(2, dtype=juanji.float64)
    i64 = juanji.tensor([1, 2])
    assert (f32 + f64).dtype == juanji.float64
    assert (i64 + f32).dtype == juanji.float32
    assert (i64 * 2.5).dtype == juanji.float32  # NumPy would say float64
    assert (i64 / 2).dtype == juanji.float32  # true division of ints gives floats
    assert (
        f32 * juanji.tensor(2.0, dtype=juanji.float64)
    ).dtype == juanji.float32  # 0-d acts as scalar
    assert (i64 + 1).dtype == juanji.int64


def test_metadata():
    x = juanji.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.size(1) == 3
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert x.is_leaf and x.grad_fn is None and not x.requires_grad
    assert str(x.device) == "cpu" and x.device == "cpu"
    assert x.is_floating_point() and x.element_size() == 4
    assert x.type() == "torch.FloatTensor"


def test_item_numpy_detach_semantics():
    loss = (juanji.tensor([1.0, 2.0], requires_grad=True) * 2).sum()
    value = loss.detach().item()
    assert isinstance(value, float) and value == 6.0
    assert loss.detach().grad_fn is None and not loss.detach().requires_grad
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        loss.numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        juanji.zeros(2).item()


def test_numpy_and_from_numpy_share_memory():
    a = np.zeros(3, dtype=np.float32)
    t = juanji.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5
    t.numpy()[1] = 7
    assert a[1] == 7
    assert juanji.tensor(a)._data is not a  # tensor() copies


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        juanji.tensor([1, 2], requires_grad=True)
    x = juanji.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_inplace_on_leaf_requiring_grad_is_refused_outside_no_grad():
    w = juanji.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.add_(1)
    with juanji.no_grad():
        w.sub_(juanji.tensor([0.5, 0.25]), alpha=2)
        w.mul_(2)
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 1.0])
    assert w.requires_grad


def test_inplace_methods_keep_dtype_and_identity():
    x = juanji.ones(3)
    y = x.add_(np.float64(0.5)).mul_(2.0).div_(3).clamp_(0, 0.9)
    assert y is x and x.dtype == juanji.float32
    np.testing.assert_allclose(x.numpy(), [0.9] * 3)
    x.zero_()
    assert x.sum().item() == 0
    x.fill_(2).copy_(juanji.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_augmented_assignment_is_inplace_without_graph_and_out_of_place_with():
    x = juanji.ones(2)
    alias = x
    x += 1
    assert alias is x and x.tolist() == [2.0, 2.0]
    w = juanji.ones(2, requires_grad=True)
    h = w * 1
    h += 1  # out of place: the graph stays correct
    h.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_setitem_and_getitem():
    x = juanji.zeros(3, 4)
    x[1] = 5.0
    x[:, 0] = juanji.tensor([1.0, 2.0, 3.0])
    assert x[1, 2].item() == 5.0 and x[2, 0].item() == 3.0
    assert x[juanji.tensor([0, 2])].shape == (2, 4)
    assert x[x > 2].tolist() == [5.0, 5.0, 5.0, 3.0]
    w = juanji.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0


def test_advanced_index_gradient_accumulates_repeats():
    x = juanji.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[juanji.tensor([0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]
    y = juanji.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y[y > 0].sum().backward()
    assert y.grad.tolist() == [1.0, 0.0, 1.0]


def test_reshape_errors_are_clear():
    x = juanji.zeros(2, 3)
    assert x.view(3, -1).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    with pytest.raises(RuntimeError, match=r"shape \[4, -1\] is invalid for input of size 6"):
        x.reshape(4, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(
        IndexError,
        match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
    ):
        x.sum(2)


def test_shape_methods():
    x = juanji.arange(24).reshape(2, 3, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert juanji.zeros(1, 3, 1).squeeze().shape == (3,)
    assert juanji.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert juanji.zeros(3, 1).expand(2, 3, 4).shape == (2, 3, 4)
    assert juanji.zeros(3, 1).expand(-1, 5).shape == (3, 5)
    assert [t.shape for t in x.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [t.shape for t in x.chunk(3, dim=1)] == [(2, 1, 4)] * 3
    assert x.T.shape == (4, 3, 2) and juanji.zeros(2, 5).t().shape == (5, 2)
    with pytest.raises(RuntimeError, match="cannot expand"):
        juanji.zeros(3, 2).expand(3, 4)


def test_reductions_and_argmax():
    x = juanji.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    assert x.sum().item() == 22.0 and x.sum(0).tolist() == [8.0, 5.0, 9.0]
    assert x.mean(1, keepdim=True).shape == (2, 1)
    assert x.argmax().item() == 3  # first of the tied maxima, flattened
    assert x.argmax(1).tolist() == [1, 0]
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max().item() == 7.0 and x.min().item() == 0.0
    with pytest.raises(RuntimeError, match="floating point"):
        juanji.tensor([1, 2]).mean()


def test_full_max_splits_gradient_among_ties_like_pytorch():
    x = juanji.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]


def test_comparisons_return_bool_tensors_and_tensors_stay_hashable():
    x = juanji.tensor([1.0, 2.0])
    assert (x == 1).dtype == juanji.bool and (x > 1).tolist() == [False, True]
    assert {x: 1}[x] == 1
    assert x.equal(juanji.tensor([1.0, 2.0])) and juanji.allclose(x, x + 1e-9)


def test_repr_matches_pytorch_style():
    assert repr(juanji.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(juanji.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(juanji.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(juanji.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "dtype=juanji.float64" in repr(juanji.zeros(1, dtype=juanji.float64))
    assert f"{juanji.tensor(0.123456):.3f}" == "0.123"


def test_python_protocols():
    x = juanji.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2 and [r.tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(juanji.tensor(2.5)) == 2.5 and int(juanji.tensor(3)) == 3
    assert list(range(10))[juanji.tensor(3)] == 3
    assert np.asarray(x).shape == (2, 2)
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    assert (np.ones(2, dtype=np.float32) * juanji.ones(2)).dtype == juanji.float32


def test_copy_and_pickle_keep_values_and_flags():
    w = juanji.tensor([1.0, 2.0], requires_grad=True)
    c = copy.deepcopy(w)
    assert c.requires_grad and c.tolist() == [1.0, 2.0] and c._data is not w._data
    p = pickle.loads(pickle.dumps(w))
    assert p.requires_grad and p.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(w * 2)


def test_to_and_casts():
    x = juanji.tensor([1.5, 2.5], requires_grad=True)
    y = x.to(juanji.float64)
    assert y.dtype == juanji.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == juanji.float32
    assert x.long().dtype == juanji.int64 and x.detach().int().tolist() == [1, 2]
    assert x.to("cpu") is x
    assert x.to(juanji.zeros(1, dtype=juanji.float64)).dtype == juanji.float64
    with pytest.raises(TypeError, match="unsupported dtype"):
        x.to(np.complex64)


def test_broadcast_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"shapes \(2, 3\) and \(4,\) do not broadcast"):
        juanji.zeros(2, 3) + juanji.zeros(4)


def test_matmul_error_names_shapes():
    with pytest.raises(
        RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"
    ):
        juanji.zeros(2, 3) @ juanji.zeros(4, 5)


def test_tensor_files_import_only_downwards():
    # _base <- method families (_shape, _reduce, _inplace) <- tensor.py: no file below
    # tensor.py imports it, even for type checking, so mypy checks each on its own.
    import ast  # noqa: PLC0415
    import pathlib  # noqa: PLC0415

    folder = pathlib.Path(juanji.__file__).parent / "tensor"
    for name in ("_base", "_shape", "_reduce", "_inplace", "_args", "_printing"):
        tree = ast.parse((folder / f"{name}.py").read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "juanji.tensor.tensor" not in imported, name
    from juanji.tensor._base import TensorBase  # noqa: PLC0415

    assert issubclass(juanji.Tensor, TensorBase)


def test_results_of_a_parameter_are_plain_tensors():
    p = juanji.nn.Parameter(juanji.ones(2))
    for result in (p * 2, p.reshape(1, 2), p.sum(), p.max(0).values):
        assert type(result) is juanji.Tensor
