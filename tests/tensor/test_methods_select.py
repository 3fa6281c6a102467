"""Indexing, sorting, scanning, layout and product Tensor methods (``_select.py``,
``_layout.py``, ``_products.py``) run on juanji and on PyTorch: same values, dtype, shape, the
same gradient for the differentiable ones, and the same kind of error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import juanji

torch = pytest.importorskip("torch")

A = [[0.5, -1.25, 2.0, 3.5], [-0.75, 4.0, 1.5, -2.5], [6.0, 0.25, -3.0, 1.0]]  # distinct
V3 = [1.5, -2.0, 0.5]
B = [[[0.5, 1.0], [2.0, -1.0]], [[1.5, -0.5], [0.25, 3.0]]]


def ix(L: Any, v: Any) -> Any:
    return L.tensor(v, dtype=L.int64)


def f64(L: Any, v: Any) -> Any:
    return L.tensor(v, dtype=L.float64)


def _values(r: Any) -> Any:
    return r[0] if isinstance(r, tuple) else r


CASES: list[tuple[str, Callable[[Any, Any], Any], Any]] = [
    ("gather", lambda L, x: x.gather(1, ix(L, [[0, 0], [3, 1], [2, 2]])), A),
    ("gather0", lambda L, x: x.gather(0, ix(L, [[2, 0, 1, 1]])), A),
    ("take_along_dim", lambda L, x: x.take_along_dim(ix(L, [[1], [0], [3]]), 1), A),
    ("take_along_dim_flat", lambda L, x: x.take_along_dim(ix(L, [0, 5, 11])), A),
    ("take", lambda L, x: x.take(ix(L, [[0, -1], [5, 5]])), A),
    ("index_select", lambda L, x: x.index_select(1, ix(L, [3, 0, 3])), A),
    ("masked_select", lambda L, x: x.masked_select(x > 1), A),
    ("scatter", lambda L, x: x.scatter(1, ix(L, [[1, 0], [2, 3], [0, 1]]), (x * 2)[:, :2]), A),
    ("scatter_value", lambda L, x: x.scatter(0, ix(L, [[1, 0, 2, 0]]), 7.0), A),
    (
        "scatter_add",
        lambda L, x: x.scatter_add(1, ix(L, [[1, 1], [2, 2], [0, 0]]), (x * 3)[:, :2]),
        A,
    ),
    ("index_add", lambda L, x: x.index_add(0, ix(L, [2, 2]), x[:2] * 5, alpha=2), A),
    ("index_copy", lambda L, x: x.index_copy(1, ix(L, [3, 0]), x[:, 1:3] * 5), A),
    ("index_fill", lambda L, x: x.index_fill(1, ix(L, [1, 2]), -9.0), A),
    ("masked_scatter", lambda L, x: x.masked_scatter(x > 1, x.flip(0) * 10), A),
    ("sort", lambda L, x: x.sort(1), A),
    ("sort_desc", lambda L, x: x.sort(0, descending=True), A),
    ("argsort", lambda L, x: x.argsort(1, descending=True) * 1.0 + x, A),
    ("msort", lambda L, x: x.msort(), A),
    ("topk", lambda L, x: x.topk(2), A),
    ("topk_small", lambda L, x: x.topk(2, dim=0, largest=False), A),
    ("kthvalue", lambda L, x: x.kthvalue(2, 1, keepdim=True), A),
    ("median", lambda L, x: x.median(1), A),
    ("median_all", lambda L, x: x.median(), A),
    ("median_empty", lambda L, x: x[:0].median() + x.sum(), A),
    ("cumsum", lambda L, x: x.cumsum(1) + x.cumsum(dim=0), A),
    ("cumprod", lambda L, x: x.cumprod(1), A),
    ("logcumsumexp", lambda L, x: x.logcumsumexp(0), A),
    ("cummax", lambda L, x: x.cummax(1), A),
    ("cummin", lambda L, x: x.cummin(0), A),
    ("tril", lambda L, x: x.tril() + x.tril(-1) + x.triu(1) + x.triu(-2), A),
    ("diagonal", lambda L, x: x.diagonal() + x.diagonal(1) + x.diagonal(-1, 1, 0)[:2].sum(), A),
    ("diag2d", lambda L, x: x.diag(1), A),
    ("diag1d", lambda L, x: x.diag() + x.diag(-1)[1:, :3], V3),
    ("trace", lambda L, x: x.trace(), A),
    ("roll", lambda L, x: x.roll(1, 1) + x.roll((2, -1), (0, 1)) + x.roll(3), A),
    ("rot90", lambda L, x: L.stack([x.rot90(k, (0, 1)).reshape(-1) for k in range(-1, 4)]), A),
    ("fliplr", lambda L, x: x.fliplr() + x.flipud(), A),
    ("unbind", lambda L, x: L.stack(x.unbind(1)), A),
    ("narrow", lambda L, x: x.narrow(1, 1, 2) + x.narrow(1, -2, 2), A),
    ("select", lambda L, x: x.select(1, -1) + x.select(0, 2)[:3], A),
    ("split_with_sizes", lambda L, x: L.cat(x.split_with_sizes([1, 3], 1)[::-1], 1), A),
    ("tensor_split", lambda L, x: L.cat([p.sum(1) for p in x.tensor_split(3, 1)]), A),
    ("tensor_split_idx", lambda L, x: L.cat([p.sum(1) for p in x.tensor_split([1, 5], 1)]), A),
    ("hsplit", lambda L, x: L.cat(x.hsplit(2)[::-1], 1) + L.cat(x.hsplit([1])[::-1], 1), A),
    ("vsplit", lambda L, x: L.cat(x.vsplit([2])[::-1], 0), A),
    ("dsplit", lambda L, x: L.cat(x.dsplit(2)[::-1], 2), B),
    ("tile", lambda L, x: x.tile((2,)) + 0 * x.tile(1, 1, 2).sum(), A),
    ("broadcast_to", lambda L, x: x.broadcast_to((2, 3, 4)), A),
    ("ravel", lambda L, x: x.ravel(), A),
    ("repeat_interleave", lambda L, x: x.repeat_interleave(2, dim=1), A),
    ("repeat_interleave_t", lambda L, x: x.repeat_interleave(ix(L, [1, 0, 2]), dim=0), A),
    ("repeat_interleave_flat", lambda L, x: x.repeat_interleave(2), V3),
    ("dot", lambda L, x: x.dot(x * 2) + x.vdot(x), V3),
    ("inner", lambda L, x: x.inner(x[:2] * 2), A),
    ("outer", lambda L, x: x.outer(x * 3) + x.ger(x), V3),
    ("mv", lambda L, x: x.mv(x[0]), [[1.0, 2.0, 0.5], [0.25, -1.0, 3.0], [2.0, 1.0, 1.0]]),
    ("addmm", lambda L, x: x.addmm(x, x.t() @ x, beta=0.5, alpha=2), A),
    ("addmm_beta0", lambda L, x: (x / 0).addmm(x, x.t() @ x, beta=0).detach() + x, A),
    ("addmv", lambda L, x: x[0].addmv(x.t(), x[:, 1], alpha=-1), A),
    ("addr", lambda L, x: x.addr(x[:, 0], x[0], beta=2), A),
    ("addbmm", lambda L, x: x[0].addbmm(x, x.transpose(1, 2), beta=0.5), B),
    ("baddbmm", lambda L, x: x.baddbmm(x, x, alpha=0.5), B),
    ("addcmul", lambda L, x: x.addcmul(x, x.flip(0), value=0.5), A),
    ("addcdiv", lambda L, x: x.addcdiv(x, x.flip(1) + 10, value=2), A),
    ("lerp", lambda L, x: x.lerp(x.flip(0), 0.3) + x.lerp(x * 2, x.flip(1)), A),
    ("dist", lambda L, x: x.dist(x.flip(0)) + x.dist(x * 2, p=1), A),
    ("kron", lambda L, x: x[:2, :2].kron(x[1:, 1:3]) + 0, A),
    ("cross", lambda L, x: x[:, :3].cross(x[:, 1:], dim=1), A),
    ("prod", lambda L, x: x.prod(1) + x.prod(0, keepdim=True).sum() + x.prod(), A),
    ("prod_zero", lambda L, x: (x * (x > 0)).prod(1), A),
    ("nansum", lambda L, x: x.masked_fill(x > 3, float("nan")).nansum(1), A),
    ("nanmean", lambda L, x: x.masked_fill(x > 3, float("nan")).nanmean(0), A),
    ("aminmax", lambda L, x: L.stack(x.aminmax(dim=1)), A),
    ("aminmax_all", lambda L, x: L.stack(x.aminmax()), A),
    (
        "diff",
        lambda L, x: x.diff() + x.diff(n=2, dim=1, prepend=x[:, :1], append=x[:, :1])[:, :3],
        A,
    ),
]

INT_CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("cumsum_int", lambda L, x: x.cumsum(0)),
    ("cumprod_int", lambda L, x: x.cumprod(1)),
    ("prod_int", lambda L, x: L.stack([x.prod(), x.prod(1).sum()])),
    ("count_nonzero", lambda L, x: L.stack([x.count_nonzero(), x.count_nonzero(0).sum()])),
    ("count_nonzero_dims", lambda L, x: x.count_nonzero((0, 1))),
    ("sort_int", lambda L, x: x.sort(1, descending=True)),
    ("diff_bool", lambda L, x: (x > 0).diff(dim=0)),
    ("dot_int", lambda L, x: L.stack([x[0].int().dot(x[1].int()).long(), x.int().trace()])),
    ("scatter_reduce_add", lambda L, x: x.scatter(0, ix(L, [[1, 1, 0, 2]]), 2, reduce="add")),
    ("cast", lambda L, x: L.stack([x.byte().long(), x.char().long(), x.short().long()])),
]  # fmt: skip


def _pair(r: Any) -> list[Any]:
    return list(r) if isinstance(r, tuple) else [r]


def _same(a: Any, b: Any) -> None:
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(
        np.asarray(a.tolist(), float), np.asarray(b.tolist(), float), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize(("f", "values"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch(f: Callable, values: Any) -> None:
    outs = []
    for L in (juanji, torch):
        x = L.tensor(values, dtype=L.float64, requires_grad=True)
        results = _pair(f(L, x))
        y = results[0]
        y.backward(L.linspace(0.5, 1.5, y.numel(), dtype=L.float64).reshape(y.shape))
        outs.append(([r.detach() for r in results], x.grad))
    for a, b in zip(outs[0][0], outs[1][0], strict=True):
        _same(a, b)
    _same(outs[0][1], outs[1][1])


@pytest.mark.parametrize("f", [c[1] for c in INT_CASES], ids=[c[0] for c in INT_CASES])
def test_integer_results_match_torch(f: Callable) -> None:
    values = [[3, 0, -2, 5], [1, 4, 0, -1], [2, 2, 7, 0]]
    outs = [_pair(f(L, ix(L, values))) for L in (juanji, torch)]
    for a, b in zip(*outs, strict=True):
        _same(a, b)


ERRORS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("gather_rank", lambda L, x: x.gather(1, ix(L, [0, 1]))),
    ("gather_range", lambda L, x: x.gather(1, ix(L, [[0], [4], [0]]))),
    ("gather_float_index", lambda L, x: x.gather(1, f64(L, [[0.0], [1.0], [0.0]]))),
    ("index_select_2d", lambda L, x: x.index_select(0, ix(L, [[0]]))),
    ("index_select_range", lambda L, x: x.index_select(0, ix(L, [3]))),
    ("take_range", lambda L, x: x.take(ix(L, [12]))),
    ("topk_k", lambda L, x: x.topk(5)),
    ("kthvalue_k", lambda L, x: x.kthvalue(0)),
    ("tril_1d", lambda L, x: x[0].tril()),
    ("diagonal_same", lambda L, x: x.diagonal(0, 1, 1)),
    ("trace_3d", lambda L, x: x.unsqueeze(0).trace()),
    ("roll_mismatch", lambda L, x: x.roll((1, 2), 0)),
    ("rot90_same", lambda L, x: x.rot90(1, (1, 1))),
    ("narrow_long", lambda L, x: x.narrow(1, 2, 3)),
    ("select_range", lambda L, x: x.select(0, 3)),
    ("split_sizes", lambda L, x: x.split_with_sizes([1, 2], 1)),
    ("unbind_0d", lambda L, x: x.sum().unbind()),
    ("vsplit_1d", lambda L, x: x[0].vsplit(2)),
    ("hsplit_uneven", lambda L, x: x.hsplit(3)),
    ("dot_2d", lambda L, x: x.dot(x)),
    ("dot_dtype", lambda L, x: x[0].dot(x[0].float())),
    ("dot_len", lambda L, x: x[0].dot(x[0, :3])),
    ("outer_2d", lambda L, x: x.outer(x[0])),
    ("mv_1d", lambda L, x: x[0].mv(x[0])),
    ("addmm_shape", lambda L, x: x.addmm(x, x)),
    ("inner_mismatch", lambda L, x: x.inner(x[:, :3])),
    ("cross_size", lambda L, x: x.cross(x, dim=1)),
    ("nanmean_int", lambda L, x: x.long().nanmean()),
    ("fill_diagonal_3d", lambda L, x: x.unsqueeze(0).clone().fill_diagonal_(1.0)),
    ("is_nonzero_many", lambda L, x: x.is_nonzero()),
    ("repeat_interleave_neg", lambda L, x: x.repeat_interleave(-1)),
    ("diff_0d", lambda L, x: x.sum().diff()),
]


@pytest.mark.parametrize("f", [c[1] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_like_torch(f: Callable) -> None:
    kinds = []
    for L in (juanji, torch):
        with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)) as info:
            f(L, f64(L, A))
        kinds.append(info.type)
    assert issubclass(kinds[0], kinds[1]) or issubclass(kinds[1], kinds[0]), kinds


def test_inplace_forms_match_torch() -> None:
    outs = []
    for L in (juanji, torch):
        leaf = L.tensor(A, dtype=L.float64, requires_grad=True)
        x = leaf * 1
        x.scatter_(1, ix(L, [[1], [2], [0]]), leaf[:, :1] * 2)
        x.scatter_add_(0, ix(L, [[2, 2, 0, 1]]), leaf[:1] * 3)
        x.index_add_(1, ix(L, [0]), leaf[:, 3:] * 4)
        x.index_copy_(0, ix(L, [1]), leaf[2:] * 5)
        x.index_fill_(1, ix(L, [2]), 0.5)
        x.masked_scatter_(leaf.detach() < 0, leaf.flip(1))
        x[:, :3].fill_diagonal_(-1.0)
        x.tril_(1)
        x.triu_(-1)
        x.cumsum_(1)
        x.cumprod_(0)
        x.backward(L.linspace(0.5, 1.5, 12, dtype=L.float64).reshape(3, 4))
        outs.append((x.detach(), leaf.grad))
    _same(*[o[0] for o in outs])
    _same(*[o[1] for o in outs])


def test_fill_diagonal_wrap_matches_torch() -> None:
    outs = [L.zeros(7, 3).fill_diagonal_(2.0, wrap=True) for L in (juanji, torch)]
    _same(*outs)
    outs = [L.zeros(7, 3).fill_diagonal_(2.0) for L in (juanji, torch)]
    _same(*outs)


def test_layout_queries_match_torch() -> None:
    for make in (
        lambda L: L.arange(24).reshape(2, 3, 4),
        lambda L: L.arange(24).reshape(2, 3, 4).permute(2, 0, 1),
        lambda L: L.arange(24.0).reshape(4, 6)[1:, 2:],
        lambda L: L.tensor(3.5),
    ):
        a, b = make(juanji), make(torch)
        assert a.stride() == b.stride()
        assert a.storage_offset() == b.storage_offset()
        assert a.dim_order() == b.dim_order()
        assert (a.itemsize, a.nbytes) == (b.itemsize, b.nbytes)
        assert (a.is_signed(), a.is_cpu) == (b.is_signed(), b.is_cpu)
        assert a.is_same_size(a) and not a.is_same_size(a.reshape(-1)) or a.ndim <= 1
    assert juanji.tensor([2.0]).is_nonzero() and not juanji.tensor([[0]]).is_nonzero()
    assert juanji.arange(6).reshape(2, 3).stride(-1) == 1
    assert not juanji.tensor([1], dtype=juanji.uint8).is_signed()


def test_sort_puts_nan_last_and_first_like_torch() -> None:
    values = [[2.0, float("nan"), -1.0, 2.0, 0.5]]
    for descending in (False, True):
        a = juanji.tensor(values).sort(dim=1, descending=descending, stable=True)
        b = torch.tensor(values).sort(dim=1, descending=descending, stable=True)
        assert a.indices.tolist() == b.indices.tolist()
    a, b = juanji.tensor(values).median(1), torch.tensor(values).median(1)
    assert np.isnan(a.values.item()) and a.indices.tolist() == b.indices.tolist()
