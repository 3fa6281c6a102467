"""Independent oracles for the tests: PyTorch (CPU), and naive loop implementations.

``compare_op`` is the one helper that checks a juanji function against its PyTorch twin: same
inputs, forward outputs equal, and the gradient of every input equal for one random cotangent
(a random cotangent, not ``sum()``, so that each output element's contribution is weighed
differently and a gradient routed to the wrong place cannot pass).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import juanji

torch = __import__("pytest").importorskip("torch")
torch.set_num_threads(1)

TOLERANCE = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def to_torch(array: np.ndarray, requires_grad: bool = False) -> Any:
    """A torch tensor with a copy of ``array``'s values (same dtype)."""
    t = torch.from_numpy(np.array(array, copy=True))
    return t.requires_grad_(requires_grad) if requires_grad else t


def to_juanji(array: np.ndarray, requires_grad: bool = False, xp: Any = np) -> juanji.Tensor:
    """A juanji tensor with a copy of ``array``'s values (same dtype), in array library ``xp``."""
    return juanji.Tensor(xp.array(array, copy=True), requires_grad=requires_grad)


def to_numpy(t: juanji.Tensor) -> np.ndarray:
    """The values of a juanji tensor on any device, as a NumPy array."""
    return t.detach().cpu().numpy()


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def compare_op(
    juanji_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    grads: bool | Sequence[int] = True,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    xp: Any = np,
) -> list[juanji.Tensor]:
    """Check ``juanji_fn(*inputs)`` against ``torch_fn(*inputs)``, forward and backward.

    Args:
        juanji_fn, torch_fn: take one tensor per entry of ``inputs`` (NumPy arrays become
            tensors of each library; anything else is passed through unchanged).
        inputs: NumPy arrays and other arguments.
        grads: True to check the gradient of every floating array input, a list of input
            positions to check only those, False for forward only.
        rtol, atol: default 1e-4 for float32 and 1e-10 for float64.
        seed: seed of the random cotangent.
        xp: the array library juanji's inputs live in (the ``xp`` fixture); torch runs on
            the CPU either way.

    Returns:
        juanji's outputs, for further checks.
    """
    if grads is True:
        wanted = [
            i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        ]
    elif grads is False:
        wanted = []
    else:
        wanted = list(grads)
    j_inputs = [
        to_juanji(a, i in wanted, xp) if isinstance(a, np.ndarray) else a
        for i, a in enumerate(inputs)
    ]
    t_inputs = [
        to_torch(a, i in wanted) if isinstance(a, np.ndarray) else a for i, a in enumerate(inputs)
    ]
    j_out = _outputs(juanji_fn(*j_inputs))
    t_out = _outputs(torch_fn(*t_inputs))
    assert len(j_out) == len(t_out), f"juanji gave {len(j_out)} outputs, torch {len(t_out)}"
    for k, (j, t) in enumerate(zip(j_out, t_out, strict=True)):
        expected = t.detach().numpy()
        got = to_numpy(j)
        assert got.shape == expected.shape, (
            f"output {k}: shape {got.shape} != torch {expected.shape}"
        )
        assert got.dtype == expected.dtype, (
            f"output {k}: dtype {got.dtype} != torch {expected.dtype}"
        )
        tol = TOLERANCE.get(got.dtype, 0)
        np.testing.assert_allclose(
            got, expected, rtol=rtol or tol, atol=atol or tol, err_msg=f"forward output {k}"
        )
    if not wanted:
        return j_out
    rng = np.random.default_rng(seed)
    j_total, t_total = None, None
    for j, t in zip(j_out, t_out, strict=True):
        if not (j.requires_grad and t.requires_grad):
            continue
        cotangent = rng.standard_normal(j.shape).astype(to_numpy(j).dtype)
        j_term = (j * juanji.Tensor(xp.asarray(cotangent))).sum()
        t_term = (t * torch.from_numpy(cotangent)).sum()
        j_total = j_term if j_total is None else j_total + j_term
        t_total = t_term if t_total is None else t_total + t_term
    assert (j_total is None) == (t_total is None), (
        "juanji and torch disagree on which outputs need grad"
    )
    if j_total is None:
        return j_out
    j_total.backward()
    t_total.backward()
    for i in wanted:
        t_grad = t_inputs[i].grad
        j_grad = j_inputs[i].grad
        if t_grad is None:
            assert j_grad is None or not np.any(to_numpy(j_grad)), f"input {i}: torch has no grad"
            continue
        assert j_grad is not None, f"input {i}: juanji computed no gradient"
        expected = t_grad.numpy()
        got = to_numpy(j_grad)
        assert got.dtype == expected.dtype, f"grad {i}: dtype {got.dtype} != torch {expected.dtype}"
        tol = TOLERANCE.get(got.dtype, 0)
        np.testing.assert_allclose(
            got, expected, rtol=rtol or tol, atol=atol or tol, err_msg=f"gradient of input {i}"
        )
    return j_out


# ----------------------------------------------------------- naive loops, for tiny sizes only


def naive_unfold(x, kernel, dilation, pads, stride):
    """Loop reference: (N, C, *size) -> (N, C*prod(k), L), one number at a time."""
    N, C, *size = x.shape
    padded = np.zeros([N, C] + [n + b + a for n, (b, a) in zip(size, pads, strict=True)], x.dtype)
    padded[
        (slice(None), slice(None))
        + tuple(slice(b, b + n) for n, (b, _) in zip(size, pads, strict=True))
    ] = x
    out = [
        (p - d * (k - 1) - 1) // s + 1
        for p, k, d, s in zip(padded.shape[2:], kernel, dilation, stride, strict=True)
    ]
    taps = list(itertools.product(*(range(k) for k in kernel)))
    windows = list(itertools.product(*(range(o) for o in out)))
    col = np.zeros((N, C * len(taps), len(windows)), x.dtype)
    for n in range(N):
        for c in range(C):
            for t, tap in enumerate(taps):
                for column, window in enumerate(windows):
                    index = tuple(
                        o * s + i * d
                        for o, i, s, d in zip(window, tap, stride, dilation, strict=True)
                    )
                    col[n, c * len(taps) + t, column] = padded[(n, c) + index]
    return col


def naive_fold(col, size, kernel, dilation, pads, stride):
    """Loop reference for fold: add each column entry onto its pixel, then crop the padding."""
    N, rows, _ = col.shape
    taps = list(itertools.product(*(range(k) for k in kernel)))
    C = rows // len(taps)
    padded_size = [n + b + a for n, (b, a) in zip(size, pads, strict=True)]
    out = [
        (p - d * (k - 1) - 1) // s + 1
        for p, k, d, s in zip(padded_size, kernel, dilation, stride, strict=True)
    ]
    padded = np.zeros([N, C] + padded_size, col.dtype)
    for n in range(N):
        for c in range(C):
            for t, tap in enumerate(taps):
                for column, window in enumerate(itertools.product(*(range(o) for o in out))):
                    index = tuple(
                        o * s + i * d
                        for o, i, s, d in zip(window, tap, stride, dilation, strict=True)
                    )
                    padded[(n, c) + index] += col[n, c * len(taps) + t, column]
    return padded[
        (slice(None), slice(None))
        + tuple(slice(b, b + n) for n, (b, _) in zip(size, pads, strict=True))
    ]


class LeastSquares:
    """Least squares per parameter i: loss = 0.5 * |A x - b|^2, gradient A^T (A x - b)."""

    def __init__(self, shapes, dtype, seed):
        rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.init = [rng.standard_normal(s).astype(dtype) for s in shapes]
        self.A = [(rng.standard_normal((5, int(np.prod(s)))) / 3).astype(dtype) for s in shapes]
        self.b = [rng.standard_normal(5).astype(dtype) for s in shapes]

    def grad(self, i, x):
        residual = self.A[i] @ x.reshape(-1) - self.b[i]
        return (self.A[i].T @ residual).reshape(x.shape).astype(self.dtype)


OPTIMIZER_SHAPES = [(3, 2), (4,), (1,)]


def run_optimizers(make, kwargs, dtype, tolerance, steps=6, seed=0, groups=None, has_grad=None):
    """Run juanji's and torch's optimiser side by side; compare parameters after every step.

    ``make(lib)`` returns the optimiser class of ``juanji.optim`` or ``torch.optim``;
    ``tolerance`` maps a dtype to ``assert_allclose`` keyword arguments.

    ``groups``: optional list of (parameter indices, option overrides); ``has_grad(k, i)``:
    False to leave parameter ``i`` without gradient at step ``k``.
    """
    problem = LeastSquares(OPTIMIZER_SHAPES, dtype, seed)
    ours = [juanji.tensor(x.copy(), requires_grad=True) for x in problem.init]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in problem.init]

    def param_groups(params):
        if groups is None:
            return params
        return [{"params": [params[i] for i in idx], **extra} for idx, extra in groups]

    opt = make(juanji.optim)(param_groups(ours), **kwargs)
    topt = make(torch.optim)(param_groups(theirs), **kwargs, foreach=False)
    for k in range(steps):
        for i, (p, tp) in enumerate(zip(ours, theirs, strict=True)):
            if has_grad is not None and not has_grad(k, i):
                p.grad, tp.grad = None, None
                continue
            p.grad = juanji.tensor(problem.grad(i, p._data))
            tp.grad = torch.from_numpy(problem.grad(i, tp.detach().numpy()))
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs, strict=True):
            assert p._data.dtype == dtype
            np.testing.assert_allclose(
                p._data, tp.detach().numpy(), **tolerance[dtype], err_msg=f"step {k}"
            )
    return opt, topt, ours, theirs


@contextmanager
def forced(algorithm: str, skip: Callable[[str], Any] = pytest.skip) -> Iterator[None]:
    """Run the block with conv ``algorithm`` forced; ``skip`` the case where it does not apply."""
    with juanji.backends.conv.use(algorithm):
        try:
            yield
        except ValueError as error:
            if "does not apply" not in str(error):
                raise
            skip(f"{algorithm} does not apply")
