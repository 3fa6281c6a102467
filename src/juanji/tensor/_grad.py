"""``juanji.autograd.grad`` and ``juanji.autograd.backward``: PyTorch's functional autograd.

``grad(outputs, inputs)`` returns the gradients of ``outputs`` with respect to ``inputs``
(leaves or intermediate tensors) without touching any ``.grad``; ``backward(tensors)`` is
``Tensor.backward`` for several outputs at once. Both are first-order, as juanji's engine is.
They live in the tensor layer because they build Tensors (``juanji.autograd`` sits below it and
reaches them lazily).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from juanji.autograd import engine
from juanji.backend import xp_of
from juanji.tensor._args import to_array
from juanji.tensor.tensor import Tensor


def _as_list(value: Any, name: str, fn: str) -> list[Any]:
    items = [value] if isinstance(value, Tensor) else list(value)
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"{fn}: {name} must be Tensors, got {type(item).__name__}")
    return items


def _seeds(outputs: list[Tensor], grad_outputs: Any, fn: str) -> list[Any]:
    """The gradient each output starts from: given, or 1 for a single-element output."""
    given = [None] * len(outputs) if grad_outputs is None else _as_grads(grad_outputs)
    if len(given) != len(outputs):
        raise RuntimeError(
            f"{fn}: got {len(given)} grad_outputs for {len(outputs)} outputs; they must match"
        )
    seeds = []
    for output, seed in zip(outputs, given, strict=True):
        if not output.requires_grad:
            raise RuntimeError(
                f"{fn}: element of the outputs does not require grad and does not have a grad_fn"
            )
        if seed is None:
            if output._data.size != 1:
                raise RuntimeError(
                    f"{fn}: grad can be implicitly created only for scalar outputs; an output "
                    f"has shape {output.shape}: pass grad_outputs"
                )
            seed = xp_of(output._data).ones(output._data.shape, dtype=output._data.dtype)
        else:
            seed = seed._data if isinstance(seed, Tensor) else to_array(seed, None)
            if tuple(seed.shape) != tuple(output.shape):
                raise RuntimeError(
                    f"{fn}: a grad_output has shape {tuple(seed.shape)} but its output has shape "
                    f"{output.shape}"
                )
        seeds.append(seed.astype(output._data.dtype, copy=False))
    return seeds


def _as_grads(grad_outputs: Any) -> list[Any]:
    if isinstance(grad_outputs, Tensor) or grad_outputs is None:
        return [grad_outputs]
    return list(grad_outputs)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; no ``.grad`` changes.

    Args:
        outputs: a tensor or a sequence of tensors (the sum of their gradients is taken).
        inputs: a tensor or a sequence of tensors that ``outputs`` depend on (leaves or not).
        grad_outputs: the gradient each output starts from; may be omitted for scalar outputs.
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: not supported (juanji's autograd is first-order).
        only_inputs: accepted for PyTorch's signature (deprecated there; no effect).
        allow_unused: an input the outputs do not depend on gives None instead of an error.
        is_grads_batched: not supported.
        materialize_grads: give zeros instead of None for unused inputs (implies allow_unused).

    Example:
        >>> import juanji
        >>> x = juanji.tensor([1.0, 2.0], requires_grad=True)
        >>> (g,) = juanji.autograd.grad((x * x).sum(), x)
        >>> g, x.grad is None
        (tensor([2., 4.]), True)
    """
    fn = "autograd.grad"
    if create_graph or is_grads_batched:
        what = "create_graph=True" if create_graph else "is_grads_batched=True"
        raise NotImplementedError(f"{fn}: {what} is not supported (first-order autograd)")
    outs, ins = _as_list(outputs, "outputs", fn), _as_list(inputs, "inputs", fn)
    for tensor in ins:
        if not tensor.requires_grad:
            raise RuntimeError(f"{fn}: one of the differentiated Tensors does not require grad")
    allow_unused = bool(allow_unused) or materialize_grads
    seeds = _seeds(outs, grad_outputs, fn)
    totals: dict[int, Any] = {}
    for i, (output, seed) in enumerate(zip(outs, seeds, strict=True)):
        keep = bool(retain_graph) or i < len(outs) - 1
        found = engine.backward(output, seed, keep, Tensor, targets=ins)
        for key, value in (found or {}).items():
            if value is not None:
                totals[key] = value if key not in totals else totals[key] + value
    return tuple(_result(t, totals.get(id(t)), allow_unused, materialize_grads) for t in ins)


def _result(tensor: Tensor, value: Any, allow_unused: bool, materialize: bool) -> Tensor | None:
    if value is None:
        if not allow_unused:
            raise RuntimeError(
                "autograd.grad: one of the differentiated Tensors appears to not have been used "
                "in the graph. Set allow_unused=True if this is the desired behavior."
            )
        return Tensor(xp_of(tensor._data).zeros_like(tensor._data)) if materialize else None
    value = engine.sum_to_shape(value, tensor._data.shape)
    return Tensor(xp_of(value).array(value, dtype=tensor._data.dtype, copy=True))


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> None:
    """``Tensor.backward`` for one or several outputs: gradients accumulate into ``.grad``.

    Example:
        >>> import juanji
        >>> x = juanji.tensor([3.0], requires_grad=True)
        >>> juanji.autograd.backward([(x * 2).sum(), (x * x).sum()])
        >>> x.grad
        tensor([8.])
    """
    fn = "autograd.backward"
    if create_graph or inputs is not None:
        what = "create_graph=True" if create_graph else "inputs="
        raise NotImplementedError(f"{fn}: {what} is not supported")
    outs = _as_list(tensors, "tensors", fn)
    seeds = _seeds(outs, grad_tensors, fn)
    for i, (output, seed) in enumerate(zip(outs, seeds, strict=True)):
        keep = bool(retain_graph) or i < len(outs) - 1
        engine.backward(output, seed, keep, Tensor)
