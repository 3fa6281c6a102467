"""Receptive fields layer by layer: how much of the input one unit sees, and where.

For every convolution and pooling layer of a model (found by running it once on a zero input
with forward hooks, so the order is the real call order), ``receptive_field_table`` applies the
standard recurrence of ``juanji._shapes.receptive_fields`` per spatial dimension::

    jump   j_out = j_in * s                         (input pixels between neighbouring units)
    size   r_out = r_in + (k_eff - 1) * j_in         (input pixels one unit sees)
    start  c_out = c_in + ((k_eff - 1)/2 - p_before) * j_in   (centre of the first unit)

starting from one pixel, ``(r, j, c) = (1, 1, 0.5)``: pixel ``i`` covers ``[i, i + 1)``, so its
centre is ``i + 0.5``. Unit ``u`` of a layer is centred at ``c + u * j`` and sees the input
interval ``[c + u*j - r/2, c + u*j + r/2)``; where that leaves the image it sees padding.

Layers that keep the spatial size and have no window (activations, dropout) do not change the
field and get no row. The table stops at the first layer that mixes all positions (``Flatten``,
``Linear``, adaptive pooling): from there on every unit sees the whole input.

A layer's window is read from its ``kernel_size``, ``stride``, ``padding`` and ``dilation``
attributes (PyTorch's names; a missing stride means 1, or the kernel size for a layer whose
output shows non-overlapping windows, as LeNet's trainable subsampling), and checked against
the output size the hooks saw.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from juanji._shapes import (
    ReceptiveField,
    conv_output_size,
    ntuple,
    padding_pairs,
    pool_output_size,
    receptive_fields,
)
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter
from juanji.tensor.creation import zeros

__all__ = [
    "FieldRow",
    "FieldTable",
    "receptive_field_table",
    "draw_receptive_field",
    "nested_boxes",
    "check_unit",
]


@dataclass(frozen=True)
class FieldRow:
    """One window layer and the receptive field of its output units.

    Attributes:
        name: the layer's dotted name in the model (``features.0``).
        type: its class name.
        output_shape: ``(C, *spatial)`` without the batch.
        kernel, stride, dilation: per spatial dimension.
        padding: ``(before, after)`` per spatial dimension.
        fields: the cumulative receptive field per spatial dimension.
    """

    name: str
    type: str
    output_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    fields: tuple[ReceptiveField, ...]

    def unit_window(self, unit: Sequence[int]) -> list[tuple[float, float]]:
        """The input interval ``[low, high)`` one output unit sees, per spatial dimension.

        Example:
            >>> from juanji import nn
            >>> table = receptive_field_table(nn.Conv2d(1, 1, 3, stride=2), (1, 8, 8))
            >>> table.rows[0].unit_window((1, 2))   # centres 0.5 + 1 + u*2
            [(2.0, 5.0), (4.0, 7.0)]
        """
        return [
            (f.start + u * f.jump - f.size / 2, f.start + u * f.jump + f.size / 2)
            for f, u in zip(self.fields, unit, strict=True)
        ]


@dataclass
class FieldTable:
    """The rows of ``receptive_field_table`` and what ends the table; ``str`` is the table.

    Attributes:
        input_size: ``(C, *spatial)`` the model was run on.
        rows: one per window layer, in call order.
        stopped_at: ``(name, type)`` of the first layer that mixes all positions, or None.
    """

    input_size: tuple[int, ...]
    rows: list[FieldRow]
    stopped_at: tuple[str, str] | None = None

    def __str__(self) -> str:
        return format_table(self)


def _dims(values: Sequence[Any]) -> str:
    texts = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def format_table(table: FieldTable) -> str:
    """The table as text: one row per layer, then what the last units see."""
    header = ("layer", "type", "output", "kernel", "stride", "padding", "size r", "jump j")
    header += ("start c",)
    lines = [header]
    for row in table.rows:
        pads = [f"{a}" if a == b else f"{a},{b}" for a, b in row.padding]
        lines.append(
            (
                row.name,
                row.type,
                "x".join(map(str, row.output_shape)),
                _dims(row.kernel),
                _dims(row.stride),
                _dims(pads),
                _dims([float(f.size) for f in row.fields]),
                _dims([float(f.jump) for f in row.fields]),
                _dims([float(f.start) for f in row.fields]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    spatial = "x".join(map(str, table.input_size[1:]))
    notes = [
        "",
        f"input {'x'.join(map(str, table.input_size))}; pixel i covers [i, i+1). Unit u of a "
        "layer is centred at c + u*j",
        "and sees the r input pixels from c + u*j - r/2 to c + u*j + r/2 (per dimension).",
    ]
    if table.rows:
        last = table.rows[-1]
        box = "x".join(f"{float(f.size):g}" for f in last.fields)
        notes.append(f"After {last.name} each unit sees {box} of the {spatial} input.")
    if table.stopped_at is not None:
        name, kind = table.stopped_at
        notes.append(f"From {name} ({kind}) on, every unit sees the whole {spatial} input.")
    return "\n".join(text + notes)


# ---------------------------------------------------------------------------- tracing
def _leaf_calls(model: Module, input_size: Sequence[int]) -> list[tuple[str, Module, Any, Any]]:
    """``(name, module, input, output)`` tensors of every leaf-module call, in call order.

    The forward pass records autograd (the model's own parameters are left untouched), so
    ``_check_plain`` can follow each layer's input back through the graph.
    """
    names = {id(m): n for n, m in model.named_modules()}
    calls: list[tuple[str, Module, Any, Any]] = []

    def hook(module: Module, args: tuple, output: Any) -> None:
        calls.append((names.get(id(module), ""), module, args[0] if args else None, output))

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    model.eval()
    image = zeros(1, *input_size, requires_grad=True)
    try:
        calls.insert(0, ("input", model, None, image))
        model(image)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return calls


def _single_path(tensor: Any, source: Any) -> bool:
    """Whether ``tensor`` is computed from ``source`` alone, by a chain of one-input steps.

    Walks the autograd graph back from ``tensor``: every node on the way may read parameters
    but only one other tensor. A branch (a residual add, a concatenation of Inception's paths)
    reads two, so it is not a single path.
    """
    node = getattr(tensor, "grad_fn", None)
    target = getattr(source, "grad_fn", None)
    while tensor is not source:
        if node is None:
            return False
        if target is not None and node is target:
            return True
        if not hasattr(node, "next_functions"):  # a leaf other than source
            return False
        parents = [
            n for n, _ in node.next_functions
            if n is not None and not isinstance(getattr(n, "variable", None), Parameter)
        ]
        if len(parents) != 1:
            return False
        node = parents[0]
        tensor = getattr(node, "variable", None)  # a leaf: the network's input, or not source
    return True


def _check_plain(before: tuple, call: tuple, model: Module) -> None:
    """A ValueError unless layer ``call`` reads the output of ``before`` through one path."""
    (before_name, _, _, output), (name, module, inputs, _) = before, call
    if not _single_path(inputs, output):
        raise ValueError(
            f"receptive_field_table: {type(model).__name__} is not a plain stack: the input "
            f"of {name} ({type(module).__name__}) is not computed from {before_name}, the layer "
            "called before it, alone (a shortcut, a concatenation or a parallel branch joins "
            "there). A branching network's receptive field is the largest over its paths, "
            "which this table does not compute; it covers plain stacks (LeNet, AlexNet, VGG, "
            "NiN)"
        )


def _pairs(
    padding: Any,
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    spec = 0 if padding is None else padding  # a layer's padding, already validated
    return padding_pairs("receptive-field", spec, sizes, kernel, stride, dilation)


def _window(module: Module, in_spatial: Sequence[int], out_spatial: Sequence[int]) -> tuple:
    """``(kernel, stride, pads, dilation)`` of a window layer, checked against the shapes."""
    n = len(in_spatial)
    kernel = ntuple(module.kernel_size, n)
    dilation = ntuple(getattr(module, "dilation", 1) or 1, n)
    ceil_mode = bool(getattr(module, "ceil_mode", False))
    stride_attr = getattr(module, "stride", None)
    candidates = [ntuple(stride_attr, n)] if stride_attr else [(1,) * n, tuple(kernel)]
    for stride in candidates:
        pads = _pairs(getattr(module, "padding", 0), in_spatial, kernel, stride, dilation)
        sizes = tuple(
            pool_output_size(w, k, s, a, b, d, ceil_mode)
            if ceil_mode
            else conv_output_size(w, k, s, a, b, d)
            for w, k, s, (a, b), d in zip(in_spatial, kernel, stride, pads, dilation, strict=True)
        )
        if sizes == tuple(out_spatial):
            return tuple(kernel), tuple(stride), pads, tuple(dilation)
    raise ValueError(
        f"receptive_field_table: cannot read the window of {type(module).__name__}: "
        f"kernel {kernel}, input {tuple(in_spatial)}, output {tuple(out_spatial)}"
    )


def receptive_field_table(model: Module, input_size: Sequence[int] | None = None) -> FieldTable:
    """Receptive field size, jump and start after every conv/pool layer of ``model``.

    Args:
        model: any module taking ``(N, C, *spatial)``.
        input_size: ``(C, *spatial)`` without the batch; default ``model.input_size``.

    Returns:
        A ``FieldTable`` (print it for the table).

    Raises:
        ValueError: no input size, a network that is not a plain stack (shortcuts or
            parallel branches), or a window layer whose attributes do not explain its output.

    Example:
        >>> from juanji.models import LeNet5
        >>> table = receptive_field_table(LeNet5())
        >>> [(row.name, row.fields[0].size, row.fields[0].jump) for row in table.rows]
        [('features.0', 5, 1), ('features.2', 6, 2), ('features.3', 14, 2), ('features.5', 16, 4)]
        >>> table.stopped_at
        ('classifier.0', 'Linear')
    """
    if input_size is None:
        input_size = getattr(model, "input_size", None)
        if input_size is None:
            raise ValueError("receptive_field_table: give input_size (C, H, W) for this model")
    input_size = tuple(int(n) for n in input_size)
    spatial_dims = len(input_size) - 1
    layers = []  # (name, type, output shape, kernel, stride, pads, dilation)
    stopped = None
    calls = _leaf_calls(model, input_size)
    for before, (name, module, inputs, output) in zip(calls, calls[1:], strict=False):
        kind = type(module).__name__
        in_shape, out_shape = getattr(inputs, "shape", None), getattr(output, "shape", None)
        if out_shape is None or in_shape is None:
            continue
        if len(in_shape) != spatial_dims + 2 or len(out_shape) != spatial_dims + 2:
            stopped = (name, kind)
            break
        _check_plain(before, (name, module, inputs, output), model)
        in_spatial, out_spatial = in_shape[2:], out_shape[2:]
        if not hasattr(module, "kernel_size"):
            if tuple(in_spatial) == tuple(out_spatial):
                continue  # activations, dropout, batch norm: the field does not change
            stopped = (name, kind)  # adaptive pooling: windows of varying size
            break
        layers.append((name, kind, tuple(out_shape[1:]), *_window(module, in_spatial, out_spatial)))
    per_dim = [
        receptive_fields((k[dim], s[dim], p[dim][0], d[dim]) for *_, k, s, p, d in layers)
        for dim in range(spatial_dims)
    ]
    rows = [
        FieldRow(*layer, fields=tuple(per_dim[dim][i] for dim in range(spatial_dims)))
        for i, layer in enumerate(layers)
    ]
    return FieldTable(input_size, rows, stopped)


# ---------------------------------------------------------------------------- picture
def nested_boxes(
    table: FieldTable, layer: int, unit: Sequence[int]
) -> list[list[tuple[float, float]]]:
    """The fields to draw for ``unit`` of row ``layer``: one per row up to it, all nested.

    The recurrence puts a unit's centre at the centre of its window on the layer below
    (``c_out = c_in + ((k-1)/2 - p) * j_in``), which for an even kernel lies between two units
    there. So every earlier row's box is its field size ``r`` around the chosen unit's own
    centre: the boxes share one centre and grow with ``r``, each inside the next, as the
    recurrence builds them. Per row, ``[(top, bottom), (left, right)]`` in input pixels.

    Example:
        >>> from juanji import nn
        >>> model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
        >>> nested_boxes(receptive_field_table(model, (1, 8, 8)), 1, (1, 1))
        [[(2.5, 5.5), (2.5, 5.5)], [(2.0, 6.0), (2.0, 6.0)]]
    """
    position = layer % len(table.rows)
    centre = [(lo + hi) / 2 for lo, hi in table.rows[position].unit_window(unit)]
    return [
        [(c - f.size / 2, c + f.size / 2) for c, f in zip(centre, row.fields, strict=True)]
        for row in table.rows[: position + 1]
    ]


def _draw_boxes(axes: Any, table: FieldTable, position: int, unit: Sequence[int]) -> None:
    """One rectangle per row up to ``position`` (see ``nested_boxes``)."""
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    colours = colormaps["autumn"](np.linspace(0, 0.85, len(table.rows)))
    boxes = nested_boxes(table, position, unit)
    for index, (row, box) in enumerate(zip(table.rows, boxes, strict=False)):
        (top, bottom), (left, right) = box
        # pixel i is drawn centred on i, so the interval [a, b) spans a - 0.5 .. b - 0.5
        axes.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5),
                right - left,
                bottom - top,
                fill=False,
                linewidth=2.5 if index == position else 1.2,
                linestyle="-" if index == position else "--",
                edgecolor=colours[index],
                label=f"{row.name} ({row.type}): r = " + _dims([float(f.size) for f in row.fields]),
            )
        )


def check_unit(row: FieldRow, unit: Sequence[int] | None) -> tuple[int, ...]:
    """The unit ``(row, column)`` of ``row``'s output, the middle if None; negatives count back.

    Raises:
        ValueError: a unit outside the layer's output (the message gives the output size).
    """
    sizes = row.output_shape[1:]
    if unit is None:
        return tuple(n // 2 for n in sizes)
    if len(unit) != len(sizes) or not all(-n <= u < n for u, n in zip(unit, sizes, strict=False)):
        shape = "x".join(map(str, sizes))
        raise ValueError(
            f"draw_receptive_field: unit {tuple(unit)} is outside {row.name}'s {shape} output "
            f"(indices 0 to n-1, or -n to -1 from the end)"
        )
    return tuple(u % n for u, n in zip(unit, sizes, strict=True))


def draw_receptive_field(
    image: np.ndarray,
    table: FieldTable,
    path: str | os.PathLike,
    layer: int = -1,
    unit: Sequence[int] | None = None,
) -> tuple[Path, list[tuple[float, float]]]:
    """Draw the receptive field of one output unit on the input, as a rectangle.

    Dashed rectangles show the fields of the earlier layers around the same centre
    (``nested_boxes``), so the picture shows the field growing layer by layer. 2-D models only.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` in [0, 1], the model's input size.
        table: from ``receptive_field_table``.
        path: the file to write (format from its suffix: .png, .pdf, .svg, .jpg).
        layer: index into ``table.rows`` (default: the last window layer).
        unit: ``(row, column)`` of the output unit (default: the middle one; negative indices
            count from the end).

    Returns:
        The path written and the chosen unit's ``[(top, bottom), (left, right)]`` interval.
    """
    from juanji.apps.viz import plot

    row = table.rows[layer]
    if len(row.fields) != 2:
        raise ValueError("draw_receptive_field: only 2-D models can be drawn")
    unit = check_unit(row, unit)
    window = row.unit_window(unit)
    centre = [(lo + hi) / 2 for lo, hi in window]
    plt = plot.pyplot()
    figure, axes = plt.subplots(figsize=(5.5, 5.0))
    height, width = image.shape[:2]
    plot.show_image(axes, image)
    axes.set_xlim(min(-0.5, window[1][0] - 0.5), max(width - 0.5, window[1][1] - 0.5))
    axes.set_ylim(max(height - 0.5, window[0][1] - 0.5), min(-0.5, window[0][0] - 0.5))
    _draw_boxes(axes, table, layer % len(table.rows), unit)
    axes.plot([centre[1] - 0.5], [centre[0] - 0.5], "o", color="cyan", markersize=4)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=7, ncol=1)
    axes.set_title(
        f"receptive field of {row.name} unit {unit}: rows {window[0][0]:g}-{window[0][1]:g}, "
        f"columns {window[1][0]:g}-{window[1][1]:g}",
        fontsize=8,
    )
    figure.tight_layout()
    return plot.save_figure(figure, path), window
