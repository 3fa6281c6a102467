"""The notes' "structure in images" (图片的结构分析), as an experiment: shuffle the pixels.

``structure`` draws one fixed random permutation of the 784 pixel positions and applies it to
every MNIST image, training and test alike. The labels do not change, and no information is
lost (the permutation can be undone), but the neighbourhood of every pixel is gone: pixels that
were next to each other now lie anywhere in the field.

Then it trains the experiment's MLP (784-77-10) and LeNet5 (``translation.MODELS``: 61,225 and
61,706 parameters) on the digits as given and on the shuffled ones, with the same optimiser,
steps and images, and tests each on held-out digits treated the same way.

* **The MLP does not care.** Its first layer gives every pixel its own weights and never uses
  which pixel lies next to which. Shuffling the inputs is the same as shuffling the columns of
  that layer's weight matrix: ``W[:, perm] @ x[perm] == W @ x``, and the gradient of a shuffled
  column is the shuffled gradient, so training on shuffled pixels from weights shuffled the same
  way is the same computation. The experiment starts the shuffled MLP exactly there, from the
  original MLP's initial weights with their columns permuted, so the two accuracies agree to
  float rounding: the MLP never used the structure.
* **LeNet5 loses what locality and weight sharing gave it.** A 5x5 kernel looks at 25 pixels
  that, after the shuffle, have nothing to do with each other; its weights are shared over
  positions that no longer mean anything.

The second question is invariance (the notes' 不变性): the models trained on the original digits
are tested on digits moved by 1, 2, ... pixels, with ``translation``'s code (the same shifts,
the mean over up, down, left and right). "Structure" and "invariance" are the two columns of
one table and of one figure (``draw_structure``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.experiments import translation
from juanji.apps.training import train_one_epoch
from juanji.autograd import no_grad
from juanji.data import DataLoader, TensorDataset
from juanji.errors import JuanjiError
from juanji.nn.module import Module
from juanji.optim import Adam
from juanji.random import Generator, manual_seed
from juanji.tensor.creation import tensor

__all__ = [
    "StructureSettings",
    "StructureResult",
    "QUICK",
    "permutation",
    "permute_pixels",
    "structure",
    "train_model",
    "draw_structure",
    "save_numbers",
]

MODELS = ("MLP", "LeNet5")
DATASETS = ("original", "permuted")


@dataclass(frozen=True)
class StructureSettings:
    """What ``structure`` does; the defaults are the command's.

    Attributes:
        train_size: training images (the first ones of MNIST's training set).
        test_size: test images (the first ones of MNIST's test set).
        epochs: passes over the training images, the same for every model.
        max_shift: the invariance column tests shifts 1..max_shift pixels.
        batch_size: images per step.
        lr: Adam's learning rate.
        seed: the pixel permutation, initial weights and shuffling.
    """

    train_size: int = 30_000
    test_size: int = 2_000
    epochs: int = 1
    max_shift: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0


QUICK = StructureSettings(train_size=2_000, test_size=500, max_shift=2)


def permutation(seed: int, size: int = 28 * 28) -> np.ndarray:
    """The fixed random order of the ``size`` pixel positions for ``seed``.

    Example:
        >>> sorted(permutation(0, 5).tolist())
        [0, 1, 2, 3, 4]
    """
    return np.random.default_rng(seed).permutation(size)


def permute_pixels(images: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Images ``(N, H, W)`` whose pixel ``i`` (row-major) is the input's pixel ``order[i]``.

    Example:
        >>> permute_pixels(np.arange(4.0).reshape(1, 2, 2), np.array([3, 2, 1, 0])).tolist()
        [[[3.0, 2.0], [1.0, 0.0]]]
    """
    n, height, width = images.shape
    if order.shape != (height * width,):
        raise ValueError(
            f"permute_pixels: order must hold {height * width} positions for {height}x{width} "
            f"images, got shape {order.shape}"
        )
    return images.reshape(n, -1)[:, order].reshape(n, height, width)


@dataclass
class StructureResult:
    """Test accuracies per model and data set, and the invariance column.

    Attributes:
        settings: the settings used.
        accuracy: model -> {'original': a, 'permuted': a} (0-1).
        shifted: model -> accuracy on original test digits moved by 0..max_shift px.
        parameters: model -> parameter count.
        seconds: ``'model/data set'`` -> training seconds.
        order: the pixel permutation (784 positions).
        originals: a few test digits ``(n, 28, 28)`` in [0, 1]; ``permuted``: the same shuffled.
    """

    settings: StructureSettings
    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)
    shifted: dict[str, list[float]] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    order: np.ndarray | None = None
    originals: np.ndarray | None = None
    permuted: np.ndarray | None = None

    def table(self) -> str:
        """One row per model: original, permuted, their difference, and moved by 1..k px.

        Example:
            >>> r = StructureResult(StructureSettings(max_shift=1))
            >>> r.accuracy["MLP"] = {"original": 0.9, "permuted": 0.9}
            >>> r.shifted["MLP"], r.parameters["MLP"] = [0.9, 0.5], 61225
            >>> print(r.table())
            model  params  original  permuted  change  moved 1 px
            -----  ------  --------  --------  ------  ----------
            MLP    61,225    90.00%    90.00%   +0.00      50.00%
        """
        shifts = range(1, self.settings.max_shift + 1)
        header = ["model", "params", "original", "permuted", "change"]
        header += [f"moved {s} px" for s in shifts]
        rows = [header]
        for name, scores in self.accuracy.items():
            change = 100 * (scores["permuted"] - scores["original"])
            row = [name, f"{self.parameters.get(name, 0):,}"]
            row += [f"{100 * scores[d]:.2f}%" for d in DATASETS] + [f"{change:+.2f}"]
            row += [f"{100 * self.shifted[name][s]:.2f}%" for s in shifts]
            rows.append(row)
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def report(self) -> str:
        """The table with what was trained and what the columns mean."""
        s = self.settings
        return "\n".join(
            [
                f"Trained on {s.train_size:,} MNIST digits, {s.epochs} epoch(s), batch "
                f"{s.batch_size}, Adam lr {s.lr:g}, seed {s.seed}; tested on {s.test_size:,}.",
                "original: the digits as given. permuted: one fixed random order of the 784 "
                "pixels,\napplied to every training and test digit (the shuffled MLP starts "
                "from the\noriginal MLP's weights, shuffled the same way).",
                "moved s px: the models trained on original digits, tested on original digits "
                "moved by s px\n(mean of up, down, left, right).",
                "",
                self.table(),
            ]
        )


def train_model(
    build: Callable[[], Module],
    inputs: np.ndarray,
    labels: np.ndarray,
    settings: Any,
    prepare: Callable[[Module], None] | None = None,
) -> tuple[Module, float]:
    """Build a model under ``settings.seed`` and train it as ``translation`` trains its models.

    Adam at ``settings.lr``, batches of ``settings.batch_size`` shuffled by a generator seeded
    with ``settings.seed``, ``settings.epochs`` passes over ``inputs`` (the model's inputs,
    e.g. ``(N, 1, 28, 28)``).

    Args:
        build: makes the model (called after ``manual_seed``).
        inputs: the training inputs.
        labels: their classes.
        settings: anything with ``seed``, ``lr``, ``batch_size`` and ``epochs``.
        prepare: called on the new model before training (e.g. to set its weights).

    Returns:
        The trained model and the training seconds.
    """
    manual_seed(settings.seed)
    model = build()
    if prepare is not None:
        prepare(model)
    data = TensorDataset(inputs, labels)
    loader = DataLoader(
        data,
        batch_size=settings.batch_size,
        shuffle=True,
        generator=Generator().manual_seed(settings.seed),
    )
    optimizer = Adam(model.parameters(), lr=settings.lr)
    start = time.perf_counter()
    for _ in range(settings.epochs):
        train_one_epoch(model, optimizer, loader)
    return model, time.perf_counter() - start


def _permute_first_layer(order: np.ndarray) -> Callable[[Module], None]:
    """Give the MLP's first Linear the columns ``W[:, order]``: the same net on shuffled pixels."""

    def prepare(model: Module) -> None:
        first = model[1]  # Sequential(Flatten, Linear, ReLU, Linear)
        with no_grad():
            first.weight.copy_(tensor(first.weight.detach().numpy()[:, order]))

    return prepare


def structure(
    settings: StructureSettings = StructureSettings(),
    root: str | Path | None = None,
    log: Callable[[str], Any] | None = None,
) -> StructureResult:
    """Train the MLP and LeNet5 on original and on pixel-shuffled MNIST; test both ways.

    Args:
        settings: sizes, epochs, shifts (see ``StructureSettings``).
        root: the MNIST folder (default: ``$JUANJI_DATA``, then the cache; downloads if absent).
        log: called with one line per trained model (e.g. ``print``).

    Returns:
        A ``StructureResult``; ``print(result.report())`` gives the table.

    Raises:
        DataError: MNIST cannot be found or fetched.
        JuanjiError: a size is larger than MNIST's split (the message names the maximum).
    """
    train_images, train_labels = translation._load(True, settings.train_size, root)
    test_images, test_labels = translation._load(False, settings.test_size, root)
    order = permutation(settings.seed)
    result = StructureResult(settings, order=order)
    result.originals = test_images[:6].copy()
    result.permuted = permute_pixels(result.originals, order)
    for name in MODELS:
        build = translation.MODELS[name][0]
        result.accuracy[name] = {}
        for data in DATASETS:
            shuffled = data == "permuted"
            prepare = _permute_first_layer(order) if shuffled and name == "MLP" else None
            images = permute_pixels(train_images, order) if shuffled else train_images
            inputs = translation._normalised(images)
            model, seconds = train_model(build, inputs, train_labels, settings, prepare)
            tests = permute_pixels(test_images, order) if shuffled else test_images
            result.accuracy[name][data] = translation._accuracy(model, tests, test_labels, 0)
            result.seconds[f"{name}/{data}"] = seconds
            if not shuffled:
                result.parameters[name] = sum(p.numel() for p in model.parameters())
                result.shifted[name] = [
                    translation._accuracy(model, test_images, test_labels, s)
                    for s in range(settings.max_shift + 1)
                ]
            if log is not None:
                log(
                    f"{name:<7} on {data:<8} pixels: trained in {seconds:5.1f} s, test accuracy "
                    f"{100 * result.accuracy[name][data]:.2f}%"
                )
    return result


def save_numbers(result: StructureResult, path: str | os.PathLike) -> Path:
    """Write the settings, accuracies, parameter counts and seconds as strict JSON."""
    from juanji.serialization import atomic_write_bytes

    numbers = {
        "settings": asdict(result.settings),
        "accuracy": result.accuracy,
        "shifted": result.shifted,
        "parameters": result.parameters,
        "train_seconds": result.seconds,
    }
    text = json.dumps(numbers, indent=2, allow_nan=False) + "\n"
    try:
        return atomic_write_bytes(path, text.encode())
    except OSError as error:
        raise JuanjiError(f"{path}: cannot write ({error.strerror or error})") from error


# ---------------------------------------------------------------------- figure
_COLOURS = {"MLP": "tab:red", "LeNet5": "tab:blue"}


def _digits(figure: Any, rows: list[tuple[str, np.ndarray]], title: str) -> None:
    from juanji.apps.viz.plot import show_image

    axes = figure.subplots(len(rows), len(rows[0][1]), squeeze=False)
    for (label, images), line in zip(rows, axes, strict=True):
        for ax, image in zip(line, images, strict=True):
            show_image(ax, image)
        line[0].set_ylabel(label, fontsize=8)
    figure.suptitle(title, fontsize=9)


def _bars(axes: Any, result: StructureResult) -> None:
    names = list(result.accuracy)
    x = np.arange(len(names))
    for offset, data, hatch in ((-0.2, "original", ""), (0.2, "permuted", "//")):
        values = [100 * result.accuracy[n][data] for n in names]
        bars = axes.bar(x + offset, values, 0.38, label=data, hatch=hatch, edgecolor="black")
        for bar, name in zip(bars, names, strict=True):
            bar.set_facecolor(_COLOURS.get(name, "tab:gray"))
            bar.set_alpha(1.0 if data == "original" else 0.45)
        axes.bar_label(bars, fmt="%.1f", fontsize=7)
    axes.set_xticks(x, names)
    axes.set_ylim(0, 105)
    axes.set_ylabel("test accuracy (%)")
    axes.axhline(10, color="black", linewidth=0.5, linestyle=":")
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor="lightgray", edgecolor="black", label="original"),
        Patch(facecolor="white", edgecolor="black", hatch="//", label="permuted"),
    ]
    axes.legend(handles=handles, fontsize=8, loc="lower center")
    axes.set_title("structure: the same digits, pixels shuffled", fontsize=9)


def _curves(axes: Any, result: StructureResult) -> None:
    shifts = list(range(result.settings.max_shift + 1))
    for name, values in result.shifted.items():
        axes.plot(
            shifts, [100 * v for v in values], marker="o", label=name, color=_COLOURS.get(name)
        )
    axes.set_xticks(shifts)
    axes.set_ylim(0, 105)
    axes.set_xlabel("shift of the test digits (pixels)")
    axes.axhline(10, color="black", linewidth=0.5, linestyle=":")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower left")
    axes.set_title("invariance: trained on centred digits, tested moved", fontsize=9)


def draw_structure(result: StructureResult, path: str | os.PathLike) -> Path:
    """Two columns, structure and invariance: the digits on top, the accuracies below.

    Left: test digits and the same digits with their pixels shuffled, and the accuracy of each
    model on original and on shuffled digits. Right: a digit moved by 0..k pixels, and the
    accuracy of the models trained on original digits against the shift. Writes a 1000 x 600
    PNG (or the format the suffix names).
    """
    from juanji.apps.viz.plot import pyplot, save_figure

    plt = pyplot()
    figure = plt.figure(figsize=(10.0, 6.0))
    left, right = figure.subfigures(1, 2, wspace=0.02)
    top_left, bottom_left = left.subfigures(2, 1, height_ratios=[1, 1.6])
    top_right, bottom_right = right.subfigures(2, 1, height_ratios=[1, 1.6])
    if result.originals is not None and result.permuted is not None:
        rows = [("original", result.originals), ("permuted", result.permuted)]
        _digits(top_left, rows, "one fixed shuffle of the 784 pixels, the same for every image")
    if result.originals is not None:
        moved = [
            translation.shift_images(result.originals[:1], 0, s)[0]
            for s in range(result.settings.max_shift + 1)
        ]
        _digits(top_right, [("moved", np.stack(moved))], "a test digit moved right by 0, 1, ... px")
    _bars(bottom_left.subplots(), result)
    _curves(bottom_right.subplots(), result)
    for part in (bottom_left, bottom_right):
        part.subplots_adjust(bottom=0.15)
    return save_figure(figure, path)
