"""Tensor methods that change a tensor in place: ``add_``, ``zero_``, ``uniform_``, ``[...] =``.

PyTorch's rules, which juanji follows:

* a leaf that requires grad (a parameter), or a view of one, may be changed in place only inside
  ``no_grad()`` (optimisers and initialisers do this); otherwise a clear ``RuntimeError``;
* any other tensor may be changed in place while a graph is recorded: the write joins the graph
  (``Y[i, j] = expr`` gives ``Y`` a ``grad_fn``; gradients reach ``expr`` and the elements of the
  old ``Y`` that were not overwritten), and a write through a basic-indexing view also updates
  the graph of the tensor it views;
* every in-place write bumps the version counter of the memory (``autograd/version.py``), so
  backward through a node that saved the overwritten values raises instead of using them.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from juanji._ops import movement
from juanji.autograd import grad_mode, version
from juanji.backend import scatter_add, xp_of
from juanji.random import sample
from juanji.tensor._args import WholeView, index_arrays, operand
from juanji.tensor._base import Scalar, TensorBase
from juanji.tensor._checks import (
    bool_mask,
    broadcast_errors,
    check_inplace_result,
    check_scalar_fits,
)
from juanji.tensor._integer import check_rounding_mode

if TYPE_CHECKING:
    from typing_extensions import Self


def _grad_carrying(value: Any) -> bool:
    return getattr(value, "requires_grad", False) is True and hasattr(value, "_ctx")


class InplaceMethods(TensorBase):
    """In-place arithmetic, fills, copies and random fills."""

    __slots__ = ()

    # ------------------------------------------------------------------ the rules
    def _check_inplace(self, name: str) -> None:
        """Refuse an in-place write into a leaf that requires grad (or a view of one)."""
        if not grad_mode._enabled:
            return
        if self.requires_grad and self._ctx is None:
            kind = "a leaf Variable that requires grad"
        elif _leaf_base(self) is not None:
            kind = "a view of a leaf Variable that requires grad"
        else:
            return
        raise RuntimeError(
            f"{name}: {kind} is being used in an in-place operation; wrap it in "
            "juanji.no_grad() or use the out-of-place form"
        )

    def _records(self, *others: Any) -> builtins.bool:
        """True if this in-place write must join the graph.

        Integer tensors never do: PyTorch writes a gradient-carrying value into them as a cast.
        """
        if not grad_mode._enabled or self._data.dtype.kind != "f":
            return False
        return self.requires_grad or builtins.any(_grad_carrying(o) for o in others)

    def _adopt(self, result: TensorBase) -> Self:
        """Make this tensor the output of ``result``'s graph node (its data is already here)."""
        version.bump(self._data)
        self._ctx, self._output_index = result._ctx, result._output_index
        self.requires_grad = result.requires_grad
        view = self.__dict__.get("_view_of")
        if view is not None and result.requires_grad:
            base, index = view
            if version._root(base._data) is version._root(self._data):  # still the same memory
                base._adopt_written(self, index)
        return self

    def _adopt_written(self, view: TensorBase, index: Any) -> None:
        """Record that ``view`` (= ``self[index]``, already written through) was modified."""
        if isinstance(index, WholeView):  # a reshape or permute of all of self
            result = index.to_base(view)
        else:
            result = self._apply(movement.IndexPut, self, view, index=index)
        self._ctx, self._output_index = result._ctx, result._output_index
        self.requires_grad = True
        parent = self.__dict__.get("_view_of")
        if parent is not None and version._root(parent[0]._data) is version._root(self._data):
            parent[0]._adopt_written(self, parent[1])

    def _snapshot(self) -> Self:
        """A copy of this tensor standing for its old value in the graph."""
        copy = self._wrap(self._data.copy())
        copy._ctx, copy._output_index = self._ctx, self._output_index
        copy.requires_grad = self.requires_grad
        return copy

    def _inplace_graph(self, name: str, compute: Callable[[TensorBase], TensorBase]) -> Self:
        """Write ``compute(old self)`` into this tensor and record it in the graph.

        The op runs once, on this tensor's own memory. When the new node saved nothing that
        lives there (ReLU keeps a mask, sigmoid its output) nothing is copied, as PyTorch's
        ``relu_``; an op whose backward reads its input (``mul_``, ``silu_``) keeps copies of
        the arrays it saved, taken before the write.
        """
        self._check_inplace(name)
        alias = self._wrap(self._data)
        alias._ctx, alias._output_index = self._ctx, self._output_index
        alias.requires_grad = self.requires_grad
        result = compute(alias)
        node, xp = result._ctx, xp_of(self._data)
        if node is not None and any(
            hasattr(a, "shape") and xp.may_share_memory(a, self._data) for a in node.saved_tensors
        ):  # its backward reads the old values: save copies of them (not yet overwritten)
            node.save_for_backward(
                *(
                    a.copy() if hasattr(a, "shape") and xp.may_share_memory(a, self._data) else a
                    for a in node.saved_tensors
                )
            )
        self._data[...] = result._data
        return self._adopt(result)

    def _put(self, name: str, index: Any, value: Any, accumulate: builtins.bool = False) -> Self:
        """``self[index] = value`` (``+=`` with ``accumulate``), recorded when needed."""
        self._check_inplace(name)
        if not hasattr(value, "_data"):
            check_scalar_fits(name, value, self._data.dtype)
        if self._records(value):
            if not hasattr(value, "_ctx"):
                value = self._wrap(xp_of(self._data).asarray(operand(value), self._data.dtype))
            result = self._apply(movement.IndexPut, self, value, index=index, accumulate=accumulate)
            return self._adopt(result)
        with broadcast_errors(name):
            if accumulate:
                scatter_add(self._data, index, operand(value))
            else:
                self._data[index] = operand(value)
        version.bump(self._data)
        return self

    def _inplace(self, name: str, result: Any) -> Self:
        self._check_inplace(name)
        self._data[...] = result
        version.bump(self._data)
        return self

    # ------------------------------------------------------------------ writes
    def __setitem__(self, index: Any, value: Any) -> None:
        self._put("__setitem__", index_arrays(index), value)

    def index_put_(
        self, indices: tuple[Any, ...], values: Any, accumulate: builtins.bool = False
    ) -> Self:
        """``self[indices] = values`` (``+=`` with ``accumulate``; repeated indices add up)."""
        if not isinstance(indices, tuple | list):
            raise TypeError(
                f"index_put_: indices must be a tuple of tensors, got {type(indices).__name__}"
            )
        return self._put("index_put_", index_arrays(tuple(indices)), values, accumulate)

    def index_put(
        self, indices: tuple[Any, ...], values: Any, accumulate: builtins.bool = False
    ) -> Self:
        """Out-of-place ``index_put_``: a copy of self with ``values`` written at ``indices``."""
        return self.clone().index_put_(indices, values, accumulate)

    def masked_fill_(self, mask: Any, value: Any) -> Self:
        """Write ``value`` where ``mask`` (broadcast to self's shape) is True."""
        mask_array = bool_mask(mask, "masked_fill_")
        try:
            mask_array = xp_of(self._data).broadcast_to(mask_array, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"masked_fill_: the mask of shape {tuple(mask_array.shape)} does not broadcast "
                f"to the tensor's shape {self.shape}"
            ) from None
        return self._put("masked_fill_", mask_array, value)

    def fill_(self, value: Scalar) -> Self:
        """Fill with ``value`` in place."""
        return self._put("fill_", Ellipsis, value)

    def zero_(self) -> Self:
        """Fill with zeros in place."""
        return self._put("zero_", Ellipsis, 0)

    def copy_(self, src: Any, non_blocking: builtins.bool = False) -> Self:
        """Copy ``src``'s values into this tensor (broadcasting, casting)."""
        return self._put("copy_", Ellipsis, src)

    # ------------------------------------------------------------------ arithmetic
    def add_(self, other: Any, alpha: Scalar = 1) -> Self:
        """In-place ``self += alpha * other``."""
        check_inplace_result("add_", self, other)
        check_inplace_result("add_", self, alpha)
        if self._records(other):
            return self._inplace_graph("add_", lambda old: old.add(other, alpha=alpha))
        self._check_inplace("add_")
        value = operand(other)
        if alpha != 1:
            value = value * alpha
        with broadcast_errors("add_"):
            xp_of(self._data).add(self._data, value, out=self._data, casting="unsafe")
        version.bump(self._data)
        return self

    def sub_(self, other: Any, alpha: Scalar = 1) -> Self:
        """In-place ``self -= alpha * other``."""
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Self:
        """In-place ``self *= other``."""
        check_inplace_result("mul_", self, other)
        if self._records(other):
            return self._inplace_graph("mul_", lambda old: old * other)
        self._check_inplace("mul_")
        with broadcast_errors("mul_"):
            xp_of(self._data).multiply(self._data, operand(other), out=self._data, casting="unsafe")
        version.bump(self._data)
        return self

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Self:
        """In-place ``self /= other``; ``rounding_mode`` as in ``div``."""
        check_rounding_mode(rounding_mode, "div_")
        if rounding_mode is not None:
            return self._divided_("div_", other, rounding_mode)
        check_inplace_result("div_", self, other, np.float32)  # true division: a float
        if self._records(other):
            return self._inplace_graph("div_", lambda old: old / other)
        self._check_inplace("div_")
        with broadcast_errors("div_"):
            xp_of(self._data).divide(self._data, operand(other), out=self._data, casting="unsafe")
        version.bump(self._data)
        return self

    def addcmul_(self, tensor1: TensorBase, tensor2: TensorBase, value: Scalar = 1) -> Self:
        """In-place ``self += value * tensor1 * tensor2``."""
        if self._records(tensor1, tensor2):
            return self.add_(tensor1 * tensor2, alpha=value)
        return self.add_(operand(tensor1) * operand(tensor2), alpha=value)

    def addcdiv_(self, tensor1: TensorBase, tensor2: TensorBase, value: Scalar = 1) -> Self:
        """In-place ``self += value * tensor1 / tensor2``."""
        if self._records(tensor1, tensor2):
            return self.add_(tensor1 / tensor2, alpha=value)
        return self.add_(operand(tensor1) / operand(tensor2), alpha=value)

    def lerp_(self, end: TensorBase, weight: Scalar) -> Self:
        """In-place ``self += weight * (end - self)``."""
        if self._records(end):
            return self._inplace_graph("lerp_", lambda old: old + (end - old) * weight)
        return self.add_(operand(end) - self._data, alpha=weight)

    def pow_(self, exponent: Scalar) -> Self:
        """In-place ``self **= exponent``."""
        check_inplace_result("pow_", self, exponent)
        if self._records(exponent):
            return self._inplace_graph("pow_", lambda old: old**exponent)
        return self._inplace("pow_", self._data**exponent)

    def sqrt_(self) -> Self:
        """In-place square root."""
        if self._records():
            return self._inplace_graph("sqrt_", lambda old: old.sqrt())
        return self._inplace("sqrt_", xp_of(self._data).sqrt(self._data))

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Self:  # noqa: A002
        """In-place clamp."""
        for bound in (min, max):
            if bound is not None:
                check_inplace_result("clamp_", self, bound)
        if self._records():
            return self._inplace_graph("clamp_", lambda old: old.clamp(min, max))
        return self._inplace("clamp_", xp_of(self._data).clip(self._data, min, max))

    def _unary_(self, name: str, method: str) -> Self:
        """In-place form of the out-of-place method ``method`` (``relu_`` from ``relu``)."""
        if self._records():
            return self._inplace_graph(name, lambda old: getattr(old, method)())
        return self._inplace(name, getattr(self._wrap(self._data), method)()._data)

    def relu_(self) -> Self:
        """In-place ``max(x, 0)``."""
        return self._unary_("relu_", "relu")

    def sigmoid_(self) -> Self:
        """In-place logistic sigmoid."""
        return self._unary_("sigmoid_", "sigmoid")

    def tanh_(self) -> Self:
        """In-place hyperbolic tangent."""
        return self._unary_("tanh_", "tanh")

    def exp_(self) -> Self:
        """In-place ``e ** x``."""
        return self._unary_("exp_", "exp")

    def log_(self) -> Self:
        """In-place natural logarithm."""
        return self._unary_("log_", "log")

    def neg_(self) -> Self:
        """In-place negation."""
        return self._unary_("neg_", "neg")

    def abs_(self) -> Self:
        """In-place absolute value."""
        return self._unary_("abs_", "abs")

    # ------------------------------------------------------------------ random fills
    def uniform_(
        self, a: builtins.float = 0.0, b: builtins.float = 1.0, generator: Any = None
    ) -> Self:
        """Fill with samples from U(a, b)."""
        values = sample(generator, "uniform", self.shape, self._fill_dtype(), low=a, high=b)
        return self._put("uniform_", Ellipsis, values)

    def normal_(
        self, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator: Any = None
    ) -> Self:
        """Fill with samples from N(mean, std**2)."""
        values = sample(generator, "normal", self.shape, self._fill_dtype(), loc=mean, scale=std)
        return self._put("normal_", Ellipsis, values)

    def _fill_dtype(self) -> Any:
        """The dtype random fills are drawn in: this tensor's (floats only, as PyTorch)."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(
                f"random fills (uniform_, normal_) are not implemented for {self.dtype} tensors"
            )
        return self._data.dtype


def _leaf_base(tensor: Any) -> Any:
    """The leaf requiring grad that ``tensor`` is a basic-indexing view of, or None."""
    view = tensor.__dict__.get("_view_of")
    while view is not None:
        base = view[0]
        if base.requires_grad and base._ctx is None:
            return base
        view = base.__dict__.get("_view_of")
    return None
