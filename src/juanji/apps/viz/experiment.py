"""The picture of ``juanji experiment translation``: accuracy against shift, per model.

Takes the ``TranslationResult`` of ``juanji.apps.experiments.translation`` (duck-typed: ``shifts``,
``accuracy``, ``examples``, ``settings``) so that drawing stays apart from training.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["draw_translation", "WIDTH_INCHES", "HEIGHT_INCHES"]

WIDTH_INCHES, HEIGHT_INCHES = 10.0, 6.0
_STYLE = {
    "MLP": ("MLP (784-77-10)", "tab:red", "s"),
    "LeNet5": ("LeNet5, max pool", "tab:blue", "o"),
    "LeNet5-avg": ("LeNet5, avg pool", "tab:green", "^"),
    "LeNet5-none": ("LeNet5, no pool (stride 2)", "tab:gray", "v"),
}


def _curves(axes: Any, result: Any, names: list[str], title: str) -> None:
    for name in names:
        if name not in result.accuracy:
            continue
        label, colour, marker = _STYLE.get(name, (name, None, "o"))
        values = [100 * a for a in result.accuracy[name]]
        axes.plot(result.shifts, values, marker=marker, color=colour, label=label)
    axes.set_xlabel("shift of the test digits (pixels)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_xticks(result.shifts)
    axes.set_ylim(0, 100)
    axes.axhline(10, color="black", linewidth=0.5, linestyle=":")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower left")
    axes.set_title(title, fontsize=9)


def draw_translation(result: Any, path: str | os.PathLike) -> Path:
    """Draw the shifted example digit and both accuracy curves; write a 1000 x 600 PNG.

    Args:
        result: a ``juanji.apps.experiments.TranslationResult``.
        path: the PNG to write.

    Returns:
        The path written.
    """
    from juanji.apps.viz.plot import pyplot, save_figure, show_image

    plt = pyplot()
    figure = plt.figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES))
    top, bottom = figure.subfigures(2, 1, height_ratios=[1, 3.2])
    examples = result.examples if result.examples is not None else []
    if len(examples):
        axes = top.subplots(1, len(examples))
        for shift, (ax, image) in enumerate(zip(list(axes), examples, strict=True)):
            show_image(ax, image)
            ax.set_xlabel(f"{shift} px", fontsize=8, labelpad=2)
        top.suptitle("a test digit moved right by 0, 1, 2, ... pixels", fontsize=9, y=0.98)
        top.subplots_adjust(top=0.82, bottom=0.14)
    left, right = bottom.subplots(1, 2)
    _curves(left, result, ["MLP", "LeNet5"], "1) MLP vs CNN, trained on centred digits only")
    _curves(
        right,
        result,
        ["LeNet5", "LeNet5-avg", "LeNet5-none"],
        "2) the same LeNet5 with max / average / no pooling",
    )
    s = result.settings
    bottom.text(
        0.5,
        0.005,
        f"{s.train_size:,} training digits, {s.epochs} epoch(s), {s.test_size:,} test digits "
        "per shift and direction (mean of up, down, left, right); dotted line: chance",
        ha="center",
        fontsize=8,
    )
    bottom.subplots_adjust(bottom=0.17, wspace=0.25)
    return save_figure(figure, path)
