"""Module backward hooks: identity nodes around a module call that see its gradients.

``register_full_backward_hook(hook)`` calls ``hook(module, grad_input, grad_output)`` once the
gradients of the module's inputs are known (PyTorch's semantics): the module's Tensor inputs
that require grad go through one identity node before ``forward``, its outputs through another
after. The output node's backward records ``grad_output`` (after the backward pre-hooks, which
may replace it); the input node's backward calls the hooks, whose non-None result replaces
``grad_input``. When no input requires grad, the hooks run at the output node with
``grad_input`` all None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from juanji.autograd.function import Function
from juanji.tensor.tensor import Tensor


class BackwardHookIdentity(Function):
    """``y_i = x_i``; the backward hands the gradients to ``callback`` and returns its result."""

    def forward(self, *arrays: Any, callback: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> Any:
        self.callback = callback
        views = tuple(a.view() for a in arrays)  # new array objects over the same data
        return views if len(views) > 1 else views[0]

    def backward(self, grad_output: Any) -> Any:
        grads = grad_output if isinstance(grad_output, tuple) else (grad_output,)
        result = tuple(self.callback(grads))
        return result if len(result) > 1 else result[0]


def _identity(tensors: list[Tensor], callback: Callable[..., Any]) -> list[Tensor]:
    out = Tensor._apply(BackwardHookIdentity, *tensors, callback=callback)
    return list(out) if isinstance(out, tuple) else [out]


class BackwardHookState:
    """The gradients of one module call, shared by its two identity nodes."""

    def __init__(self, module: Any, hooks: list[Callable[..., Any]], pre: list[Callable[..., Any]]):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre
        self.grad_output: tuple[Any, ...] = ()
        self.tensor_args: list[int] = []  # positions of Tensor positional arguments
        self.wrapped: list[int] = []  # those among them that require grad

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """``args`` with the Tensors that require grad passed through the input node."""
        self.tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.wrapped = [i for i in self.tensor_args if args[i].requires_grad]
        if not self.wrapped:
            return args
        new = list(args)
        passed = _identity([args[i] for i in self.wrapped], self._inputs)
        for i, tensor in zip(self.wrapped, passed, strict=True):
            new[i] = tensor
        return tuple(new)

    def wrap_output(self, output: Any) -> Any:
        """``output`` (a Tensor or a tuple) with its Tensors passed through the output node."""
        single = isinstance(output, Tensor)
        items = [output] if single else list(output) if isinstance(output, tuple) else None
        if items is None:
            return output
        positions = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
        if not positions:
            return output
        passed = _identity([items[i] for i in positions], self._outputs)
        for i, tensor in zip(positions, passed, strict=True):
            items[i] = tensor
        return items[0] if single else tuple(items)

    def _outputs(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        grads = tuple(_tensor_or_none(g) for g in grads)
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        self.grad_output = grads
        if not self.wrapped:
            self._call_hooks((None,) * len(self.tensor_args))
        return tuple(None if g is None else g._data for g in grads)

    def _inputs(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        by_position = dict(zip(self.wrapped, grads, strict=True))
        grad_input = tuple(_tensor_or_none(by_position.get(i)) for i in self.tensor_args)
        grad_input = self._call_hooks(grad_input)
        chosen = dict(zip(self.tensor_args, grad_input, strict=True))
        return tuple(None if chosen[i] is None else chosen[i]._data for i in self.wrapped)

    def _call_hooks(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        return grad_input


def _tensor_or_none(array: Any) -> Tensor | None:
    return None if array is None else Tensor(array)
