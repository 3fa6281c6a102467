"""Checking gradients by finite differences: ``gradcheck``, and ``assert_close``.

``gradcheck(fn, inputs)`` compares the gradients that backward computes with central differences
``(f(x + eps) - f(x - eps)) / (2 eps)``. It needs float64: in float32 the rounding error of the
difference (about 1e-7 / eps) swamps the truncation error, so it refuses float32 inputs, as
PyTorch's docs advise.

Two modes:

* ``"full"``: the whole Jacobian, one backward per output element and two forwards per input
  element. Exact but O(inputs x outputs): for tiny shapes.
* ``"random"``: one random direction ``v`` in input space and one random cotangent ``u`` in
  output space; checks ``u . (J v)`` (two forwards) against ``sum(grad_u . v)`` (one backward),
  as Chainer's ``check_backward``. Cheap for any size; a wrong gradient passes only by luck of
  measure zero.

Each input is copied to its own contiguous memory before it is perturbed: an input that is a
broadcast or strided view would otherwise change in many places at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from juanji.autograd.grad_mode import enable_grad, no_grad
from juanji.tensor.tensor import Tensor

__all__ = ["gradcheck", "GradcheckError", "assert_close"]


class GradcheckError(AssertionError):
    """Raised when analytical and numerical gradients disagree."""


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def _check_inputs(inputs: Sequence[Any]) -> list[int]:
    checked = []
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t._data.dtype != np.float64:
                raise TypeError(
                    f"gradcheck: input {i} has dtype {t.dtype}; finite differences need "
                    "float64 (convert with .double())"
                )
            t._data = np.array(t._data, dtype=np.float64, order="C", copy=True)
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    return checked


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "full",
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s backward against central finite differences in float64.

    Args:
        fn: takes ``*inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: Tensors (float64 where ``requires_grad``) and any other arguments.
        eps: finite-difference step.
        atol: absolute tolerance of ``|analytical - numerical| <= atol + rtol * |numerical|``.
        rtol: relative tolerance in the same test.
        mode: ``"full"`` (whole Jacobian) or ``"random"`` (one random projection).
        seed: seed for the random direction.
        raise_exception: raise ``GradcheckError`` on mismatch (else return False).

    Returns:
        True when the gradients agree.

    Example:
        >>> import juanji
        >>> x = juanji.randn(3, dtype=juanji.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    if mode not in ("full", "random"):
        raise ValueError(f"gradcheck: mode must be 'full' or 'random', got {mode!r}")
    checked = _check_inputs(inputs)
    check = _check_full if mode == "full" else _check_random
    message = check(fn, list(inputs), checked, eps, atol, rtol, np.random.default_rng(seed))
    if message is None:
        return True
    if raise_exception:
        raise GradcheckError(message)
    return False


def _check_full(
    fn: Callable[..., Any],
    inputs: list[Any],
    checked: list[int],
    eps: float,
    atol: float,
    rtol: float,
    rng: np.random.Generator,
) -> str | None:
    with no_grad():
        base = [o._data.copy() for o in _outputs(fn, inputs)]
    for k, expected in enumerate(base):
        for flat in range(expected.size):
            for i in checked:
                inputs[i].grad = None
            with enable_grad():
                outs = _outputs(fn, inputs)
                seed = np.zeros_like(expected)
                seed.reshape(-1)[flat] = 1
                if not outs[k].requires_grad:
                    continue
                outs[k].backward(Tensor(seed))
            for i in checked:
                t = inputs[i]
                analytic = np.zeros(t.shape) if t.grad is None else t.grad._data
                for j in range(t._data.size):
                    numeric = _numeric(fn, inputs, t, j, k, flat, eps)
                    got = analytic.reshape(-1)[j]
                    if abs(got - numeric) > atol + rtol * abs(numeric):
                        return (
                            f"gradcheck: Jacobian mismatch for output {k} element {flat} "
                            f"with respect to input {i} element {j}: backward gave {got!r}, "
                            f"finite differences {numeric!r}"
                        )
    return None


def _numeric(
    fn: Callable[..., Any], inputs: list[Any], t: Tensor, j: int, k: int, flat: int, eps: float
) -> float:
    flat_data = t._data.reshape(-1)
    original = flat_data[j]
    with no_grad():
        flat_data[j] = original + eps
        plus = _outputs(fn, inputs)[k]._data.reshape(-1)[flat]
        flat_data[j] = original - eps
        minus = _outputs(fn, inputs)[k]._data.reshape(-1)[flat]
    flat_data[j] = original
    return float((plus - minus) / (2 * eps))


def _check_random(
    fn: Callable[..., Any],
    inputs: list[Any],
    checked: list[int],
    eps: float,
    atol: float,
    rtol: float,
    rng: np.random.Generator,
) -> str | None:
    directions = {i: rng.standard_normal(inputs[i].shape) for i in checked}
    for i in checked:
        inputs[i].grad = None
    with enable_grad():
        outs = _outputs(fn, inputs)
        cotangents = [rng.standard_normal(o.shape) for o in outs]
        total = None
        for o, u in zip(outs, cotangents, strict=True):
            if o.requires_grad:
                term = (o * Tensor(u)).sum()
                total = term if total is None else total + term
        if total is None:
            return "gradcheck: no output depends on the inputs that require grad"
        total.backward()
    analytic = sum(
        float((inputs[i].grad._data * directions[i]).sum())
        for i in checked
        if inputs[i].grad is not None
    )
    originals = {i: inputs[i]._data.copy() for i in checked}

    def projected(sign: float) -> float:
        for i in checked:
            inputs[i]._data = originals[i] + sign * eps * directions[i]
        with no_grad():
            value = sum(
                float((o._data * u).sum())
                for o, u in zip(_outputs(fn, inputs), cotangents, strict=True)
            )
        return value

    numeric = (projected(1.0) - projected(-1.0)) / (2 * eps)
    for i in checked:
        inputs[i]._data = originals[i]
    if abs(analytic - numeric) > atol + rtol * abs(numeric):
        return (
            f"gradcheck: directional derivative mismatch: backward gives {analytic!r}, "
            f"finite differences {numeric!r}"
        )
    return None


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    msg: str = "",
) -> None:
    """Assert two tensors/arrays are equal within tolerance (float32 1e-4, float64 1e-10)."""
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    b = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != b.shape:
        raise AssertionError(f"{msg} shapes differ: {a.shape} vs {b.shape}")
    default = 1e-10 if a.dtype == np.float64 and b.dtype == np.float64 else 1e-4
    np.testing.assert_allclose(
        a,
        b,
        rtol=rtol if rtol is not None else default,
        atol=atol if atol is not None else default,
        err_msg=msg,
    )
