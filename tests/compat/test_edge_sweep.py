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


def _masked_fill_value_grad(L: Any) -> Any:
    value = L.tensor(2.0, requires_grad=True)
    out = L.ones(3).masked_fill(L.tensor([True, False, True]), value)
    out.sum().backward()
    return out.detach(), value.grad


# Rows where juanji differs on purpose; each has its line in docs/pytorch-differences.md.
KNOWN: dict[str, str] = {}

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
            if library is torch:
                warnings.simplefilter("ignore")  # torch's own warnings are not compared
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
