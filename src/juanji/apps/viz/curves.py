"""The training curves of a run (``curves.png``): loss and accuracy per epoch, train and test.

Drawn with matplotlib's object API on the Agg canvas, so it never touches pyplot's global state
or needs a display. The epoch axis has integer ticks only (a 1-epoch run shows one tick at 1,
not 0.945..1.050); values that are NaN or infinite are left out and named in a note under the
panels, and a panel with no finite value says so instead of drawing an empty frame.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["plot_curves", "curves_figure"]


def plot_curves(metrics: Mapping[str, Any], path: str | os.PathLike) -> Path | None:
    """Draw loss and accuracy per epoch (train and test) into a PNG; None without matplotlib.

    Args:
        metrics: a run's ``metrics.json`` (``model``, ``dataset``, ``epochs`` rows).
        path: the PNG to write (atomically).

    Returns:
        The path written, or None when matplotlib is not installed.
    """
    try:
        figure = curves_figure(metrics)
    except ImportError:
        return None
    from juanji.serialization import atomic_write_bytes

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return atomic_write_bytes(path, buffer.getvalue())


def curves_figure(metrics: Mapping[str, Any]) -> Any:
    """The matplotlib ``Figure`` that ``plot_curves`` writes (ImportError without matplotlib)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = metrics["epochs"]
    epochs = [row["epoch"] for row in rows]
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    loss_axes, acc_axes = figure.subplots(1, 2)
    skipped: list[str] = []
    for axes, key, label in ((loss_axes, "loss", "loss"), (acc_axes, "accuracy", "accuracy (%)")):
        skipped += _panel(axes, rows, epochs, key, label)
    final = rows[-1]["test_accuracy"] if rows else None
    result = "" if not _finite(final) else f": {100 * final:.2f} % test accuracy"
    figure.suptitle(f"{metrics['model']} on {metrics['dataset']}{result}")
    if skipped:
        figure.supxlabel(
            "not drawn, NaN or infinite (the training diverged): " + "; ".join(skipped),
            fontsize=8,
            color="tab:red",
        )
    return figure


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _panel(axes: Any, rows: list, epochs: list[int], key: str, label: str) -> list[str]:
    """One panel; returns a note per series that had non-finite values."""
    scale = 100 if key == "accuracy" else 1
    skipped, drawn = [], 0
    for split, style in (("train", "o-"), ("test", "s--")):
        values = [row.get(f"{split}_{key}") for row in rows]
        if all(v is None for v in values):
            continue  # a run without test data
        points = [(e, scale * v) for e, v in zip(epochs, values, strict=True) if _finite(v)]
        bad = [str(e) for e, v in zip(epochs, values, strict=True) if not _finite(v)]
        if bad:
            skipped.append(f"{split} {key} of epoch {', '.join(bad)}")
        if points:
            axes.plot(*zip(*points, strict=True), style, label=split)
            drawn += 1
    axes.set_xlabel("epoch")
    if epochs:
        step = max(1, math.ceil(len(epochs) / 10))
        axes.set_xticks(epochs[::step])
        axes.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
    axes.set_ylabel(label)
    axes.grid(alpha=0.3)
    if drawn:
        axes.legend()
    else:
        axes.set_yticks([])
        axes.text(
            0.5,
            0.5,
            f"no finite {key} to draw",
            ha="center",
            va="center",
            transform=axes.transAxes,
            color="tab:red",
        )
    return skipped
