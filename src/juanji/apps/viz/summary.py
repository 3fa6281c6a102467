"""A layer table for any ``Module``, like torchinfo's: shapes, parameters, connections, MACs.

``summary(model, input_size)`` runs the model once on a zero input of batch 1 (in eval mode,
under ``no_grad``), records every module call with forward hooks, and returns a
``ModelSummary`` whose ``str`` is the table. What is counted, per call of a layer:

* **Parameters** (the notes' rule): the values the layer trains, weights plus biases, counted
  once however often they are used (a convolution kernel is shared by every output position).
  Pooling, activations, flatten and dropout have none. A layer reached a second time (a shared
  module) shows ``(shared)``. Totals come from ``model.parameters()``: trainable ones have
  ``requires_grad``. Buffers (fixed values such as LeNet5Classic's RBF bitmaps, running
  statistics) are totalled on their own line.
* **Connections** (the 1998 LeNet paper's measure): the number of (input or bias, output unit)
  links that carry a weight, one weight use per link, so a shared weight counts once per
  output unit that uses it. For a convolution, ``outputs x (C_in/groups * prod(kernel) + 1)``
  (the ``+ 1`` only with a bias; padded positions count, the weight still multiplies them); for
  ``Linear``, ``outputs x (in_features + 1)``. Layers without weights (pooling, activations)
  have none.
* **Multiply-adds** (MACs): the weight multiplications of one forward pass, ``outputs x
  C_in/groups * prod(kernel)`` for a convolution and ``outputs x in_features`` for ``Linear``
  (bias additions and activations are not counted, as torchinfo and the papers do).

A layer of another kind can report its own connections and multiply-adds with a method
``summary_counts(input_shape, output_shape) -> (connections, multiply_adds)`` (input and
output shapes with the batch dimension); ``juanji.models.lenet`` uses it for trainable
subsampling, the C3 connection table and the RBF output, which gives LeNet5Classic's 340,908.

Memory (MB = 10^6 bytes, batch 1): the input, the outputs of every layer that has no children
(what a forward pass keeps for backward), and the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from juanji._dtype import get_default_dtype
from juanji.autograd import no_grad
from juanji.nn.conv import _ConvNd
from juanji.nn.linear import Linear
from juanji.nn.module import Module
from juanji.tensor.creation import zeros
from juanji.tensor.tensor import Tensor

__all__ = ["LayerRow", "ModelSummary", "layer_counts", "summary"]


@dataclass
class LayerRow:
    """One call of one module during the summary's forward pass.

    Attributes:
        name: dotted path in the model (``"features.0"``); ``""`` for the model itself.
        type: the module's class name.
        depth: nesting level; children of the model are at 0.
        is_leaf: the module has no children (its counts add up to the totals).
        output_shape: the output's shape with the batch of 1, or None when not a tensor.
        params: parameters the module owns directly (shown as ``(shared)`` on a repeated
            call, and counted once in the totals).
        connections: weighted links into its output units (see the module docstring).
        multiply_adds: weight multiplications of this call.
        repeated: the module was already called earlier in the same pass.
    """

    name: str
    type: str
    depth: int
    is_leaf: bool
    output_shape: tuple[int, ...] | None = None
    params: int = 0
    connections: int = 0
    multiply_adds: int = 0
    repeated: bool = False
    output_bytes: int = 0


@dataclass
class ModelSummary:
    """What ``summary`` measured; ``str(summary)`` is the table.

    Attributes:
        model_name: the model's class name.
        input_shape: the shape fed, with the batch of 1.
        rows: one ``LayerRow`` per module call, in call order (parents before children).
        total_params, trainable_params, non_trainable_params: over ``model.parameters()``.
        buffer_values: elements in the model's persistent buffers (fixed, not trained).
        connections, multiply_adds: sums over the leaf rows.
        input_bytes, activation_bytes, param_bytes: memory of the input, of the leaf outputs,
            and of the parameters.
    """

    model_name: str
    input_shape: tuple[int, ...]
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    buffer_values: int = 0
    connections: int = 0
    multiply_adds: int = 0
    input_bytes: int = 0
    activation_bytes: int = 0
    param_bytes: int = 0

    def row(self, name: str) -> LayerRow:
        """The first row of the module at dotted path ``name``."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no layer named {name!r} in the summary")

    def __str__(self) -> str:
        return _render(self)

    __repr__ = __str__


def layer_counts(
    module: Module, input_shape: tuple[int, ...] | None, output_shape: tuple[int, ...] | None
) -> tuple[int, int]:
    """``(connections, multiply_adds)`` of one call of ``module`` (see the module docstring).

    Example:
        >>> from juanji import nn
        >>> layer_counts(nn.Conv2d(1, 6, 5), (1, 1, 32, 32), (1, 6, 28, 28))  # LeNet's C1
        (122304, 117600)
        >>> layer_counts(nn.MaxPool2d(2), (1, 6, 28, 28), (1, 6, 14, 14))
        (0, 0)
    """
    own = getattr(module, "summary_counts", None)
    if callable(own):
        connections, multiply_adds = own(input_shape, output_shape)
        return int(connections), int(multiply_adds)
    if output_shape is None:
        return 0, 0
    outputs = math.prod(output_shape)
    if isinstance(module, _ConvNd) and not module.transposed:
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
    elif isinstance(module, Linear):
        per_output = module.in_features
    else:
        return 0, 0
    has_bias = int(module.bias is not None)
    return outputs * (per_output + has_bias), outputs * per_output


def summary(model: Module, input_size: Sequence[int] | None = None) -> ModelSummary:
    """Run ``model`` once on zeros of shape ``(1, *input_size)`` and tabulate every layer.

    Args:
        model: any ``Module``; its training mode and parameters are left as they were.
        input_size: one sample's shape without the batch, e.g. ``(1, 28, 28)``. Default: the
            model's ``input_size`` attribute (every model in ``juanji.models`` has one).

    Returns:
        A ``ModelSummary``; print it for the table, or read its rows and totals.

    Raises:
        ValueError: no ``input_size`` given or known, or not positive ints; errors of the
            model's own forward pass (e.g. an input too small for a kernel) pass through.

    Example:
        >>> from juanji import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
        >>> table = summary(net, (1, 4, 4))
        >>> print(table)
        Sequential, input (1, 1, 4, 4)
        ==========================================================
        Layer (type)  Output shape  Params  Connections  Mult-adds
        ==========================================================
        0 (Conv2d)    [1, 2, 2, 2]      20           80         72
        1 (ReLU)      [1, 2, 2, 2]      --           --         --
        2 (Flatten)   [1, 8]            --           --         --
        3 (Linear)    [1, 3]            27           27         24
        ==========================================================
        Total params: 47
        Trainable params: 47
        Non-trainable params: 0
        Connections: 107
        Mult-adds: 96
        ----------------------------------------------------------
        Input size (MB): 0.000
        Activations, forward pass (MB): 0.000
        Params size (MB): 0.000
        Estimated total size (MB): 0.000
        ==========================================================
        >>> table.trainable_params, table.row("0").connections
        (47, 80)
    """
    shape = _input_shape(model, input_size)
    dtype, device = get_default_dtype(), None
    for param in model.parameters():
        dtype, device = param.dtype, param.device
        break
    x = zeros((1, *shape), dtype=dtype, device=device)
    result = ModelSummary(type(model).__name__, tuple(x.shape))
    _trace(model, x, result)
    _totals(model, x, result)
    return result


def _input_shape(model: Module, input_size: Sequence[int] | None) -> tuple[int, ...]:
    if input_size is None:
        input_size = getattr(model, "input_size", None)
        if input_size is None:
            raise ValueError(
                f"summary: give input_size, e.g. (1, 28, 28); {type(model).__name__} has no "
                "input_size attribute"
            )
    shape = tuple(input_size)
    if not shape or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape
    ):
        raise ValueError(
            f"summary: input_size must be positive ints without the batch, e.g. (1, 28, 28); "
            f"got {input_size!r}"
        )
    return shape


def _first_tensor(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((v for v in value if isinstance(v, Tensor)), None)
    return None


def _trace(model: Module, x: Tensor, result: ModelSummary) -> None:
    """Run the model with hooks on every module, appending one row per call."""
    names = {id(module): name for name, module in model.named_modules()}
    show_root = not any(True for _ in model.children())
    seen: set[int] = set()
    open_rows: dict[int, list[LayerRow]] = {}

    def before(module: Module, args: tuple[Any, ...]) -> None:
        name = names.get(id(module), "?")
        if module is model and not show_root:
            return
        has_children = any(True for _ in module.children())
        row = LayerRow(name, type(module).__name__, name.count("."), not has_children)
        row.repeated = id(module) in seen
        seen.add(id(module))
        row.params = sum(p.numel() for p in module.parameters(recurse=False))
        result.rows.append(row)
        open_rows.setdefault(id(module), []).append(row)

    def after(module: Module, args: tuple[Any, ...], output: Any) -> None:
        stack = open_rows.get(id(module))
        if not stack:
            return
        row = stack.pop()
        out, inp = _first_tensor(output), _first_tensor(args)
        row.output_shape = None if out is None else tuple(out.shape)
        if out is not None:
            row.output_bytes = out.numel() * out.element_size()
        if row.is_leaf:
            in_shape = None if inp is None else tuple(inp.shape)
            row.connections, row.multiply_adds = layer_counts(module, in_shape, row.output_shape)

    handles = []
    modes = [(module, module.training) for module in model.modules()]
    try:
        for module in model.modules():
            handles.append(module.register_forward_pre_hook(before))
            handles.append(module.register_forward_hook(after))
        model.eval()
        with no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training


def _totals(model: Module, x: Tensor, result: ModelSummary) -> None:
    for param in model.parameters():
        result.total_params += param.numel()
        result.param_bytes += param.numel() * param.element_size()
        if param.requires_grad:
            result.trainable_params += param.numel()
    result.non_trainable_params = result.total_params - result.trainable_params
    parameter_keys = {name for name, _ in model.named_parameters(remove_duplicate=False)}
    result.buffer_values = sum(
        value.numel() for key, value in model.state_dict().items() if key not in parameter_keys
    )
    leaves = [row for row in result.rows if row.is_leaf]
    result.connections = sum(row.connections for row in leaves)
    result.multiply_adds = sum(row.multiply_adds for row in leaves)
    result.activation_bytes = sum(row.output_bytes for row in leaves)
    result.input_bytes = x.numel() * x.element_size()


# ---------------------------------------------------------------------- rendering
_HEADERS = ("Layer (type)", "Output shape", "Params", "Connections", "Mult-adds")


def _count(value: int, row: LayerRow) -> str:
    return f"{value:,}" if row.is_leaf and value else "--"


def _cells(row: LayerRow) -> tuple[str, ...]:
    name = f"{'  ' * row.depth}{row.name} ({row.type})" if row.name else row.type
    shape = "--" if row.output_shape is None else str(list(row.output_shape))
    if not row.params:
        params = "--"
    else:
        params = "(shared)" if row.repeated else f"{row.params:,}"
    return name, shape, params, _count(row.connections, row), _count(row.multiply_adds, row)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.3f}"


def _render(s: ModelSummary) -> str:
    table = [_HEADERS] + [_cells(row) for row in s.rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(_HEADERS))]

    def line(cells: tuple[str, ...]) -> str:
        # Text columns left-aligned, numbers right-aligned, two spaces between columns.
        parts = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        parts += [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(parts).rstrip()

    width = sum(widths) + 2 * (len(widths) - 1)
    heavy, light = "=" * width, "-" * width
    lines = [f"{s.model_name}, input {s.input_shape}", heavy, line(_HEADERS), heavy]
    lines += [line(cells) for cells in table[1:]]
    lines += [
        heavy,
        f"Total params: {s.total_params:,}",
        f"Trainable params: {s.trainable_params:,}",
        f"Non-trainable params: {s.non_trainable_params:,}",
    ]
    if s.buffer_values:
        lines.append(f"Buffers (fixed values, not trained): {s.buffer_values:,}")
    lines += [f"Connections: {s.connections:,}", f"Mult-adds: {s.multiply_adds:,}", light]
    total = s.input_bytes + s.activation_bytes + s.param_bytes
    lines += [
        f"Input size (MB): {_megabytes(s.input_bytes)}",
        f"Activations, forward pass (MB): {_megabytes(s.activation_bytes)}",
        f"Params size (MB): {_megabytes(s.param_bytes)}",
        f"Estimated total size (MB): {_megabytes(total)}",
        heavy,
    ]
    return "\n".join(lines)
