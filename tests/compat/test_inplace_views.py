"""In-place changes through a view of a tensor in the autograd graph, against PyTorch.

PyTorch rebases the view's base on the in-place op, so ``y.view(6).mul_(2)`` doubles the
gradient reaching ``w`` through ``y`` as it doubles ``y``'s values. juanji did this for views
made by indexing only; view/reshape/flatten/t/transpose/permute/unsqueeze views changed the
values but not the base's gradient (found while writing the issue-28 programs). They are now
marked as views of their whole base (``_args.WholeView``) and all cases pass. A case marked
True would run as a strict xfail.
"""

from __future__ import annotations

import numpy as np
import pytest

import juanji

torch = pytest.importorskip("torch")

_WRONG = "the in-place op on this view changes values but not the base's gradient"

# name, the in-place change of y = w * 1, juanji wrong today
CASES = [
    ("index_row_mul_", lambda y: y[0].mul_(2), False),
    ("slice_cols_mul_", lambda y: y[:, 1:].mul_(2), False),
    ("index_col_zero_", lambda y: y[:, 0].zero_(), False),
    ("setitem_through_t", lambda y: y.t().__setitem__(0, 0), False),
    ("view_mul_", lambda y: y.view(6).mul_(2), False),
    ("view_slice_zero_", lambda y: y.view(6)[:3].zero_(), False),
    ("reshape_mul_", lambda y: y.reshape(3, 2).mul_(2), False),
    ("flatten_mul_", lambda y: y.flatten().mul_(2), False),
    ("t_mul_", lambda y: y.t().mul_(2), False),
    ("t_row_zero_", lambda y: y.t()[0].zero_(), False),
    ("transpose_row_zero_", lambda y: y.transpose(0, 1)[0].zero_(), False),
    ("permute_mul_", lambda y: y.permute(1, 0).mul_(2), False),
    ("unsqueeze_mul_", lambda y: y.unsqueeze(0).mul_(2), False),
    ("relu_inplace_after_view", lambda y: juanji_or_torch_relu(y.view(6)), False),
]


def juanji_or_torch_relu(view):
    """F.relu(view, inplace=True) in the library the view belongs to."""
    library = juanji if isinstance(view, juanji.Tensor) else torch
    return library.nn.functional.relu(view, inplace=True)


def _run(library, change):
    w = library.tensor(np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]], np.float32))
    w.requires_grad_(True)
    y = w * 1
    change(y)
    (y * library.tensor(np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3))).sum().backward()
    return np.asarray(y.detach().numpy()), np.asarray(w.grad.numpy())


@pytest.mark.parametrize(
    ("change", "wrong"),
    [
        pytest.param(
            change,
            wrong,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=_WRONG)] if wrong else [],
        )
        for name, change, wrong in CASES
    ],
)
def test_inplace_change_through_a_view_reaches_the_gradient(change, wrong):
    values, grad = _run(juanji, change)
    want_values, want_grad = _run(torch, change)
    np.testing.assert_allclose(values, want_values, err_msg="values")
    np.testing.assert_allclose(grad, want_grad, err_msg="gradient")
