"""Feature maps of every convolution and pooling layer for one input, and the learnt kernels.

The notes' "from local to hierarchical features": the first layer's kernels are small edge and
blob detectors (they can be drawn, like the hand-made ones of ``juanji.apps.filters``); its maps
show where each detector fired on the digit; pooling halves them; the second layer combines
them into fewer, coarser, more abstract maps.

``feature_maps`` runs the model once with forward hooks on every leaf module that slides a
window (it has a ``kernel_size``: convolutions, pooling, LeNet's subsampling and table
convolution) and keeps each one's output. ``draw_feature_maps`` lays them out as labelled grids.

How values are shown: every map of one layer shares one scale, so a channel that barely
answers looks faint next to one that answers strongly. A layer with negative values (a
convolution before its activation) is drawn with 0 as mid grey, darker below and lighter
above; a non-negative layer (after ReLU and pooling) with 0 as black.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from juanji.autograd import no_grad
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor

__all__ = [
    "FeatureMap",
    "feature_maps",
    "first_layer_kernels",
    "draw_feature_maps",
    "scale_caption",
]

COLUMNS = 8  # maps per row of a grid
ROW_INCHES = 1.0  # height of one row of maps
TITLE_INCHES = 0.3  # height of a section's title
WIDTH_INCHES = 8.0


@dataclass
class FeatureMap:
    """The output of one window layer for one input.

    Attributes:
        name: dotted name in the model (``features.0``).
        type: class name (``Conv2d``).
        maps: ``(C, H, W)`` float array, the first sample of the batch.
    """

    name: str
    type: str
    maps: np.ndarray


def _is_window_layer(module: Module) -> bool:
    return hasattr(module, "kernel_size") and not list(module.children())


def feature_maps(model: Module, x: Tensor) -> tuple[list[FeatureMap], Tensor]:
    """Run ``model`` on ``x`` (eval mode, no_grad) and keep every window layer's 2-D output.

    Args:
        model: the network.
        x: its input, ``(1, C, H, W)``.

    Returns:
        The feature maps in call order, and the model's output.

    Example:
        >>> import juanji
        >>> from juanji.models import LeNet5
        >>> maps, logits = feature_maps(LeNet5(), juanji.zeros(1, 1, 28, 28))
        >>> [(m.name, m.type, m.maps.shape) for m in maps]      # doctest: +NORMALIZE_WHITESPACE
        [('features.0', 'Conv2d', (6, 28, 28)), ('features.2', 'MaxPool2d', (6, 14, 14)),
         ('features.3', 'Conv2d', (16, 10, 10)), ('features.5', 'MaxPool2d', (16, 5, 5))]
    """
    names = {id(m): n for n, m in model.named_modules()}
    found: list[FeatureMap] = []

    def hook(module: Module, args: tuple, output: Any) -> None:
        if isinstance(output, Tensor) and output.ndim == 4:
            array = output.numpy()[0].astype(np.float32)
            found.append(FeatureMap(names.get(id(module), ""), type(module).__name__, array))

    handles = [m.register_forward_hook(hook) for m in model.modules() if _is_window_layer(m)]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            output = model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return found, output


def first_layer_kernels(model: Module, maps: Sequence[FeatureMap]) -> tuple[str, np.ndarray]:
    """The name and ``(C_out, C_in, kH, kW)`` weight of the first layer in ``maps`` with one.

    Layers that store their kernels another way (``TableConv2d``) expose ``dense_weight()``.
    Returns ``("", empty array)`` when no layer has a 4-D weight.
    """
    modules = dict(model.named_modules())
    for feature in maps:
        module = modules.get(feature.name)
        weight = getattr(module, "weight", None)
        if hasattr(module, "dense_weight"):
            weight = module.dense_weight()
        if isinstance(weight, Tensor) and weight.ndim == 4:
            return feature.name, weight.detach().numpy()
    return "", np.zeros((0, 0, 0, 0))


def _rows(count: int) -> int:
    return max(1, math.ceil(count / COLUMNS))


def figure_inches(sections: Sequence[int]) -> tuple[float, float]:
    """Width and height of the figure for sections of ``sections[i]`` panels each.

    ``WIDTH_INCHES`` wide; each section takes ``ceil(panels / COLUMNS)`` rows of
    ``ROW_INCHES`` plus ``TITLE_INCHES`` for its title.

    Example:
        >>> figure_inches([7, 6, 6, 16, 16])    # LeNet5: input + 6 kernels, then 4 layers
        (8.0, 8.5)
    """
    return WIDTH_INCHES, sum(_rows(n) * ROW_INCHES + TITLE_INCHES for n in sections)


def _show_section(figure: Any, panels: list[tuple[str, np.ndarray, bool]], title: str) -> None:
    from juanji.apps.viz.plot import show_image

    figure.suptitle(title, fontsize=9, x=0.01, ha="left")
    rows = _rows(len(panels))
    axes = figure.subplots(rows, COLUMNS, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        if index < len(panels):
            label, image, signed = panels[index]
            show_image(ax, image, label, signed)
            ax.title.set_fontsize(7)
        else:
            ax.axis("off")


def _layer_panels(feature: FeatureMap, limit: int) -> list[tuple[str, np.ndarray, bool]]:
    """Channel images on one scale for the layer (see the module docstring)."""
    maps = feature.maps[:limit]
    peak = float(np.abs(maps).max()) or 1.0
    shown = 0.5 + maps / (2 * peak) if maps.min() < 0 else maps / peak
    return [(f"{c}", image, False) for c, image in enumerate(shown)]


def scale_caption(maps: np.ndarray) -> str:
    """How a layer's grey levels read, for its heading (the scale ``_layer_panels`` uses).

    Example:
        >>> scale_caption(np.array([-2.0, 0.5]))
        'signed (before the activation): black -2, mid grey 0, white +2'
        >>> scale_caption(np.array([0.0, 3.25]))
        'non-negative (after ReLU): black 0, white 3.25'
    """
    peak = float(np.abs(maps).max()) if maps.size else 0.0
    if maps.size and maps.min() < 0:
        return f"signed (before the activation): black {-peak:.3g}, mid grey 0, white +{peak:.3g}"
    return f"non-negative (after ReLU): black 0, white {peak or 1.0:.3g}"


def draw_feature_maps(
    image: np.ndarray,
    maps: Sequence[FeatureMap],
    kernels: tuple[str, np.ndarray],
    path: str | os.PathLike,
    title: str = "",
    max_channels: int = 16,
) -> Path:
    """One PNG: the input and first-layer kernels, then every layer's maps as a labelled grid.

    Args:
        image: the input as the model saw it, ``(H, W)`` (shown with its own range).
        maps: from ``feature_maps``.
        kernels: from ``first_layer_kernels``; the kernels of the first input channel are drawn
            (0 = mid grey).
        path: the file to write (format from its suffix: .png, .jpg, .pdf, .svg).
        title: a heading (e.g. the prediction).
        max_channels: draw at most this many channels per layer.

    Returns:
        The path written; its size is ``figure_inches`` at 100 dpi.
    """
    from juanji.apps.viz.plot import pyplot, save_figure

    plt = pyplot()
    kernel_name, weights = kernels
    low, high = float(image.min()), float(image.max())
    first = [("input", (image - low) / (high - low or 1.0), False)]
    for o, kernel in enumerate(weights[:max_channels]):
        peak = float(np.abs(kernel[0]).max()) or 1.0
        first.append((f"{o}", np.clip(0.5 + kernel[0] / (2 * peak), 0, 1), False))
    sections = [
        (
            first,
            f"input (black {low:.3g}, white {high:.3g}); kernels of {kernel_name} "
            "(own scales, 0 = grey)",
        )
    ]
    for feature in maps:
        c, h, w = feature.maps.shape
        shown = f" (first {max_channels})" if c > max_channels else ""
        scale = scale_caption(feature.maps[:max_channels])
        heading = f"{feature.name} {feature.type}: {c} maps of {h}x{w}{shown}; one scale, {scale}"
        sections.append((_layer_panels(feature, max_channels), heading))
    width, height = figure_inches([len(panels) for panels, _ in sections])
    figure = plt.figure(figsize=(width, height))
    subfigures = figure.subfigures(
        len(sections),
        1,
        height_ratios=[_rows(len(p)) * ROW_INCHES + TITLE_INCHES for p, _ in sections],
    )
    for subfigure, (panels, heading) in zip(np.atleast_1d(subfigures), sections, strict=True):
        _show_section(subfigure, panels, heading)
    if title:
        figure.text(0.99, 0.995, title, ha="right", va="top", fontsize=9)
    return save_figure(figure, path)
