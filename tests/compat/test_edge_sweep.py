"""Edge cases of the public tensor API run on juanji and on PyTorch: same result or same error.

In the spirit of PyTorch's OpInfo "error inputs": each row of ``CASES`` is a function of the
library (``juanji`` or ``torch``) that builds its inputs and calls one public function on an
edge: empty tensors, zero and negative sizes, dimensions out of range, mixed dtypes, ties,
zeros, non-contiguous inputs, huge values. A row fails when the two libraries differ in the
result (shape, dtype, values, gradients) or in whether they raise, and in the kind of error
(RuntimeError, ValueError, TypeError, IndexError, NotImplementedError). Random factories
compare shapes and dtypes only (the streams differ by design). ``KNOWN`` lists the rows where
juanji differs on purpose (docs/pytorch-differences.md), run as strict xfails so that a fix
shows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import juanji

torch = pytest.importorskip("torch")

INF = float("inf")
X = [[1.0, -2.0, 3.0], [0.0, 2.0, -1.0]]  # no ties, a zero, both signs


def t(L: Any, values: Any, dtype: str = "float32", grad: bool = False) -> Any:
    """``values`` as a tensor of ``L`` (juanji or torch)."""
    return L.tensor(values, dtype=getattr(L, dtype), requires_grad=grad)


def grad_of(L: Any, values: Any, f: Callable[[Any], Any], dtype: str = "float64") -> Any:
    """``(f(x), d sum(f(x)) / dx)`` for ``x = values`` (float64 by default)."""
    x = t(L, values, dtype, grad=True)
    y = f(x)
    y.backward(L.ones_like(y))
    return y.detach(), x.grad


def grid(L: Any, *shape: int, dtype: str = "float32") -> Any:
    """``0, 1, 2...`` in ``shape``: distinct values, so no accidental ties."""
    return L.arange(math.prod(shape)).to(getattr(L, dtype)).reshape(shape)


def noncontiguous(L: Any) -> Any:
    """A (3, 2) transposed view: strides that are not C order."""
    return grid(L, 2, 3).t()


def F(L: Any) -> Any:  # noqa: N802 - PyTorch's alias for nn.functional
    return L.nn.functional


def bn_empty_stats(L: Any) -> Any:
    """An empty training batch leaves the running statistics and counts one batch."""
    bn = L.nn.BatchNorm2d(2)
    out = bn(L.ones(0, 2, 3, 3))
    return out.shape, bn.running_mean, bn.running_var, bn.num_batches_tracked


def loader(L: Any) -> Any:
    return torch.utils.data.DataLoader if L is torch else juanji.data.DataLoader


def bn_without_count(L: Any) -> Any:
    """Load a BatchNorm state_dict that has no ``num_batches_tracked`` (old checkpoints)."""
    source = L.nn.BatchNorm1d(3)
    state = {k: v for k, v in source.state_dict().items() if k != "num_batches_tracked"}
    target = L.nn.Sequential(L.nn.BatchNorm1d(3))
    with L.no_grad():
        target[0].num_batches_tracked.fill_(7)
    result = target.load_state_dict({f"0.{k}": v for k, v in state.items()})
    return list(result.missing_keys), list(result.unexpected_keys), target[0].num_batches_tracked


def conv_grads(L: Any, fn: str, shape: tuple[int, ...], weight: tuple[int, ...], **kw: Any) -> Any:
    """A convolution of an empty or small batch, with the gradients of all three inputs."""
    x = L.zeros(shape, requires_grad=True)
    w = L.ones(weight, requires_grad=True)
    b = L.ones(weight[0], requires_grad=True)
    y = getattr(L.nn.functional, fn)(x, w, b, **kw)
    y.sum().backward()
    return y.detach(), x.grad, w.grad, b.grad


# fmt: off
CASES: list[tuple[str, Callable[[Any], Any]]] = [
    # ---------------------------------------------------------------- factories
    ("zeros_empty", lambda L: L.zeros(0)),
    ("zeros_2x0", lambda L: L.zeros(2, 0)),
    ("zeros_negative", lambda L: L.zeros(2, -1)),
    ("ones_negative", lambda L: L.ones(-3)),
    ("empty_negative", lambda L: L.empty(-1)),
    ("full_negative", lambda L: L.full((-1,), 1.0)),
    ("full_bool", lambda L: L.full((2,), True)),
    ("full_int", lambda L: L.full((2,), 3)),
    ("full_float", lambda L: L.full((2, 1), 2.5)),
    ("ones_overflowing_bytes", lambda L: L.ones(2**62)),
    ("zeros_overflowing_bytes", lambda L: L.zeros(2**40, 2**40)),
    ("zeros_float_size", lambda L: L.zeros(2.0)),
    ("zeros_like_empty", lambda L: L.zeros_like(L.ones(0, 2))),
    ("arange_reversed", lambda L: L.arange(10, 0, 1)),
    ("arange_negative_step_up", lambda L: L.arange(0, 10, -1)),
    ("arange_negative_end", lambda L: L.arange(-1)),
    ("arange_empty", lambda L: L.arange(0, 0, 1)),
    ("arange_zero_step", lambda L: L.arange(0, 10, 0)),
    ("arange_int", lambda L: L.arange(5)),
    ("arange_float_step", lambda L: L.arange(0, 1, 0.25)),
    ("arange_float_down", lambda L: L.arange(1.0, 0.0, -0.25)),
    ("arange_float_inconsistent", lambda L: L.arange(1.0, 0.0, 0.5)),
    ("arange_nan", lambda L: L.arange(0, float("nan"))),
    ("arange_inf", lambda L: L.arange(0, INF)),
    ("arange_dtype", lambda L: L.arange(4, dtype=L.float64)),
    ("linspace_negative", lambda L: L.linspace(0, 1, -1)),
    ("linspace_zero", lambda L: L.linspace(0, 1, 0)),
    ("linspace_one", lambda L: L.linspace(0, 1, 1)),
    ("linspace_five", lambda L: L.linspace(-1, 1, 5)),
    ("eye_zero", lambda L: L.eye(0)),
    ("eye_negative", lambda L: L.eye(-1)),
    ("eye_rectangular", lambda L: L.eye(2, 3)),
    ("eye_negative_m", lambda L: L.eye(3, -1)),
    ("randperm_negative", lambda L: L.randperm(-1)),
    ("randperm_zero", lambda L: L.randperm(0)),
    ("randperm_float", lambda L: L.randperm(3.0)),
    ("randperm_sorted", lambda L: sorted(L.randperm(5).tolist())),
    ("randint_empty_range", lambda L: L.randint(3, 3, (2,))),
    ("randint_negative_size", lambda L: L.randint(0, 3, (-1,))),
    ("randint_shape", lambda L: (L.randint(0, 3, (2, 3)).shape, L.randint(0, 3, (2, 3)).dtype)),
    ("randn_negative", lambda L: L.randn(-1)),
    ("rand_negative", lambda L: L.rand(-2)),
    ("rand_empty_shape", lambda L: (L.rand(0, 3).shape, L.rand(0, 3).dtype)),
    ("randn_float64", lambda L: (L.randn(2, 3, dtype=L.float64).shape, L.randn(2).dtype)),
    ("tensor_int_past_int64", lambda L: L.tensor([2**70])),
    ("tensor_2_pow_63", lambda L: L.tensor([2**63])),
    ("tensor_int64_min", lambda L: L.tensor([-(2**63)])),
    ("tensor_int64_max", lambda L: L.tensor([2**63 - 1])),
    ("tensor_big_int_scalar", lambda L: L.tensor(2**70)),
    ("tensor_big_int_with_float", lambda L: L.tensor([1.0, 2**70])),
    ("tensor_big_int_float64", lambda L: L.tensor([2**70], dtype=L.float64)),
    ("tensor_empty_list", lambda L: L.tensor([])),
    ("tensor_ragged", lambda L: L.tensor([[1, 2], [3]])),
    ("tensor_bool_int", lambda L: L.tensor([True, 2])),
    ("tensor_int_float", lambda L: L.tensor([1, 2.5])),
    ("tensor_float_overflow_f32", lambda L: L.tensor([1e40])),
    ("manual_seed_past_64_bits", lambda L: L.manual_seed(2**70).initial_seed()),
    ("manual_seed_2_pow_64", lambda L: L.manual_seed(2**64).initial_seed()),
    ("manual_seed_max", lambda L: L.manual_seed(2**64 - 1).initial_seed()),
    ("manual_seed_minus_one", lambda L: L.manual_seed(-1).initial_seed()),
    ("manual_seed_int64_min", lambda L: L.manual_seed(-(2**63)).initial_seed()),
    ("manual_seed_below_int64", lambda L: L.manual_seed(-(2**63) - 1).initial_seed()),
    ("generator_seed_past_64_bits", lambda L: L.Generator().manual_seed(2**70).initial_seed()),
    # ---------------------------------------------------------------- reductions
    ("sum_empty", lambda L: L.ones(0).sum()),
    ("sum_dim_out_of_range", lambda L: L.ones(2).sum(1)),
    ("sum_negative_dim", lambda L: grid(L, 2, 3).sum(-1)),
    ("sum_noncontiguous", lambda L: noncontiguous(L).sum(0)),
    ("sum_int", lambda L: grid(L, 2, 3, dtype="int64").sum()),
    ("sum_bool", lambda L: L.tensor([True, True, False]).sum()),
    ("mean_empty", lambda L: L.ones(0).mean()),
    ("mean_int", lambda L: L.tensor([1, 2]).mean()),
    ("mean_empty_dim", lambda L: L.ones(0, 3).mean(0)),
    ("max_empty", lambda L: L.ones(0).max()),
    ("min_empty", lambda L: L.ones(0).min()),
    ("max_empty_dim0", lambda L: L.ones(0, 3).max(0)),
    ("max_empty_dim1", lambda L: L.ones(0, 3).max(1)),
    ("max_0d_dim", lambda L: L.tensor(3.0).max(0)),
    ("max_dim_out_of_range", lambda L: grid(L, 2, 3).max(2)),
    ("amax_empty", lambda L: L.ones(0).amax()),
    ("amax_empty_dim0", lambda L: L.ones(0, 3).amax(0)),
    ("amax_empty_dim1", lambda L: L.ones(0, 3).amax(1)),
    ("amin_empty_dim1", lambda L: L.ones(0, 3).amin(1)),
    ("amax_all_dims", lambda L: grid(L, 2, 3).amax(())),
    ("amax_int", lambda L: L.tensor([1, 3, 3]).amax()),
    ("amax_bool", lambda L: L.tensor([True, False]).amax()),
    ("amax_ties_grad", lambda L: grad_of(L, [[1., 3., 3.], [2., 2., 0.]], lambda x: x.amax())),
    ("amax_dim_ties_grad", lambda L: grad_of(L, [[1., 3., 3.], [2., 2., 0.]], lambda x: x.amax(1))),
    ("amax_dims_ties_grad",
     lambda L: grad_of(L, [[1., 3., 3.], [3., 2., 0.]], lambda x: x.amax((0, 1)))),
    ("amin_dim_ties_grad",
     lambda L: grad_of(L, [[1., 1., 3.], [0., 2., 0.]], lambda x: x.amin(1, keepdim=True))),
    ("amax_noncontiguous", lambda L: noncontiguous(L).amax(1)),
    ("max_ties_grad", lambda L: grad_of(L, [[1., 3., 3.], [2., 2., 0.]], lambda x: x.max())),
    ("max_dim_ties_grad",
     lambda L: grad_of(L, [[1., 3., 3.], [2., 2., 0.]], lambda x: x.max(1).values)),
    ("max_dim_ties_indices", lambda L: L.tensor([[1., 3., 3.], [2., 2., 0.]]).max(1)),
    ("min_dim_ties_indices", lambda L: L.tensor([[1., 1., 3.], [0., 2., 0.]]).min(1)),
    ("argmax_empty", lambda L: L.ones(0).argmax()),
    ("argmin_empty", lambda L: L.ones(0).argmin()),
    ("argmax_empty_dim0", lambda L: L.ones(0, 3).argmax(0)),
    ("argmax_empty_dim1", lambda L: L.ones(0, 3).argmax(1)),
    ("argmax_empty_keepdim", lambda L: L.ones(0, 3).argmax(1, keepdim=True)),
    ("argmax_0d", lambda L: L.tensor(3.0).argmax()),
    ("argmax_keepdim_all", lambda L: grid(L, 2, 3).argmax(keepdim=True)),
    ("argmax_ties_first", lambda L: L.tensor([1., 5., 5., 0.]).argmax()),
    ("argmin_ties_first", lambda L: L.tensor([[2., 0., 0.], [1., 1., 3.]]).argmin(1)),
    ("argmax_dim_out_of_range", lambda L: grid(L, 2, 3).argmax(-3)),
    ("norm_zero_vector_grad", lambda L: grad_of(L, [0., 0., 0.], lambda x: x.norm())),
    ("norm_zero_rows_grad",
     lambda L: grad_of(L, [[0., 0.], [3., 4.]], lambda x: x.norm(dim=1))),
    ("norm_p1_zero_grad", lambda L: grad_of(L, [0., -2., 2.], lambda x: x.norm(1))),
    ("norm_p3_zero_grad", lambda L: grad_of(L, [0., 0., 0.], lambda x: x.norm(3))),
    ("norm_p3_grad", lambda L: grad_of(L, [0., -2., 1.], lambda x: x.norm(3))),
    ("norm_p_half_grad", lambda L: grad_of(L, [0., -2., 2.], lambda x: x.norm(0.5))),
    ("norm_inf_ties_grad", lambda L: grad_of(L, [1., -2., 2.], lambda x: x.norm(INF))),
    ("norm_minus_inf_grad", lambda L: grad_of(L, [1., -2., 2.], lambda x: x.norm(-INF))),
    ("norm_fro_dim", lambda L: L.tensor([[3., 4.]]).norm("fro", dim=1)),
    ("norm_negative_p", lambda L: L.tensor([3., 4.]).norm(-2)),
    ("norm_zero_p", lambda L: L.tensor([1., 0., 3.]).norm(0)),
    ("norm_int", lambda L: L.tensor([3, 4]).norm()),
    ("norm_empty", lambda L: L.ones(0).norm()),
    ("norm_inf_empty", lambda L: L.ones(0).norm(INF)),
    ("norm_empty_dim", lambda L: L.ones(0, 3).norm(dim=0)),
    ("logsumexp_empty", lambda L: L.ones(0).logsumexp(0)),
    ("logsumexp_int", lambda L: L.tensor([1, 2]).logsumexp(0)),
    ("logsumexp_all_minus_inf", lambda L: L.tensor([-INF, -INF]).logsumexp(0)),
    ("var_two", lambda L: L.tensor([1., 3.]).var()),
    ("std_dim", lambda L: grid(L, 2, 3).std(1)),
    # ---------------------------------------------------------------- matrix products
    ("mm_3d", lambda L: L.mm(L.ones(2, 3, 4), L.ones(2, 4, 5))),
    ("mm_1d", lambda L: L.mm(L.ones(3), L.ones(3, 2))),
    ("mm_method_3d", lambda L: L.ones(2, 3, 4).mm(L.ones(4, 5))),
    ("mm_float32_float64", lambda L: L.mm(L.ones(2, 3), L.ones(3, 2, dtype=L.float64))),
    ("mm_int_float", lambda L: L.mm(L.ones(2, 3, dtype=L.int64), L.ones(3, 2))),
    ("mm_shape_mismatch", lambda L: L.mm(L.ones(2, 3), L.ones(4, 2))),
    ("mm_int", lambda L: L.mm(grid(L, 2, 3, dtype="int64"), grid(L, 3, 2, dtype="int64"))),
    ("mm_empty_inner", lambda L: L.mm(L.ones(2, 0), L.ones(0, 3))),
    ("mm_noncontiguous", lambda L: L.mm(noncontiguous(L), grid(L, 2, 2))),
    ("bmm_batch_mismatch", lambda L: L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 5))),
    ("bmm_inner_mismatch", lambda L: L.bmm(L.ones(2, 3, 4), L.ones(2, 3, 5))),
    ("bmm_2d", lambda L: L.bmm(L.ones(3, 4), L.ones(4, 5))),
    ("bmm_float64_float32", lambda L: L.bmm(L.ones(1, 2, 3, dtype=L.float64), L.ones(1, 3, 2))),
    ("bmm_int", lambda L: L.bmm(grid(L, 1, 2, 3, dtype="int64"), grid(L, 1, 3, 2, dtype="int64"))),
    ("bmm_empty_batch", lambda L: L.bmm(L.ones(0, 2, 3), L.ones(0, 3, 4))),
    ("matmul_float32_float64", lambda L: L.matmul(L.ones(2, 3), L.ones(3, 2, dtype=L.float64))),
    ("matmul_float32_int64", lambda L: L.matmul(L.ones(2, 3), L.ones(3, 2, dtype=L.int64))),
    ("matmul_operator_mixed", lambda L: L.ones(2, 3) @ L.ones(3, 2, dtype=L.float64)),
    ("matmul_int", lambda L: grid(L, 2, 3, dtype="int64") @ grid(L, 3, dtype="int64")),
    ("matmul_bool", lambda L: L.matmul(L.ones(2, 2, dtype=L.bool), L.ones(2, 2, dtype=L.bool))),
    ("matmul_0d", lambda L: L.matmul(L.tensor(1.0), L.ones(2))),
    ("matmul_vectors_mismatch", lambda L: L.matmul(L.ones(2), L.ones(3))),
    ("matmul_batch_not_broadcast", lambda L: L.matmul(L.ones(2, 2, 3), L.ones(3, 3, 4))),
    ("matmul_vector_matrix", lambda L: grid(L, 3) @ grid(L, 3, 2)),
    ("matmul_matrix_vector", lambda L: grid(L, 2, 3) @ grid(L, 3)),
    ("matmul_broadcast_batch", lambda L: grid(L, 2, 1, 2, 3) @ grid(L, 3, 3, 2)),
    ("matmul_grads", lambda L: grad_of(L, [[1., 2.], [3., 4.]], lambda x: x @ x.t())),
    # ---------------------------------------------------------------- split, chunk, shapes
    ("split_zero", lambda L: L.ones(4).split(0)),
    ("split_negative", lambda L: L.ones(4).split(-1)),
    ("split_zero_of_empty", lambda L: L.ones(0).split(0)),
    ("split_sizes_with_zero", lambda L: grid(L, 4).split([0, 4])),
    ("split_sizes_bad_sum", lambda L: L.ones(4).split([1, 2])),
    ("split_sizes_negative", lambda L: L.ones(4).split([2, -1, 3])),
    ("split_larger_than_dim", lambda L: grid(L, 4).split(5)),
    ("split_uneven", lambda L: grid(L, 5).split(2)),
    ("split_tuple", lambda L: grid(L, 4).split((2, 2))),
    ("split_dim_out_of_range", lambda L: L.ones(4).split(2, dim=1)),
    ("split_0d", lambda L: L.tensor(1.0).split(1)),
    ("split_float", lambda L: L.ones(4).split(2.0)),
    ("split_empty_dim", lambda L: L.ones(0, 2).split(1)),
    ("chunk_zero", lambda L: L.ones(4).chunk(0)),
    ("chunk_negative", lambda L: L.ones(4).chunk(-1)),
    ("chunk_three_of_four", lambda L: grid(L, 4).chunk(3)),
    ("chunk_six_of_five", lambda L: grid(L, 5).chunk(6)),
    ("chunk_empty", lambda L: L.ones(0, 2).chunk(3)),
    ("chunk_float", lambda L: L.ones(4).chunk(2.0)),
    ("chunk_0d", lambda L: L.tensor(1.0).chunk(1)),
    ("chunk_dim1", lambda L: grid(L, 2, 5).chunk(2, dim=1)),
    ("reshape_ambiguous_empty", lambda L: L.ones(0, 3).reshape(-1, 0)),
    ("view_bad_size", lambda L: L.ones(6).view(4, -1)),
    ("reshape_two_inferred", lambda L: L.ones(6).reshape(-1, -1)),
    ("reshape_empty", lambda L: L.ones(0, 3).reshape(3, 0, -1)),
    ("transpose_out_of_range", lambda L: L.ones(2, 3).transpose(0, 2)),
    ("unsqueeze_last", lambda L: grid(L, 2, 3).unsqueeze(2)),
    ("unsqueeze_out_of_range", lambda L: L.ones(2, 3).unsqueeze(4)),
    ("squeeze_out_of_range", lambda L: L.ones(2, 1).squeeze(2)),
    ("flatten_0d", lambda L: L.tensor(3.0).flatten()),
    ("cat_empty_list", lambda L: L.cat([])),
    ("cat_shape_mismatch", lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)])),
    ("cat_promotes", lambda L: L.cat([L.ones(2, dtype=L.int64), L.ones(1)])),
    ("cat_dim_out_of_range", lambda L: L.cat([L.ones(2), L.ones(2)], dim=1)),
    ("stack_shape_mismatch", lambda L: L.stack([L.ones(2), L.ones(3)])),
    ("index_out_of_range", lambda L: L.ones(2, 3)[5]),
    ("flip_noncontiguous", lambda L: noncontiguous(L).flip(0)),
    # ---------------------------------------------------------------- masks, where, dtypes
    ("where_float_mask", lambda L: L.where(L.tensor([1., 0.]), L.ones(2), L.zeros(2))),
    ("where_int_mask", lambda L: L.where(L.tensor([1, 0]), L.ones(2), L.zeros(2))),
    ("where_not_broadcast",
     lambda L: L.where(L.tensor([True, False]), L.ones(3), L.zeros(2))),
    ("where_scalars", lambda L: L.where(L.tensor([True, False]), 1.0, 0)),
    ("where_condition_only", lambda L: L.where(L.tensor([[0.0, 1.0], [2.0, 0.0]]))),
    ("where_condition_only_0d", lambda L: L.where(L.tensor(True))),
    ("where_int_scalars", lambda L: L.where(L.tensor([True, False]), 1, 0)),
    ("where_promotes",
     lambda L: L.where(L.tensor([True, False]), L.ones(2), L.zeros(2, dtype=L.float64))),
    ("where_int_tensor_float_scalar", lambda L: L.where(L.tensor([True, False]), L.tensor(1), 2.5)),
    ("where_grads", lambda L: grad_of(L, [1., -2.], lambda x: L.where(x > 0, x, x * 3))),
    ("masked_fill_float_mask", lambda L: L.ones(2).masked_fill(L.tensor([1., 0.]), 0)),
    ("masked_fill_int_mask", lambda L: L.ones(2).masked_fill(L.tensor([1, 0]), 0)),
    ("masked_fill_inplace_float_mask", lambda L: L.ones(2).masked_fill_(L.tensor([1., 0.]), 0)),
    ("masked_fill_broadcast_mask",
     lambda L: L.ones(2, 2).masked_fill(L.tensor([True, False]), 5.0)),
    ("masked_fill_bigger_mask",
     lambda L: L.ones(2).masked_fill(L.ones(2, 2, dtype=L.bool), 3.0)),
    ("masked_fill_0d_tensor_value",
     lambda L: L.ones(2).masked_fill(L.tensor([True, False]), L.tensor(3.0))),
    ("masked_fill_1d_tensor_value",
     lambda L: L.ones(2).masked_fill(L.tensor([True, False]), L.tensor([3.0]))),
    ("masked_fill_float_into_int",
     lambda L: L.ones(2, dtype=L.int64).masked_fill(L.tensor([True, False]), 2.7)),
    ("masked_fill_not_broadcast",
     lambda L: L.ones(2).masked_fill(L.tensor([True, False, True]), 2.5)),
    ("masked_fill_value_grad", lambda L: _masked_fill_value_grad(L)),
    ("add_not_broadcast", lambda L: L.ones(2) + L.ones(3)),
    ("int_true_division", lambda L: L.tensor([1, 2]) / L.tensor([2, 4])),
    ("int_plus_float_scalar", lambda L: L.tensor([1, 2]) + 0.5),
    ("float32_plus_0d_float64", lambda L: L.ones(2) + L.tensor(1.0, dtype=L.float64)),
    ("int_plus_0d_float", lambda L: L.tensor([1, 2]) + L.tensor(0.5)),
    ("sqrt_negative", lambda L: L.tensor([-1.0, 4.0]).sqrt()),
    ("log_zero", lambda L: L.tensor([0.0, 1.0]).log()),
    ("exp_int", lambda L: L.tensor([0, 1]).exp()),
    ("exp_overflow", lambda L: L.tensor([100.0, 0.0]).exp()),
    ("div_by_zero_scalar", lambda L: L.tensor([1.0, 0.0, -1.0]) / 0.0),
    ("div_by_zero_tensor", lambda L: L.tensor([1.0, 0.0]) / L.tensor([0.0, 0.0])),
    ("pow_negative_base_fraction", lambda L: L.tensor([-8.0, 8.0]) ** (1 / 3)),
    ("int_pow_negative", lambda L: L.tensor([2]) ** -1),
    ("int_floor_div_zero", lambda L: L.tensor([1]) // 0),
    ("int_remainder_zero", lambda L: L.tensor([1]) % 0),
    ("sqrt_grad_at_zero", lambda L: grad_of(L, [0., 4.], lambda x: x.sqrt())),
    ("log_grad_at_zero", lambda L: grad_of(L, [0., 1.], lambda x: x.log())),
    ("div_grad_by_zero", lambda L: grad_of(L, [1., 2.], lambda x: x / 0.0)),
    ("abs_grad_at_zero", lambda L: grad_of(L, [0., -1., 2.], lambda x: x.abs())),
    ("maximum_ties_grad",
     lambda L: grad_of(L, [1., 2.], lambda x: L.maximum(x, L.ones(2, dtype=L.float64)))),
    ("relu_grad_at_zero", lambda L: grad_of(L, [0., -1., 2.], lambda x: x.relu())),
    # ---------------------------------------------------------------- more of the tensor API
    ("softmax_empty", lambda L: L.ones(0, 3).softmax(1)),
    ("softmax_dim_oor", lambda L: L.ones(2, 3).softmax(2)),
    ("softmax_int", lambda L: L.tensor([1, 2]).softmax(0)),
    ("log_softmax_minus_inf", lambda L: L.tensor([-INF, 0.]).log_softmax(0)),
    ("softmax_all_minus_inf", lambda L: L.tensor([-INF, -INF]).softmax(0)),
    ("softmax_inf", lambda L: L.tensor([INF, 0.]).softmax(0)),
    ("clamp_no_bounds", lambda L: L.ones(2).clamp()),
    ("clamp_min_gt_max", lambda L: grid(L, 4).clamp(3, 1)),
    ("clamp_int_float_bound", lambda L: L.tensor([1, 5]).clamp(max=2.5)),
    ("clamp_grad_edges", lambda L: grad_of(L, [0., 1., 2.], lambda x: x.clamp(0, 1))),
    ("clamp_nan", lambda L: L.tensor([float('nan'), 2.]).clamp(0, 1)),
    ("cat_empty_1d", lambda L: L.cat([L.ones(0), grid(L, 2, 3)])),
    ("cat_single", lambda L: L.cat([grid(L, 2)])),
    ("cat_not_list", lambda L: L.cat(L.ones(2))),
    ("cat_0d", lambda L: L.cat([L.tensor(1.), L.tensor(2.)])),
    ("stack_dim_oor", lambda L: L.stack([L.ones(2), L.ones(2)], dim=3)),
    ("stack_negative_dim", lambda L: L.stack([grid(L, 2), grid(L, 2)], dim=-1)),
    ("stack_empty", lambda L: L.stack([])),
    ("permute_duplicate", lambda L: L.ones(2, 3).permute(0, 0)),
    ("permute_wrong_count", lambda L: L.ones(2, 3).permute(0)),
    ("expand_bad", lambda L: L.ones(2, 3).expand(4, 3)),
    ("expand_fewer_dims", lambda L: L.ones(2, 3).expand(3)),
    ("expand_minus_one_new_dim", lambda L: L.ones(3).expand(-1, 3)),
    ("expand_ok", lambda L: grid(L, 3, 1).expand(3, 2)),
    ("repeat_fewer", lambda L: L.ones(2, 3).repeat(2)),
    ("repeat_zero", lambda L: grid(L, 2).repeat(0)),
    ("repeat_negative", lambda L: L.ones(2).repeat(-1)),
    ("flatten_start_after_end", lambda L: L.ones(2, 3, 4).flatten(2, 1)),
    ("flatten_dim_oor", lambda L: L.ones(2, 3).flatten(0, 3)),
    ("t_3d", lambda L: L.ones(2, 3, 4).t()),
    ("squeeze_tuple", lambda L: L.ones(1, 2, 1).squeeze((0, 2))),
    ("unflatten_bad", lambda L: L.ones(6).unflatten(0, (4, 2))),
    ("unflatten_minus_one", lambda L: grid(L, 6).unflatten(0, (2, -1))),
    ("movedim_dup", lambda L: L.ones(2, 3).movedim((0, 1), (0, 0))),
    ("index_bool_mask", lambda L: grid(L, 4)[L.tensor([True, False, True, False])]),
    ("index_bool_mask_wrong", lambda L: grid(L, 4)[L.tensor([True, False])]),
    ("index_tensor_oor", lambda L: grid(L, 4)[L.tensor([5])]),
    ("index_negative", lambda L: grid(L, 4)[-1]),
    ("index_too_many", lambda L: grid(L, 4)[0, 0]),
    ("index_float_tensor", lambda L: grid(L, 4)[L.tensor([1.0])]),
    ("index_none", lambda L: grid(L, 4)[None].shape),
    ("index_ellipsis", lambda L: grid(L, 2, 3)[..., 1]),
    ("item_many", lambda L: L.ones(2).item()),
    ("item_empty", lambda L: L.ones(0).item()),
    ("bool_many", lambda L: bool(L.ones(2))),
    ("bool_empty", lambda L: bool(L.ones(0))),
    ("len_0d", lambda L: len(L.tensor(1.))),
    ("int_of_float", lambda L: int(L.tensor(2.7))),
    ("float_to_int_cast", lambda L: L.tensor([2.7, -2.7]).to(L.int64)),
    ("float_to_bool", lambda L: L.tensor([0.0, 0.5]).bool()),
    ("int_to_float16", lambda L: L.tensor([70000]).half()),
    ("requires_grad_int", lambda L: L.tensor([1, 2], requires_grad=True)),
    ("requires_grad_int_method", lambda L: L.tensor([1, 2]).requires_grad_()),
    ("backward_non_scalar", lambda L: L.ones(2, requires_grad=True).mul(2).backward()),
    ("backward_no_grad", lambda L: L.ones(2).sum().backward()),
    ("inplace_leaf", lambda L: L.ones(2, requires_grad=True).add_(1)),
    ("numpy_requires_grad", lambda L: L.ones(2, requires_grad=True).numpy()),
    ("view_dtype_cast", lambda L: grid(L, 2).view(L.float64)),
    ("all_dim", lambda L: L.tensor([[True, False], [True, True]]).all(1)),
    ("any_empty", lambda L: L.ones(0).any()),
    ("all_empty", lambda L: L.ones(0).all()),
    ("all_float", lambda L: L.tensor([0.5, 1.0]).all()),
    ("eq_broadcast_fail", lambda L: L.ones(2) == L.ones(3)),
    ("lt_int_float", lambda L: L.tensor([1, 2]) < 1.5),
    ("logical_and_float", lambda L: L.tensor([0., 1.]).logical_and(L.tensor([1., 1.]))),
    ("invert_float", lambda L: ~L.tensor([1.0])),
    ("and_float", lambda L: L.tensor([1.0]) & L.tensor([1.0])),
    ("var_correction_big", lambda L: L.tensor([1., 2.]).var(correction=2)),
    ("var_int", lambda L: L.tensor([1, 2]).var()),
    ("std_empty_dim", lambda L: L.ones(0, 2).std(0)),
    ("sum_dtype", lambda L: L.tensor([1, 2]).sum(dtype=L.float64)),
    ("mean_dtype", lambda L: L.tensor([1, 2]).mean(dtype=L.float64)),
    ("sum_dup_dims", lambda L: L.ones(2, 3).sum((0, 0))),
    ("sum_keepdim_all", lambda L: grid(L, 2, 3).sum((0, 1), keepdim=True)),
    ("isclose_nan", lambda L: L.isclose(L.tensor([float('nan')]), L.tensor([float('nan')]))),
    ("allclose_shape", lambda L: L.allclose(L.ones(2), L.ones(3))),
    ("equal_shape", lambda L: L.equal(L.ones(2), L.ones(3))),
    ("meshgrid_2d", lambda L: L.meshgrid(L.ones(2, 2), indexing='ij')),
    ("meshgrid_bad_indexing", lambda L: L.meshgrid(L.ones(2), indexing='xx')),
    ("normal_negative_std", lambda L: L.normal(0.0, -1.0, size=(2,))),
    ("normal_shape", lambda L: L.normal(0.0, 1.0, size=(2, 0)).shape),
    ("from_numpy_list", lambda L: L.from_numpy([1, 2])),
    ("new_zeros_negative", lambda L: L.ones(2).new_zeros(-1)),
    ("new_full_dtype", lambda L: L.ones(2, dtype=L.int64).new_full((2,), 2.5)),
    ("new_tensor", lambda L: L.ones(2, dtype=L.float64).new_tensor([1, 2])),
    ("full_like_float_into_int", lambda L: L.full_like(L.ones(2, dtype=L.int64), 2.5)),
    ("sign_zero", lambda L: L.tensor([-0.0, 0.0, -2.0]).sign()),
    ("floor_divide_negative", lambda L: L.tensor([-7, 7]).floor_divide(2)),
    ("fmod_negative", lambda L: L.tensor([-7, 7]).fmod(3)),
    ("remainder_float_zero", lambda L: L.tensor([1.0]) % 0.0),
    ("div_floor_float", lambda L: L.tensor([-7.5]).div(2, rounding_mode='floor')),
    ("div_bad_mode", lambda L: L.tensor([-7.5]).div(2, rounding_mode='round')),
    ("lerp_", lambda L: L.zeros(2).lerp_(L.ones(2), 0.25)),
    ("addcmul_", lambda L: L.zeros(2).addcmul_(L.ones(2), L.ones(2), value=2)),
    ("add_alpha", lambda L: L.ones(2).add(L.ones(2), alpha=3)),
    ("sub_bool", lambda L: L.tensor([True]) - L.tensor([True])),
    ("neg_bool", lambda L: -L.tensor([True])),
    ("pow_zero_zero_grad", lambda L: grad_of(L, [0., 2.], lambda x: x ** 0)),
    ("pow_tensor_exponent_grad", lambda L: grad_of(L, [0., 2.], lambda x: 2.0 ** x)),
    ("pow_zero_base_grad", lambda L: grad_of(L, [0., 2.], lambda x: x ** 2)),
    ("sigmoid_large", lambda L: L.tensor([-1000., 1000.]).sigmoid()),
    ("tanh_int", lambda L: L.tensor([0, 1]).tanh()),
    ("relu_int", lambda L: L.tensor([-1, 2]).relu()),
    ("rsqrt_zero", lambda L: L.tensor([0., 4.]).rsqrt()),
    ("log2_zero", lambda L: L.log2(L.tensor([0., 8.]))),
    ("asin_out", lambda L: L.tensor([2.0]).asin()),
    ("maximum_nan", lambda L: L.maximum(L.tensor([float('nan'), 1.]), L.tensor([0., 2.]))),
    ("max_nan", lambda L: L.tensor([1., float('nan'), 3.]).max()),
    ("argmax_nan", lambda L: L.tensor([1., float('nan'), 3.]).argmax()),
    ("amax_nan_dim", lambda L: L.tensor([[1., float('nan')], [2., 0.]]).amax(1)),
    ("max_dim_nan", lambda L: L.tensor([[1., float('nan')], [2., 0.]]).max(1)),
    ("min_nan", lambda L: L.tensor([1., float('nan')]).min()),
    ("transpose_0d", lambda L: L.tensor(1.).transpose(0, -1)),
    ("T_3d", lambda L: grid(L, 2, 3, 4).T.shape),
    ("mT_1d", lambda L: L.ones(3).mT),
    ("swapaxes_oor", lambda L: L.ones(2).swapaxes(0, 1)),
    ("type_name", lambda L: L.ones(2, dtype=L.float64).type()),
    ("to_bad", lambda L: L.ones(2).to('nodevice')),
    ("linear_mismatch", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 5))),
    ("linear_dtype_mix", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 3, dtype=L.float64))),
    ("linear_empty_batch", lambda L: F(L).linear(L.ones(0, 3), L.ones(4, 3))),
    ("relu_f", lambda L: F(L).relu(L.tensor([-1., 0., 1.]))),
    ("cross_entropy_empty", lambda L: F(L).cross_entropy(L.ones(0, 3), L.ones(0, dtype=L.int64))),
    ("cross_entropy_target_oor", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 3]))),
    ("cross_entropy_target_float", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0., 1.]))),
    ("nll_negative_target", lambda L: F(L).nll_loss(L.ones(2, 3), L.tensor([0, -1]))),
    ("mse_empty", lambda L: F(L).mse_loss(L.ones(0), L.ones(0))),
    ("max_pool2d_empty_batch", lambda L: F(L).max_pool2d(L.ones(0, 3, 4, 4), 2)),
    ("avg_pool2d_empty_batch", lambda L: F(L).avg_pool2d(L.ones(0, 3, 4, 4), 2)),
    ("adaptive_avg_empty_batch", lambda L: F(L).adaptive_avg_pool2d(L.ones(0, 3, 4, 4), 1)),
    ("max_pool2d_big_kernel", lambda L: F(L).max_pool2d(L.ones(1, 1, 2, 2), 3)),
    ("max_pool2d_pad_too_big", lambda L: F(L).max_pool2d(L.ones(1, 1, 4, 4), 2, padding=2)),
    ("dropout_p_negative", lambda L: F(L).dropout(L.ones(2), p=-0.1)),
    ("dropout_p_one", lambda L: F(L).dropout(L.ones(2), p=1.0)),
    ("dropout_eval", lambda L: F(L).dropout(grid(L, 3), p=0.5, training=False)),
    ("softmax_f_no_dim", lambda L: F(L).softmax(L.ones(2, 3), dim=None)),
    ("pad_negative_constant", lambda L: F(L).pad(grid(L, 1, 4), (-1, -1))),
    ("pad_odd_length", lambda L: F(L).pad(L.ones(1, 4), (1,))),
    ("pad_reflect_too_big", lambda L: F(L).pad(L.ones(1, 1, 2), (2, 2), mode='reflect')),
    ("batch_norm_empty_batch", lambda L: L.nn.BatchNorm1d(3)(L.ones(0, 3))),
    ("batch_norm_one_sample", lambda L: L.nn.BatchNorm1d(3)(L.ones(1, 3))),
    ("batch_norm_empty_stats", lambda L: bn_empty_stats(L)),
    ("layer_norm_empty", lambda L: F(L).layer_norm(L.ones(0, 3), (3,))),
    ("layer_norm_bad_shape", lambda L: F(L).layer_norm(L.ones(2, 3), (4,))),
    ("conv2d_kernel_too_big", lambda L: F(L).conv2d(L.ones(1, 1, 2, 2), L.ones(1, 1, 3, 3))),
    ("conv2d_channels_mismatch", lambda L: F(L).conv2d(L.ones(1, 2, 4, 4), L.ones(1, 3, 3, 3))),
    ("conv2d_groups_zero", lambda L: F(L).conv2d(L.ones(1, 2, 4, 4), L.ones(1, 2, 3, 3), groups=0)),
    ("conv2d_stride_zero", lambda L: F(L).conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 3, 3), stride=0)),
    ("conv2d_int_input",
     lambda L: F(L).conv2d(L.ones(1, 1, 4, 4, dtype=L.int64), L.ones(1, 1, 3, 3, dtype=L.int64))),
    ("conv2d_dtype_mix",
     lambda L: F(L).conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 3, 3, dtype=L.float64))),
    ("conv2d_3d_input", lambda L: F(L).conv2d(grid(L, 1, 4, 4), L.ones(1, 1, 3, 3)).shape),
    ("conv2d_5d_input", lambda L: F(L).conv2d(L.ones(1, 1, 1, 4, 4), L.ones(1, 1, 3, 3))),
    ("linear_module_empty", lambda L: L.nn.Linear(3, 0)(L.ones(2, 3)).shape),
    ("flatten_f", lambda L: L.flatten(grid(L, 2, 3, 4), 1).shape),
    # ---------------------------------------------------------------- writes, dtypes, factories
    ("full_big_int", lambda L: L.full((2,), 2**70)),
    ("full_nan_int", lambda L: L.full((2,), float('nan'), dtype=L.int64)),
    ("ones_float_size", lambda L: L.ones(2.5)),
    ("ones_tuple_neg", lambda L: L.ones((2, -2))),
    ("zeros_size_kw_both", lambda L: L.zeros(2, size=(2,))),
    ("int_overflow_add", lambda L: L.tensor([2**63 - 1]) + 1),
    ("int32_plus_int64", lambda L: L.tensor([1], dtype=L.int32) + L.tensor([1])),
    ("uint8_minus", lambda L: L.tensor([0], dtype=L.uint8) - 1),
    ("bool_plus_bool", lambda L: L.tensor([True]) + L.tensor([True])),
    ("bool_times_float", lambda L: L.tensor([True]) * 2.5),
    ("int_div_int_scalar", lambda L: L.tensor([3]) / 2),
    ("f16_plus_f32", lambda L: L.ones(1, dtype=L.float16) + L.ones(1)),
    ("int_plus_f16_0d", lambda L: L.tensor([1]) + L.tensor(1.0, dtype=L.float16)),
    ("setitem_oor", lambda L: setitem(L, (5,), 1.0)),
    ("setitem_bad_shape", lambda L: setitem(L, (0,), L.ones(4))),
    ("setitem_float_into_int", lambda L: setitem(L, (0, 0), 2.7, grid(L, 2, 3, dtype="int64"))),
    ("setitem_bool_mask", lambda L: setitem(L, grid(L, 2, 3) > 2, 0.0)),
    ("setitem_broadcast", lambda L: setitem(L, (slice(None), 0), L.tensor([7.0, 8.0]))),
    ("add_inplace_broadcast_grow", lambda L: L.ones(3).add_(L.ones(2, 3))),
    ("add_inplace_int_float", lambda L: L.ones(2, dtype=L.int64).add_(1.5)),
    ("mul_inplace_int_float_tensor", lambda L: L.ones(2, dtype=L.int64).mul_(L.ones(2))),
    ("div_inplace_int", lambda L: L.ones(2, dtype=L.int64).div_(2)),
    ("iadd_int_float", lambda L: _iadd(L)),
    ("fill_float_into_int", lambda L: L.ones(2, dtype=L.int64).fill_(2.7)),
    ("copy_bad_shape", lambda L: L.ones(2).copy_(L.ones(3))),
    ("copy_broadcast", lambda L: L.ones(2, 2).copy_(L.tensor([1.0, 2.0]))),
    ("clamp_inplace_int_float", lambda L: L.tensor([1, 5]).clamp_(max=2.5)),
    ("index_put_accumulate",
     lambda L: L.zeros(3).index_put_(
         (L.tensor([0, 0, 2]),), L.tensor([1., 2., 3.]), accumulate=True)),
    ("index_put_not_tuple", lambda L: L.zeros(3).index_put_(L.tensor([0]), L.tensor([1.]))),
    ("masked_fill_inplace_int_mask", lambda L: L.ones(2).masked_fill_(L.tensor([1, 0]), 0.0)),
    ("sum_bool_dtype", lambda L: L.tensor([True, True]).sum().dtype),
    ("sum_int32", lambda L: L.tensor([1, 2], dtype=L.int32).sum()),
    ("mean_float16", lambda L: L.ones(2, dtype=L.float16).mean()),
    ("max_bool", lambda L: L.tensor([True, False]).max()),
    ("max_int_dim", lambda L: L.tensor([[1, 5], [7, 2]]).max(0)),
    ("argmax_bool", lambda L: L.tensor([False, True]).argmax()),
    ("std_int", lambda L: L.tensor([1, 2]).std()),
    ("var_unbiased_false", lambda L: L.tensor([1., 2., 4.]).var(unbiased=False)),
    ("logsumexp_dims", lambda L: grid(L, 2, 3).logsumexp((0, 1))),
    ("logsumexp_no_dim", lambda L: grid(L, 2, 3).logsumexp()),
    ("norm_dims_tuple", lambda L: grid(L, 2, 3).norm(dim=(0, 1))),
    ("norm_keepdim", lambda L: grid(L, 2, 3).norm(dim=1, keepdim=True)),
    ("norm_p_string", lambda L: L.ones(2).norm('nuc')),
    ("amax_keepdim_all", lambda L: grid(L, 2, 3).amax(keepdim=True)),
    ("amax_none", lambda L: grid(L, 2, 3).amax(None)),
    ("sum_none_keepdim", lambda L: grid(L, 2, 3).sum(None, keepdim=True)),
    ("matmul_list", lambda L: grid(L, 2, 2) @ [[1.0, 0.0], [0.0, 1.0]]),
    ("matmul_empty_batch", lambda L: L.ones(0, 2, 3) @ L.ones(3, 4)),
    ("mm_f16", lambda L: L.mm(L.ones(2, 2, dtype=L.float16), L.ones(2, 2, dtype=L.float16))),
    ("split_tensor_size", lambda L: grid(L, 4).split(L.tensor(2))),
    ("chunk_tensor", lambda L: grid(L, 4).chunk(L.tensor(2))),
    ("where_0d_cond", lambda L: L.where(L.tensor(True), L.ones(2), L.zeros(2))),
    ("where_cond_bigger", lambda L: L.where(L.ones(2, 2, dtype=L.bool), L.ones(2), 0.0)),
    ("where_python_cond", lambda L: L.where(True, L.ones(2), L.zeros(2))),
    ("where_numpy_cond", lambda L: L.where(np.array([True, False]), L.ones(2), L.zeros(2))),
    ("where_int_float_tensors",
     lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), L.tensor([0.5, 0.5]))),
    ("masked_fill_nan", lambda L: L.ones(2).masked_fill(L.tensor([True, False]), float('nan'))),
    ("masked_fill_inf_into_int",
     lambda L: L.ones(2, dtype=L.int64).masked_fill(L.tensor([True, False]), float('inf'))),
    ("masked_fill_bool_value_float",
     lambda L: L.ones(2).masked_fill(L.tensor([True, False]), True)),
    ("arange_tensor_args", lambda L: L.arange(L.tensor(3))),
    ("arange_big", lambda L: L.arange(2**62)),
    ("arange_float_rounding", lambda L: L.arange(1, 2.2, 0.3)),
    ("linspace_float_steps", lambda L: L.linspace(0, 1, 2.5)),
    ("linspace_int_dtype", lambda L: L.linspace(0, 10, 5, dtype=L.int64)),
    ("eye_float_n", lambda L: L.eye(2.5)),
    ("randint_float_high", lambda L: L.randint(0, 2.5, (2,)).shape),
    ("randint_no_size", lambda L: L.randint(5)),
    ("rand_like_int", lambda L: L.rand_like(L.ones(2, dtype=L.int64))),
    ("randn_int_dtype", lambda L: L.randn(2, dtype=L.int64)),
    ("zeros_like_dtype", lambda L: L.zeros_like(L.ones(2), dtype=L.int64)),
    ("full_like_nan_int", lambda L: L.full_like(L.ones(2, dtype=L.int64), 3)),
    ("tensor_nested_tensors", lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)])),
    ("tensor_requires_grad_int", lambda L: L.tensor([1], requires_grad=True)),
    ("as_tensor_list", lambda L: L.as_tensor([1, 2])),
    ("from_numpy_object", lambda L: L.from_numpy(np.array([1, 'a'], dtype=object))),
    ("unsqueeze_negative", lambda L: grid(L, 2, 3).unsqueeze(-1).shape),
    ("unsqueeze_neg_oor", lambda L: L.ones(2, 3).unsqueeze(-4)),
    ("squeeze_nonone", lambda L: grid(L, 2, 3).squeeze(0)),
    ("flatten_empty", lambda L: L.ones(0, 3).flatten().shape),
    ("reshape_size_mismatch", lambda L: L.ones(6).reshape(4, 2)),
    ("reshape_negative_other", lambda L: L.ones(6).reshape(-2, 3)),
    ("view_noncontiguous", lambda L: noncontiguous(L).view(6)),
    ("contiguous_values", lambda L: noncontiguous(L).contiguous()),
    ("flip_dup", lambda L: L.ones(2, 3).flip(0, 0)),
    ("flip_oor", lambda L: L.ones(2).flip(1)),
    ("repeat_more_dims", lambda L: grid(L, 2).repeat(2, 2)),
    ("expand_as_bad", lambda L: L.ones(3).expand_as(L.ones(2))),
    ("cat_negative_dim", lambda L: L.cat([grid(L, 2, 2), grid(L, 2, 1)], dim=-1)),
    ("cat_grads_with_empty",
     lambda L: grad_of(L, [1., 2.], lambda x: L.cat([x, L.ones(0, dtype=L.float64)]))),
    ("stack_0d", lambda L: L.stack([L.tensor(1.), L.tensor(2.)])),
    ("stack_dtype_mix", lambda L: L.stack([L.ones(1), L.ones(1, dtype=L.float64)])),
    ("transpose_same", lambda L: grid(L, 2, 3).transpose(1, 1)),
    ("permute_negative", lambda L: grid(L, 2, 3, 4).permute(-1, 0, 1).shape),
    ("movedim_int", lambda L: grid(L, 2, 3, 4).movedim(0, -1).shape),
    ("item_0d_int", lambda L: L.tensor(3).item()),
    ("tolist_0d", lambda L: L.tensor(2.5).tolist()),
    ("numel_empty", lambda L: L.ones(0, 3).numel()),
    ("dim_0d", lambda L: L.tensor(1.).dim()),
    ("size_dim", lambda L: L.ones(2, 3).size(-1)),
    ("size_oor", lambda L: L.ones(2, 3).size(2)),
    ("is_floating_int", lambda L: L.ones(1, dtype=L.int64).is_floating_point()),
    ("element_size_f16", lambda L: L.ones(1, dtype=L.float16).element_size()),
    ("to_same_dtype_identity", lambda L: (lambda x: x.to(L.float32) is x)(L.ones(1))),
    ("type_as_int", lambda L: L.tensor([1.7]).type_as(L.tensor([1]))),
    ("new_tensor_keep_dtype", lambda L: L.ones(1, dtype=L.float64).new_tensor([1, 2])),
    ("sign_nan", lambda L: L.tensor([float('nan')]).sign()),
    ("abs_int_min", lambda L: L.tensor([-2**63]).abs()),
    ("neg_uint8", lambda L: -L.tensor([1], dtype=L.uint8)),
    ("square_int", lambda L: L.tensor([3]).square()),
    ("pow_int_float", lambda L: L.tensor([4]) ** 0.5),
    ("pow_tensor_tensor_bcast", lambda L: grid(L, 2, 1) ** grid(L, 3)),
    ("rpow_int_neg_tensor", lambda L: 2 ** L.tensor([-1])),
    ("maximum_dtype_mix", lambda L: L.maximum(L.ones(1), L.ones(1, dtype=L.float64))),
    ("maximum_bcast_fail", lambda L: L.maximum(L.ones(2), L.ones(3))),
    ("minimum_int_float", lambda L: L.minimum(L.tensor([1, 3]), L.tensor([2.5, 2.5]))),
    ("exp_grad_overflow", lambda L: grad_of(L, [1000.0], lambda x: x.exp())),
    ("log_negative", lambda L: L.tensor([-1.0]).log()),
    ("sigmoid_grad_extreme", lambda L: grad_of(L, [-1000.0, 1000.0], lambda x: x.sigmoid())),
    ("tanh_grad_extreme", lambda L: grad_of(L, [-1000.0, 1000.0], lambda x: x.tanh())),
    ("relu_nan", lambda L: L.tensor([float('nan')]).relu()),
    ("clamp_min_only_grad", lambda L: grad_of(L, [0., 1., 2.], lambda x: x.clamp(min=1))),
    ("log_softmax_grad_inf", lambda L: grad_of(L, [0., -INF], lambda x: x.log_softmax(0))),
    ("softmax_noncontig", lambda L: noncontiguous(L).softmax(0)),
    ("softmax_0d", lambda L: L.tensor(2.0).softmax(0)),
    ("softmax_dtype_arg", lambda L: L.tensor([1, 2]).softmax(0, dtype=L.float64)),
    # ---------------------------------------------------------- gradients, small dtypes, logic
    ("sin_int", lambda L: L.tensor([0, 1]).sin()),
    ("log2_int", lambda L: L.log2(L.tensor([1, 8]))),
    ("log10_int", lambda L: L.log10(L.tensor([1, 100]))),
    ("isclose_scalar", lambda L: L.isclose(L.tensor([1.0, 2.0]), L.tensor(1.0))),
    ("isclose_int", lambda L: L.isclose(L.tensor([1, 2]), L.tensor([1, 3]))),
    ("equal_dtype", lambda L: L.equal(L.ones(2), L.ones(2, dtype=L.float64))),
    ("meshgrid_xy", lambda L: L.meshgrid(grid(L, 2), grid(L, 3), indexing='xy')),
    ("meshgrid_empty", lambda L: L.meshgrid(L.ones(0), grid(L, 2), indexing='ij')),
    ("max_other", lambda L: grid(L, 3).max(L.ones(3))),
    ("clamp_tensor_bounds", lambda L: grid(L, 4).clamp(L.ones(4), L.full((4,), 2.0))),
    ("type_int", lambda L: L.ones(1, dtype=L.int64).type()),
    ("type_cast_str", lambda L: L.ones(1).type('torch.DoubleTensor')),
    ("size_empty", lambda L: L.ones(0, 3).size()),
    ("numel_fn", lambda L: L.numel(L.ones(2, 3))),
    ("std_correction0", lambda L: grid(L, 2, 3).std(1, correction=0)),
    ("var_keepdim", lambda L: grid(L, 2, 3).var(0, keepdim=True)),
    ("mean_keepdim_tuple", lambda L: grid(L, 2, 3, 4).mean((0, 2), keepdim=True)),
    ("sum_noncontig_keepdim", lambda L: noncontiguous(L).sum(1, keepdim=True)),
    ("expand_grad", lambda L: grad_of(L, [[1.], [2.]], lambda x: x.expand(2, 3))),
    ("repeat_grad", lambda L: grad_of(L, [1., 2.], lambda x: x.repeat(2, 2))),
    ("flip_grad",
     lambda L: grad_of(L, X, lambda x: x.flip(1) * L.tensor([1., 2., 3.], dtype=L.float64))),
    ("cat_grad", lambda L: grad_of(L, X, lambda x: L.cat([x, x * 2], 1))),
    ("stack_grad", lambda L: grad_of(L, X, lambda x: L.stack([x, x * 3], -1))),
    ("index_grad_repeat", lambda L: grad_of(L, [1., 2., 3.], lambda x: x[L.tensor([0, 0, 2])])),
    ("index_bool_grad", lambda L: grad_of(L, [1., 2., 3.], lambda x: x[x > 1.5])),
    ("split_grad", lambda L: grad_of(L, [1., 2., 3.], lambda x: x.split(2)[1] * 2)),
    ("chunk_grad", lambda L: grad_of(L, [1., 2., 3., 4.], lambda x: x.chunk(2)[0] * 3)),
    ("transpose_grad", lambda L: grad_of(L, X, lambda x: x.t() @ L.ones(2, 1, dtype=L.float64))),
    ("permute_grad",
     lambda L: grad_of(L, X, lambda x: x.permute(1, 0) * L.tensor([1., 2.], dtype=L.float64))),
    ("var_grad", lambda L: grad_of(L, X, lambda x: x.var(1))),
    ("std_grad", lambda L: grad_of(L, X, lambda x: x.std())),
    ("std_grad_constant", lambda L: grad_of(L, [2., 2., 2.], lambda x: x.std())),
    ("mean_grad", lambda L: grad_of(L, X, lambda x: x.mean(0))),
    ("logsumexp_grad", lambda L: grad_of(L, X, lambda x: x.logsumexp(1))),
    ("logsumexp_grad_inf", lambda L: grad_of(L, [-INF, 0.], lambda x: x.logsumexp(0))),
    ("softmax_grad",
     lambda L: grad_of(L, X, lambda x: x.softmax(1) * L.tensor([1., 2., 3.], dtype=L.float64))),
    ("log_softmax_grad", lambda L: grad_of(L, X, lambda x: x.log_softmax(0))),
    ("min_all_ties_grad", lambda L: grad_of(L, [[0., 1.], [0., 0.]], lambda x: x.min())),
    ("min_other_ties_grad",
     lambda L: grad_of(L, [1., 2.], lambda x: x.min(L.full((2,), 1., dtype=L.float64)))),
    ("clamp_tensor_grad",
     lambda L: grad_of(L, [0., 1., 2.], lambda x: x.clamp(min=L.ones(3, dtype=L.float64)))),
    ("pow_scalar_grad_zero_half", lambda L: grad_of(L, [0., 4.], lambda x: x ** 0.5)),
    ("pow_negative_grad_zero", lambda L: grad_of(L, [0., 2.], lambda x: x ** -1.0)),
    ("div_tensor_grad", lambda L: grad_of(L, [1., 2.], lambda x: x / (x + 1))),
    ("rsub_grad", lambda L: grad_of(L, [1., 2.], lambda x: 1 - x)),
    ("rdiv_grad", lambda L: grad_of(L, [1., 2.], lambda x: 1 / x)),
    ("rpow_grad", lambda L: grad_of(L, [1., 2.], lambda x: 3.0 ** x)),
    ("rpow_zero_base_grad", lambda L: grad_of(L, [0., 2.], lambda x: 0.0 ** x)),
    ("sigmoid_grad", lambda L: grad_of(L, X, lambda x: x.sigmoid())),
    ("tanh_grad", lambda L: grad_of(L, X, lambda x: x.tanh())),
    ("sin_grad", lambda L: grad_of(L, X, lambda x: x.sin())),
    ("acos_grad_edge", lambda L: grad_of(L, [1.0, 0.0], lambda x: x.acos())),
    ("sqrt_neg_grad", lambda L: grad_of(L, [-1.0], lambda x: x.sqrt())),
    ("norm_grad_dims", lambda L: grad_of(L, X, lambda x: x.norm(dim=(0, 1)))),
    ("amax_grad_noncontig", lambda L: grad_of(L, X, lambda x: x.t().amax(0))),
    ("where_scalar_grad", lambda L: grad_of(L, [1., -1.], lambda x: L.where(x > 0, x, 0.))),
    ("masked_fill_grad", lambda L: grad_of(L, [1., -1.], lambda x: x.masked_fill(x < 0, 5.))),
    ("reshape_grad",
     lambda L: grad_of(L, X, lambda x: x.reshape(3, 2) @ L.ones(2, dtype=L.float64))),
    ("unsqueeze_squeeze_grad", lambda L: grad_of(L, X, lambda x: x.unsqueeze(0).squeeze(0) * 2)),
    ("matmul_vec_grad", lambda L: grad_of(L, [1., 2., 3.], lambda x: x @ x)),
    ("matmul_batch_bcast_grad",
     lambda L: grad_of(L, X, lambda x: L.ones(4, 3, 2, dtype=L.float64) @ x)),
    ("abs_inplace_grad", lambda L: grad_of(L, [1., -2.], lambda x: (x * 1).abs_())),
    ("add_inplace_grad", lambda L: grad_of(L, [1., -2.], lambda x: (x * 1).add_(x, alpha=2))),
    ("mul_inplace_grad", lambda L: grad_of(L, [1., -2.], lambda x: (x * 1).mul_(x))),
    ("setitem_grad", lambda L: grad_of(L, [1., 2., 3.], lambda x: _write_item(L, x))),
    ("detach_grad", lambda L: grad_of(L, [1., 2.], lambda x: x * x.detach())),
    ("clone_grad", lambda L: grad_of(L, [1., 2.], lambda x: x.clone() * 2)),
    ("to_float32_grad", lambda L: grad_of(L, [1., 2.], lambda x: x.to(L.float32) * 2)),
    ("item_type_f32", lambda L: type(L.tensor(1.5).item()).__name__),
    ("tolist_int", lambda L: L.tensor([[1, 2]]).tolist()),
    ("float16_sum", lambda L: L.tensor([60000., 60000.], dtype=L.float16).sum()),
    ("float16_mean", lambda L: L.tensor([1., 2.], dtype=L.float16).mean()),
    ("int32_sum_dtype", lambda L: L.tensor([1], dtype=L.int32).sum().dtype),
    ("uint8_sum", lambda L: L.tensor([200, 200], dtype=L.uint8).sum()),
    ("int8_max", lambda L: L.tensor([-5, 3], dtype=L.int8).max()),
    ("bool_mean", lambda L: L.tensor([True, False]).mean()),
    ("bool_sum_dim", lambda L: L.tensor([[True, False], [True, True]]).sum(0)),
    ("uint8_div", lambda L: L.tensor([3], dtype=L.uint8) / 2),
    ("uint8_floordiv", lambda L: L.tensor([3], dtype=L.uint8) // 2),
    ("int_mod_negative", lambda L: L.tensor([-3, 3]) % 2),
    ("float_mod_negative", lambda L: L.tensor([-3.5, 3.5]) % 2),
    ("float_floordiv_zero", lambda L: L.tensor([1.0, -1.0, 0.0]) // 0.0),
    ("fmod_float", lambda L: L.tensor([-3.5, 3.5]).fmod(2)),
    ("remainder_grad", lambda L: grad_of(L, [-3.5, 3.5], lambda x: x.remainder(2))),
    ("eq_int_float", lambda L: L.tensor([1, 2]) == L.tensor([1.0, 2.5])),
    ("eq_nan", lambda L: L.tensor([float('nan')]) == L.tensor([float('nan')])),
    ("ne_scalar", lambda L: L.tensor([1, 2]) != 1),
    ("gt_bool", lambda L: L.tensor([True, False]) > L.tensor([False, False])),
    ("logical_or_int", lambda L: L.tensor([0, 2]).logical_or(L.tensor([0, 0]))),
    ("invert_int", lambda L: ~L.tensor([0, 5])),
    ("xor_bool_int", lambda L: L.tensor([True]) ^ L.tensor([3])),
    ("all_int_dim", lambda L: L.tensor([[1, 0], [2, 3]]).all(1)),
    ("any_noncontig", lambda L: (noncontiguous(L) > 4).any(0)),
    ("all_keepdim", lambda L: L.tensor([[True, False]]).all(1, keepdim=True)),
    ("all_dim_oor", lambda L: L.tensor([True]).all(1)),
    # ---------------------------------------------------------------- nn, data
    ("conv1d_empty_batch", lambda L: conv_grads(L, "conv1d", (0, 3, 8), (4, 3, 3))),
    ("conv1d_empty_batch_1x1", lambda L: conv_grads(L, "conv1d", (0, 3, 8), (4, 3, 1))),
    ("conv2d_empty_batch", lambda L: conv_grads(L, "conv2d", (0, 3, 8, 8), (4, 3, 3, 3))),
    ("conv2d_empty_batch_strided",
     lambda L: conv_grads(L, "conv2d", (0, 3, 9, 9), (6, 3, 3, 3), stride=2, padding=1)),
    ("conv2d_empty_batch_depthwise",
     lambda L: conv_grads(L, "conv2d", (0, 3, 8, 8), (3, 1, 3, 3), groups=3)),
    ("conv3d_empty_batch_grouped",
     lambda L: conv_grads(L, "conv3d", (0, 4, 5, 5, 5), (4, 2, 1, 1, 1), groups=2)),
    ("conv2d_small_batch", lambda L: conv_grads(L, "conv2d", (2, 3, 5, 5), (4, 3, 3, 3))),
    ("batchnorm_state_without_count", bn_without_count),
    ("dataloader_int_generator", lambda L: list(loader(L)([1, 2, 3], generator=5))),
    ("dataloader_shuffle_int_generator",
     lambda L: list(loader(L)([1, 2, 3], shuffle=True, generator=5))),
]
# fmt: on


def setitem(L: Any, index: Any, value: Any, base: Any = None) -> Any:
    """``x[index] = value`` on a (2, 3) grid (or on ``base``), returning ``x``."""
    x = grid(L, 2, 3) if base is None else base
    x[index] = value
    return x


def _write_item(L: Any, x: Any) -> Any:
    y = x * 1
    y[1] = x[0] * 5
    return y


def _iadd(L: Any) -> Any:
    x = L.ones(2, dtype=L.int64)
    x += 1.5
    return x


def _masked_fill_value_grad(L: Any) -> Any:
    value = L.tensor(2.0, requires_grad=True)
    out = L.ones(3).masked_fill(L.tensor([True, False, True]), value)
    out.sum().backward()
    return out.detach(), value.grad


# Rows where juanji differs on purpose; each kind has its line in docs/pytorch-differences.md.
_ARGUMENT_ERRORS = (
    "nn.functional's argument checks raise ValueError/TypeError naming the function and the "
    "argument; PyTorch's kernels raise RuntimeError (IndexError for a class out of range)"
)
KNOWN: dict[str, str] = {
    name: _ARGUMENT_ERRORS
    for name in (
        "linear_mismatch",
        "linear_dtype_mix",
        "cross_entropy_target_oor",
        "cross_entropy_target_float",
        "nll_negative_target",
        "max_pool2d_big_kernel",
        "max_pool2d_pad_too_big",
        "pad_odd_length",
        "pad_reflect_too_big",
        "layer_norm_bad_shape",
        "conv2d_kernel_too_big",
        "conv2d_channels_mismatch",
        "conv2d_groups_zero",
        "conv2d_stride_zero",
        "conv2d_dtype_mix",
        "conv2d_5d_input",
    )
}
# Differences the sweep found in code outside issue 25's tensor work, left for their owners
# (strict xfails: fixing one turns its row into a failure until it moves out of this list).
KNOWN.update(
    {
        "to_bad": "backend.as_device raises ValueError, PyTorch RuntimeError",
        "conv2d_int_input": "conv refuses integer tensors; PyTorch computes them on the CPU",
        "view_noncontiguous": "view() copies where PyTorch refuses (pytorch-differences.md)",
    }
)

# The exception kinds compared, most specific first (NotImplementedError is a RuntimeError).
KINDS = (NotImplementedError, IndexError, KeyError, TypeError, ValueError, RuntimeError)


def kind(error: BaseException) -> str:
    """The builtin exception kind of ``error`` (torch's own classes map to their builtin base)."""
    return next((k.__name__ for k in KINDS if isinstance(error, k)), type(error).__name__)


def normalise(value: Any) -> Any:
    """Results of either library as plain Python/NumPy values that compare across them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__name__ in ("dtype", "DType"):
        return str(value).rsplit(".", 1)[-1]
    if hasattr(value, "grad_fn") and hasattr(value, "tolist"):  # a tensor of either library
        dtype = str(value.dtype).rsplit(".", 1)[-1]
        return ("tensor", tuple(value.shape), dtype, np.asarray(value.detach().tolist()))
    if isinstance(value, (tuple, list)):
        return tuple(normalise(v) for v in value)
    raise TypeError(f"the sweep cannot compare a {type(value).__name__}")


def same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
        return bool((a == b).all())
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def outcome(fn: Callable[[Any], Any], library: Any) -> tuple[str, Any]:
    """``("value", normalised result)`` or ``("raises", (kind, message))``."""
    try:
        with warnings.catch_warnings():
            # Deprecation notes are not compared; a NumPy RuntimeWarning from juanji (where
            # PyTorch is silent) is an error under pytest's settings, so a difference.
            warnings.simplefilter("ignore", UserWarning if library is juanji else Warning)
            result = fn(library)
    except Exception as error:  # noqa: BLE001 - every error kind is part of the comparison
        return "raises", (kind(error), f"{type(error).__name__}: {error}")
    return "value", normalise(result)


def _params() -> list[Any]:
    params = []
    for name, fn in CASES:
        marks = [pytest.mark.xfail(reason=KNOWN[name], strict=True)] if name in KNOWN else []
        params.append(pytest.param(fn, id=name, marks=marks))
    return params


def test_case_names_are_unique():
    names = [name for name, _ in CASES]
    assert len(names) == len(set(names)) and len(names) >= 100


@pytest.mark.parametrize("fn", _params())
def test_same_as_torch(fn):
    ours, theirs = outcome(fn, juanji), outcome(fn, torch)
    assert ours[0] == theirs[0], f"juanji {ours}, torch {theirs}"
    if ours[0] == "raises":
        assert ours[1][0] == theirs[1][0], f"juanji {ours[1][1]!r}, torch {theirs[1][1]!r}"
    else:
        assert same(ours[1], theirs[1]), f"juanji {ours[1]}, torch {theirs[1]}"


def test_size_guard_refuses_more_than_memory_before_allocating():
    # 2**33 float32 (32 GiB) or more than the machine holds: an error at once, no allocation.
    from juanji.tensor._args import physical_memory  # noqa: PLC0415

    n = physical_memory() // 4 + 1
    for make in (juanji.ones, juanji.zeros, juanji.empty, juanji.randn, juanji.rand):
        with pytest.raises(RuntimeError, match="not enough memory"):
            make(n)
    with pytest.raises(RuntimeError, match="not enough memory"):
        juanji.full((n,), 1.0)
