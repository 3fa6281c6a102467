"""Reverse-mode differentiation over the graph of ``Function`` nodes.

The engine is duck-typed: it reads ``._ctx``, ``._output_index``, ``.requires_grad``, ``.grad``,
``._data`` and ``.shape`` of tensors and never imports the Tensor class. It

1. collects the nodes reachable from the root in topological order, iteratively (no recursion
   limit on deep graphs);
2. walks them from the root down, calling each node's ``backward`` once, with the sum of all
   gradients that reached each of its outputs;
3. sums a gradient down to its input's shape where forward broadcast it (the one place where
   broadcasting is undone: ops return full-shape gradients);
4. accumulates into ``.grad`` of leaves (and of non-leaves that called ``retain_grad``), adding to
   what is there, as PyTorch does;
5. frees saved arrays and graph edges unless ``retain_graph=True``, so a second backward through
   the same graph is a clear error rather than a silent wrong result.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd import version
from juanji.backend import xp_of

_FREED = (
    "Trying to backward through the graph a second time (or to use a graph after its saved "
    "arrays were freed). Call .backward(retain_graph=True) the first time if you need to "
    "backward twice."
)


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


def _topological_order(root_node: Any) -> list[Any]:
    """Nodes reachable from ``root_node``, each after every node that consumes its outputs."""
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root_node, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        # Marked when expanded, not when pushed: a node pushed early through a short path
        # (y in y + f(y)) must still finish after every node on the longer path above it.
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node.parents is None:
            raise RuntimeError(_FREED)
        stack.append((node, True))
        for parent in node.parents:
            child = None if parent is None else parent._ctx
            if child is not None and id(child) not in visited:
                stack.append((child, False))
    order.reverse()  # post-order reversed: consumers before producers
    return order


def _accumulate(tensor: Any, grad: Any, wrap: Any) -> None:
    """Add ``grad`` into ``tensor.grad`` (creating it), keeping the tensor's dtype."""
    if grad.dtype != tensor._data.dtype:
        grad = grad.astype(tensor._data.dtype)
    if tensor.grad is None:
        # Always own the memory: grad may alias a saved array, a view, or the gradient handed to
        # another input (Add passes one array to both), and optimisers update .grad in place.
        # Order 'K' keeps grad's memory layout: a batch-last conv gradient (_ops/conv/gemm.py) is
        # copied as it lies (memcpy speed), not transposed to C order (5x slower).
        tensor.grad = wrap(xp_of(grad).array(grad, order="K", copy=True))
    elif tensor.grad._data.flags.writeable:
        xp_of(grad).add(tensor.grad._data, grad, out=tensor.grad._data)  # no per-step allocation
    else:
        tensor.grad._data = tensor.grad._data + grad


def backward(
    root: Any, grad_root: Any, retain_graph: bool, wrap: Any, targets: Any = None
) -> dict[int, Any] | None:
    """Backpropagate ``grad_root`` (an array shaped like ``root``) into the graph under ``root``.

    ``wrap(array)`` makes a gradient Tensor; passing it in keeps this module free of the Tensor
    class. With ``targets`` (tensors, leaves or not: ``torch.autograd.grad``), their gradients
    are returned by ``id`` instead, and no ``.grad`` is touched.
    """
    sink = _Sink(targets, wrap)
    if root._ctx is None:  # a leaf: its gradient is the seed itself
        sink.leaf(root, grad_root)
        return sink.found
    order = _topological_order(root._ctx)
    pending: dict[int, list[Any]] = {id(root._ctx): [None] * root._ctx.n_outputs}
    pending[id(root._ctx)][root._output_index] = grad_root
    for node in order:
        grads = pending.pop(id(node), None)
        if grads is None:  # reached only through outputs that received no gradient
            continue
        if node._tensor_hooks:
            _run_hooks(node._tensor_hooks, grads, wrap)
        sink.node(node, grads)
        if node._retained and sink.found is None:
            for index, tensor in node._retained.items():
                if grads[index] is not None:
                    _accumulate(tensor, grads[index], wrap)
        version.check(node)
        if node.n_outputs == 1:
            input_grads = node.backward(grads[0])
        else:
            xp = xp_of(*(g for g in grads if g is not None))
            input_grads = node.backward(
                tuple(_zeros_if_none(g, node, i, xp) for i, g in enumerate(grads))
            )
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        # zip stops at the shorter: backward may leave out trailing constant inputs.
        for parent, needs, grad in zip(node.parents, node.needs_input_grad, input_grads):  # noqa: B905
            if not needs or parent is None or grad is None:
                continue
            grad = sum_to_shape(grad, parent.shape)
            if parent._ctx is None:
                sink.leaf(parent, grad)
                continue
            slots = pending.setdefault(id(parent._ctx), [None] * parent._ctx.n_outputs)
            index = parent._output_index
            slots[index] = grad if slots[index] is None else slots[index] + grad
        if not retain_graph:
            node.saved_tensors = ()
            node.parents = None
    return sink.found


def _run_hooks(hooks: dict[int, dict[int, Any]], grads: list[Any], wrap: Any) -> None:
    """``Tensor.register_hook`` hooks of a node's outputs: each may replace the gradient."""
    for index, by_id in hooks.items():
        for hook in list(by_id.values()):
            if grads[index] is None:
                break
            replaced = hook(wrap(grads[index]))
            if replaced is not None:
                grads[index] = replaced._data


class _Sink:
    """Where gradients go: the leaves' ``.grad``, or (``targets`` given) a dict by ``id``."""

    def __init__(self, targets: Any, wrap: Any) -> None:
        self.wrap = wrap
        self.found: dict[int, Any] | None = None if targets is None else {}
        self.wanted = {} if targets is None else {id(t): t for t in targets}
        self.by_node: dict[int, list[Any]] = {}
        for t in self.wanted.values():
            if t._ctx is not None:
                self.by_node.setdefault(id(t._ctx), []).append(t)

    def leaf(self, tensor: Any, grad: Any) -> None:
        """A leaf's gradient: accumulated into ``.grad``, or kept if it is a target."""
        hooks = getattr(tensor, "__dict__", {}).get("_grad_hooks")
        if hooks:
            slot = [grad]
            _run_hooks({0: hooks}, slot, self.wrap)
            grad = slot[0]
        if self.found is None:
            _accumulate(tensor, grad, self.wrap)
        elif id(tensor) in self.wanted:
            old = self.found.get(id(tensor))
            self.found[id(tensor)] = grad if old is None else old + grad

    def node(self, node: Any, grads: list[Any]) -> None:
        """The complete gradients of ``node``'s outputs: keep those of target tensors."""
        for t in self.by_node.get(id(node), ()):
            self.found[id(t)] = grads[t._output_index]  # type: ignore[index]


def _zeros_if_none(grad: Any, node: Any, index: int, xp: Any) -> Any:
    """A zero gradient for an output of a multi-output node that received none."""
    if grad is not None:
        return grad
    shape, dtype = node.output_meta[index]
    return xp.zeros(shape, dtype=dtype)
