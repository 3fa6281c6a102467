"""Padding on arrays: constant (may crop), reflect, replicate, circular; backward is the adjoint.

Notation:
    pads    a tuple of (before, after) pairs, one per padded dimension, in dimension order,
            applying to the LAST len(pads) dimensions (leading ones are left alone).
            ``F.pad``'s reversed flat order (last dim first) is converted once, in
            ``nn.functional.padding``; below this line padding is always pairs.
    n       size of one dimension before padding;  b, a  its before/after pad.

Along one dimension the output index j holds input index j - b. A negative ``b`` or ``a`` (only
in constant mode, as in PyTorch) crops instead of padding. The non-constant modes are separable:
padding the dimensions one after the other gives PyTorch's corners, so forward and backward can
work one dimension at a time.

    reflect     out[j] = x[|j - b|] mirrored at both ends without repeating the edge (b, a < n)
    replicate   out[j] = x[clip(j - b, 0, n - 1)]                                    (n >= 1)
    circular    out[j] = x[(j - b) mod n]                                            (b, a <= n)
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import xp_of

Pads = tuple[tuple[int, int], ...]

# numpy.pad's names for the non-constant modes (CuPy uses the same names).
_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _overlap(shape: tuple[int, ...], pads: Pads) -> tuple[tuple[int, ...], tuple, tuple]:
    """Output shape and the matching (input, output) slices of the region kept from the input."""
    lead = len(shape) - len(pads)
    out_shape = list(shape)
    in_slices: list[slice] = [slice(None)] * len(shape)
    out_slices: list[slice] = [slice(None)] * len(shape)
    for axis, (before, after) in enumerate(pads, start=lead):
        n = shape[axis]
        out_shape[axis] = n + before + after
        start, stop = max(0, -before), min(n, n + after)  # input range that survives cropping
        in_slices[axis] = slice(start, max(start, stop))
        out_slices[axis] = slice(start + before, max(start, stop) + before)
    return tuple(out_shape), tuple(in_slices), tuple(out_slices)


def pad_constant(x: Any, pads: Pads, value: Any = 0) -> Any:
    """Pad the last ``len(pads)`` dims with ``value``; negative pads crop. No copy when all zero."""
    if all(before == 0 and after == 0 for before, after in pads):
        return x
    out_shape, in_slices, out_slices = _overlap(x.shape, pads)
    xp = xp_of(x)
    if value == 0:
        out = xp.zeros(out_shape, dtype=x.dtype)
    else:
        out = xp.full(out_shape, value, dtype=x.dtype)
    out[out_slices] = x[in_slices]
    return out


def pad_constant_adjoint(grad_output: Any, in_shape: tuple[int, ...], pads: Pads) -> Any:
    """The adjoint of ``pad_constant`` in ``x``: crop the padding off, put zeros where cropped.

    With no negative pad this is a view of ``grad_output`` (no copy).
    """
    if all(before == 0 and after == 0 for before, after in pads):
        return grad_output
    _, in_slices, out_slices = _overlap(in_shape, pads)
    if all(before >= 0 and after >= 0 for before, after in pads):
        return grad_output[out_slices]
    grad_input = xp_of(grad_output).zeros(in_shape, dtype=grad_output.dtype)
    grad_input[in_slices] = grad_output[out_slices]
    return grad_input


def _fold_axis(grad: Any, axis: int, before: int, after: int, mode: str) -> Any:
    """Adjoint of padding one axis in a non-constant mode: add each padded cell to its source."""
    xp = xp_of(grad)
    n = grad.shape[axis] - before - after

    def at(start: int, stop: int) -> tuple[slice, ...]:
        index = [slice(None)] * grad.ndim
        index[axis] = slice(start, stop)
        return tuple(index)

    result = grad[at(before, before + n)].copy()  # the interior maps one to one
    head, tail = grad[at(0, before)], grad[at(before + n, before + n + after)]
    if mode == "replicate":
        result[at(0, 1)] += head.sum(axis=axis, keepdims=True)
        result[at(n - 1, n)] += tail.sum(axis=axis, keepdims=True)
    elif mode == "reflect":  # out[j] = x[b - j] before, out[b + n + t] = x[n - 2 - t] after
        result[at(1, before + 1)] += xp.flip(head, axis=axis)
        result[at(n - 1 - after, n - 1)] += xp.flip(tail, axis=axis)
    else:  # circular: out[j] = x[n - b + j] before, out[b + n + t] = x[t] after
        result[at(n - before, n)] += head
        result[at(0, after)] += tail
    return result


class Pad(Function):
    """Pad the last ``len(pads)`` dimensions; see the module docstring for the modes."""

    def forward(self, x: Any, pads: Pads, mode: str = "constant", value: Any = 0) -> Any:
        self.in_shape, self.pads, self.mode = x.shape, pads, mode
        if mode == "constant":
            return pad_constant(x, pads, value)
        lead = ((0, 0),) * (x.ndim - len(pads))
        return xp_of(x).pad(x, lead + tuple(pads), mode=_NUMPY_MODE[mode])

    def backward(self, grad_output: Any) -> Any:
        if self.mode == "constant":
            return pad_constant_adjoint(grad_output, self.in_shape, self.pads)
        grad = grad_output
        lead = grad.ndim - len(self.pads)
        # Forward padded axis 0 first and the last axis last; undo in reverse order.
        for axis in reversed(range(lead, grad.ndim)):
            before, after = self.pads[axis - lead]
            if before or after:
                grad = _fold_axis(grad, axis, before, after, self.mode)
        return grad
