"""The pictures of ``juanji experiment layers``, one per question (``draw_layers``).

* ``NAME-probe.png``: the linear probe's test accuracy at every layer, with the receptive field
  size under each layer's name (discriminative features).
* ``NAME-pca.png``: each layer's test features on their first two principal axes, by class.
* ``NAME-patches.png``: for a few channels of each spatial layer, the test patches (the unit's
  receptive field) where the channel answers most (from simple to compositional).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.experiments.layers import LayersResult, Point, field_size

__all__ = ["figure_paths", "draw_layers"]


def figure_paths(path: str | os.PathLike) -> dict[str, Path]:
    """The files ``draw_layers`` writes for ``-o NAME.png``: ``NAME-probe``, ``-pca``, ``-patches``.

    Example:
        >>> [p.name for p in figure_paths("out/layers.png").values()]
        ['layers-probe.png', 'layers-pca.png', 'layers-patches.png']
    """
    path = Path(path)
    return {
        question: path.with_name(f"{path.stem}-{question}{path.suffix}")
        for question in ("probe", "pca", "patches")
    }


def _label(point: Point) -> str:
    return f"{point.name}\n{point.kind}\nfield {field_size(point.field)}"


def _draw_probe(plt: Any, result: LayersResult) -> Any:
    figure, axes = plt.subplots(figsize=(10.0, 4.5))
    x = np.arange(len(result.points))
    values = [100 * result.accuracy[p.name] for p in result.points]
    axes.plot(x, values, marker="o", color="tab:blue", label="linear probe on the layer")
    for i, value in enumerate(values):
        axes.annotate(
            f"{value:.1f}",
            (i, value),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    axes.axhline(
        100 * result.network_accuracy, color="tab:green", linestyle="--", label="the network itself"
    )
    axes.axhline(
        100 / len(result.classes), color="black", linewidth=0.5, linestyle=":", label="chance"
    )
    axes.set_xticks(x, [_label(p) for p in result.points], fontsize=7)
    axes.set_ylabel("test accuracy (%)")
    low = min(values + [100 * result.network_accuracy])
    axes.set_ylim(max(0.0, low - 10), 100)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    axes.set_title(
        "discriminative features: a linear classifier on each layer's features", fontsize=10
    )
    figure.tight_layout()
    return figure


def _draw_pca(plt: Any, result: LayersResult) -> Any:
    count = len(result.points)
    columns = min(4, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(2.5 * columns, 2.5 * rows + 0.6), squeeze=False
    )
    labels = result.test_labels[: len(next(iter(result.projections.values())))]
    colours = plt.get_cmap("tab10")
    for ax, point in zip(axes.ravel(), result.points, strict=False):
        coords = result.projections[point.name]
        for c in range(len(result.classes)):
            mask = labels == c
            ax.scatter(
                coords[mask, 0],
                coords[mask, 1],
                s=3,
                color=colours(c % 10),
                label=result.classes[c],
            )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(
            f"{point.name} {point.kind}\nprobe {100 * result.accuracy[point.name]:.1f}%", fontsize=8
        )
    for ax in axes.ravel()[count:]:
        ax.axis("off")
    handles, names = axes[0, 0].get_legend_handles_labels()
    figure.legend(
        handles,
        names,
        loc="lower center",
        ncol=len(names),
        fontsize=7,
        markerscale=3,
        frameon=False,
    )
    figure.suptitle(
        "each layer's test features on their first two principal axes, by class", fontsize=10
    )
    figure.tight_layout(rect=(0, 0.05, 1, 0.96))
    return figure


def _draw_patches(plt: Any, result: LayersResult) -> Any:
    from juanji.apps.viz.plot import show_image

    rows = [
        (name, channel, cuts) for name, found in result.patches.items() for channel, cuts in found
    ]
    points = {p.name: p for p in result.points}
    columns = max(len(cuts) for *_, cuts in rows)
    figure, axes = plt.subplots(
        len(rows), columns, figsize=(0.9 * columns + 1.6, 0.9 * len(rows) + 0.6), squeeze=False
    )
    for line, (name, channel, cuts) in zip(axes, rows, strict=True):
        for ax in line:
            ax.axis("off")
        for ax, cut in zip(line, cuts, strict=False):
            ax.axis("on")
            show_image(ax, cut)
        size = field_size(points[name].field)
        line[0].set_ylabel(
            f"{name}\nch {channel}, {size}", fontsize=7, rotation=0, ha="right", va="center"
        )
        line[0].axis("on")
    figure.suptitle(
        "what the units answer to: the test patches (each unit's receptive field) "
        "where a channel answers most",
        fontsize=9,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    return figure


def draw_layers(result: LayersResult, path: str | os.PathLike) -> list[Path]:
    """Write one picture per question: the probes, the projections and the top patches.

    Args:
        result: what ``layers`` returned.
        path: ``NAME.png``; the files are ``NAME-probe.png``, ``NAME-pca.png`` and
            ``NAME-patches.png`` (``figure_paths``); the last is left out without patches.

    Returns:
        The paths written.
    """
    from juanji.apps.viz.plot import pyplot, save_figure

    plt = pyplot()
    paths = figure_paths(path)
    written = [
        save_figure(_draw_probe(plt, result), paths["probe"]),
        save_figure(_draw_pca(plt, result), paths["pca"]),
    ]
    if result.patches:
        written.append(save_figure(_draw_patches(plt, result), paths["patches"]))
    return written
