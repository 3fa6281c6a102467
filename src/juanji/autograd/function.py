"""``Function``: one differentiable operation on raw arrays, and one node of the autograd graph.

A subclass writes ``forward`` and ``backward`` side by side on arrays; it never sees a Tensor.
``Tensor._apply`` (in ``juanji.tensor``) creates one instance per call, fills
``needs_input_grad``, calls ``forward``, and, when recording, links the instance into the graph
through ``parents``. The engine later calls ``backward`` once with the summed output gradient.

Contract for subclasses:
    forward(*arrays, **params) -> array or tuple of arrays
        may call ``save_for_backward`` and keep small Python values on ``self``; should skip
        saving when ``self.requires_grad`` is False (no graph will be built).
    backward(grad_output) -> one gradient per forward input (a tuple, or a single array for one
        input), ``None`` where ``needs_input_grad[i]`` is False; trailing constant inputs
        (an index, a dtype) may be left out. Multi-output functions receive a
        tuple of output gradients (zeros for outputs that got none). A gradient may have the
        broadcast shape of the output; the engine sums it down to the input's shape.
    Neither may modify its inputs or ``grad_output`` in place, and both return the dtype they got.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd import version


class Function:
    """Base class of every differentiable op; see the module docstring for the contract."""

    # Set by Tensor._apply before forward:
    needs_input_grad: tuple[bool, ...] = ()
    requires_grad: bool = False
    # Set by Tensor._apply after forward when recording (graph edges):
    parents: tuple[Any, ...] | None = None
    saved_tensors: tuple[Any, ...] = ()
    _saved_versions: tuple[int, ...] | None = None  # see autograd/version.py
    n_outputs: int = 1
    _retained: dict[int, Any] | None = None
    _tensor_hooks: dict[int, dict[int, Any]] | None = None  # output index -> Tensor.register_hook

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays that backward needs (released after backward unless retain_graph)."""
        self.saved_tensors = arrays
        self._saved_versions = version.snapshot(arrays)

    def forward(self, *args: Any, **params: Any) -> Any:
        """Compute the output array(s) from input arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, grad_output: Any) -> Any:
        """Return the gradient for each input, given the gradient of the output."""
        raise NotImplementedError(f"{type(self).__name__} has no backward (not differentiable)")

    def name(self) -> str:
        """PyTorch-style node name, e.g. ``MulBackward0``."""
        return f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The nodes feeding this one, as PyTorch shows them: ``((node_or_None, 0), ...)``."""
        if self.parents is None:
            return ()
        return tuple(
            (None, 0) if p is None else (p._ctx if p._ctx is not None else _Leaf(p), 0)
            for p in self.parents
        )


class _Leaf:
    """Stands for a leaf tensor in ``next_functions`` (PyTorch's ``AccumulateGrad``)."""

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"
