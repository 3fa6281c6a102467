"""Issue 25's rules for the tensor API, by hand: ties, zero norms, sizes, seeds, masks, messages.

``tests/compat/test_edge_sweep.py`` checks the same edges against PyTorch; here each rule has a
small hand-computed case, a finite-difference check where a gradient is involved, and the words
of its error.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import juanji
from juanji.data import DataLoader, RandomSampler
from juanji.testing import gradcheck


def _grad(values, f):
    x = juanji.tensor(values, dtype=juanji.float64, requires_grad=True)
    f(x).sum().backward()
    return x.grad.tolist()


def test_amax_amin_share_ties_evenly_and_max_dim_picks_one():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    assert _grad(x, lambda t: t.amax(1)) == [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]
    assert _grad(x, lambda t: t.amin(1)) == [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]
    assert _grad(x, lambda t: t.amax()) == [[0, 0.5, 0.5], [0, 0, 0]]
    assert _grad(x, lambda t: t.amax((0, 1), keepdim=True)) == [[0, 0.5, 0.5], [0, 0, 0]]
    assert _grad(x, lambda t: t.max(1).values) == [[0, 1, 0], [1, 0, 0]]  # the returned index
    assert juanji.amin(juanji.tensor([[4.0, 1.0]]), 1).tolist() == [1.0]


def test_amax_gradcheck_without_ties():
    x = juanji.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.amax(1), (x,))
    assert gradcheck(lambda t: t.amin((0, 1)), (x,))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), "fro"])
def test_norm_of_a_zero_vector_has_gradient_zero(p):
    assert _grad([0.0, 0.0, 0.0], lambda t: t.norm(p)) == [0.0, 0.0, 0.0]


def test_norm_values_and_gradients_by_hand():
    assert juanji.tensor([3.0, 4.0]).norm().item() == 5.0
    assert _grad([3.0, 4.0], lambda t: t.norm()) == [0.6, 0.8]
    assert _grad([1.0, -2.0, 2.0], lambda t: t.norm(float("inf"))) == [0.0, -0.5, 0.5]
    assert _grad([[0.0, 0.0], [3.0, 4.0]], lambda t: t.norm(dim=1)) == [[0, 0], [0.6, 0.8]]
    x = juanji.tensor([[0.5, -1.0, 2.0]], dtype=juanji.float64, requires_grad=True)
    assert gradcheck(lambda t: t.norm(3, dim=1), (x,))
    with pytest.raises(RuntimeError, match="norm: expected a floating point tensor"):
        juanji.tensor([3, 4]).norm()


def test_factories_refuse_negative_and_impossible_sizes_before_allocating():
    with pytest.raises(RuntimeError, match=r"zeros: Trying to create tensor with negative"):
        juanji.zeros(2, -1)
    with pytest.raises(RuntimeError, match="Storage size calculation overflowed"):
        juanji.ones(2**40, 2**40)
    with pytest.raises(RuntimeError, match=r"ones: not enough memory: .* GiB\), more than"):
        juanji.ones(3_000_000_000, 64)  # 715 GiB
    with pytest.raises(RuntimeError, match="new_zeros: Trying to create tensor with negative"):
        juanji.ones(2).new_zeros(-1)


def test_random_floats_are_drawn_in_the_target_dtype_stream_unchanged():
    juanji.manual_seed(3)
    wide = juanji.randn(300, dtype=juanji.float64)
    juanji.manual_seed(3)
    narrow = juanji.randn(300)
    assert narrow.dtype == juanji.float32
    assert np.array_equal(narrow.numpy(), wide.numpy().astype(np.float32))
    tracemalloc.start()
    try:
        out = juanji.randn(4096, 1024)  # 16 MiB of float32; a float64 copy would be 32 MiB more
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * out.numpy().nbytes


def test_arange_and_randperm_ranges():
    assert juanji.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert juanji.arange(0, 0).tolist() == []
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent"):
        juanji.arange(10, 0, 1)
    with pytest.raises(RuntimeError, match="randperm: Trying to create tensor with negative"):
        juanji.randperm(-1)


def test_seeds_are_64_bit_ints_and_big_ints_are_refused_clearly():
    assert juanji.manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(ValueError, match=r"manual_seed: seed must be in \[-2\*\*63, 2\*\*64 - 1\]"):
        juanji.manual_seed(2**70)
    with pytest.raises(ValueError, match=r"tensor: the integer 1180591620717411303424 does not"):
        juanji.tensor([1, 2**70])
    assert juanji.tensor([1.0, 2**70]).dtype == juanji.float32


def test_products_check_ranks_batches_and_dtypes():
    with pytest.raises(RuntimeError, match=r"mm: self must be a matrix \(2-D\), got shape"):
        juanji.mm(juanji.ones(2, 3, 4), juanji.ones(4, 5))
    with pytest.raises(RuntimeError, match=r"bmm: Expected size .* \[2, 4\] but got: \[3, 4\]"):
        juanji.bmm(juanji.ones(2, 3, 4), juanji.ones(3, 4, 5))
    with pytest.raises(RuntimeError, match="matmul: expected both arguments to have the same"):
        juanji.ones(2, 3) @ juanji.ones(3, 2, dtype=juanji.int64)
    assert juanji.bmm(juanji.ones(2, 1, 3), juanji.ones(2, 3, 1)).tolist() == [[[3.0]], [[3.0]]]


def test_masks_must_be_bool():
    x = juanji.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="where: expected a bool tensor as the condition"):
        juanji.where(juanji.tensor([1.0, 0.0]), x, x)
    with pytest.raises(RuntimeError, match="masked_fill: expected a bool tensor"):
        x.masked_fill(juanji.tensor([1, 0]), 0.0)
    assert x.masked_fill(juanji.tensor([True, False]), 5.0).tolist() == [5.0, 2.0]


def test_split_chunk_and_argmax_errors_are_pytorchs():
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0"):
        juanji.ones(4).split(0)
    assert [p.shape for p in juanji.ones(0).split(0)] == [(0,)]
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        juanji.ones(4).chunk(0)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        juanji.ones(0).argmax()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        juanji.ones(0, 2).max(0)


def test_a_generator_that_is_not_a_generator_is_named():
    with pytest.raises(TypeError, match="DataLoader: generator must be a juanji.Generator"):
        DataLoader([1, 2, 3], generator=5)
    with pytest.raises(TypeError, match="RandomSampler: generator must be a juanji.Generator"):
        RandomSampler([1, 2], generator=np.random.default_rng(0))


def test_batchnorm_loads_a_state_dict_without_num_batches_tracked():
    source = juanji.nn.Sequential(juanji.nn.BatchNorm2d(2))
    source.train()(juanji.randn(4, 2, 3, 3))
    state = {k: v for k, v in source.state_dict().items() if "num_batches" not in k}
    target = juanji.nn.Sequential(juanji.nn.BatchNorm2d(2))
    assert target.load_state_dict(state).missing_keys == []
    assert target[0].running_mean.tolist() == source[0].running_mean.tolist()
    assert target[0].num_batches_tracked.item() == 0  # its own count, as PyTorch keeps it
    with pytest.raises(RuntimeError, match='Missing key.*"0.running_var"'):
        target.load_state_dict({k: v for k, v in state.items() if "running_var" not in k})


def test_conv_of_an_empty_batch_is_empty_with_zero_gradients():
    x = juanji.zeros(0, 3, 6, 6, requires_grad=True)
    w = juanji.ones(4, 3, 3, 3, requires_grad=True)
    y = juanji.nn.functional.conv2d(x, w, padding=1, stride=2)
    assert y.shape == (0, 4, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 6, 6) and not w.grad.numpy().any()


def test_in_place_writes_keep_their_dtype_or_refuse():
    x = juanji.tensor([1, 2])
    with pytest.raises(RuntimeError, match="add_: result type float32 can't be cast"):
        x.add_(1.5)  # NumPy's unsafe cast stored 2 and 3 here
    with pytest.raises(RuntimeError, match="div_: result type"):
        x.div_(2)
    with pytest.raises(RuntimeError, match="value inf cannot be converted to type int64"):
        x.fill_(float("inf"))
    with pytest.raises(RuntimeError, match="__setitem__: could not broadcast"):
        juanji.zeros(2, 3)[0] = juanji.ones(4)
    assert x.add_(2).tolist() == [3, 4] and x.div_(2, rounding_mode="floor").tolist() == [1, 2]


def test_integer_sums_std_of_a_constant_and_remainder_gradients():
    assert juanji.tensor([200, 200], dtype=juanji.uint8).sum().dtype == juanji.int64
    assert juanji.tensor([200, 200], dtype=juanji.uint8).sum().item() == 400
    assert _grad([2.0, 2.0, 2.0], lambda t: t.std()) == [0.0, 0.0, 0.0]
    assert _grad([-3.5, 3.5], lambda t: t % 2.0) == [1.0, 1.0]
    assert (juanji.tensor([2, 4]) ** juanji.tensor([-1, 0])).tolist() == [0, 1]
