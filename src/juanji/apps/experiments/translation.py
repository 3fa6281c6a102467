"""The notes' experiment: why a CNN copes with moved digits and an MLP does not.

``translation`` trains, on centred MNIST digits and under one matched budget,

* an **MLP** (784 -> 77 -> 10, ReLU: 61,225 parameters) and **LeNet5** (61,706 parameters),
  which answers "CNN vs MLP under translation";
* two variants of LeNet5 that differ only in how each 2x2 block is reduced: **average
  pooling**, and **no pooling** (keep the top-left pixel of each block: ``MaxPool2d(1,
  stride=2)``, the same downsampling with no window), which isolates what max pooling adds.

All four have (almost) the same number of parameters and see the same images in the same order
for the same number of steps, with the same optimiser (Adam, lr 1e-3, batch 64) and the same
initial random state: the budget is matched in steps and, to within 1 %, in parameters. None of
them sees a shifted digit while training.

Each is then tested on the same held-out digits moved by 0, 1, ..., k pixels. A shift of ``s``
is averaged over the four directions (up, down, left, right); pixels moved out of the 28 x 28
field are lost and the uncovered border is black, as ``transforms.RandomShift.shift`` does.

Why it comes out as it does (the notes' "local features" and "max pooling gives local
invariance"): the MLP learns one weight per pixel, i.e. a template tied to the place where the
digits were during training; a shifted digit lands on other weights. A convolution applies the
same kernel everywhere, so a shifted digit gives shifted feature maps (equivariance); only the
dense layers at the end see absolute positions, through maps that pooling has made 4 times
coarser, so small shifts change them little.

``draw_translation`` draws the result (the example digit at each shift and one panel per
question); ``save_numbers`` writes it as strict JSON; ``check_output`` tells before any training
whether a PNG or JSON path can be written.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.training import evaluate, train_one_epoch
from juanji.data import MNIST, DataLoader, TensorDataset
from juanji.data.transforms import RandomShift
from juanji.errors import JuanjiError
from juanji.models import LeNet5
from juanji.nn import Flatten, Linear, MaxPool2d, ReLU, Sequential
from juanji.nn.module import Module
from juanji.optim import Adam
from juanji.random import Generator, manual_seed

__all__ = [
    "MODELS",
    "QUICK",
    "TranslationSettings",
    "TranslationResult",
    "make_mlp",
    "make_lenet",
    "shift_images",
    "translation",
    "draw_translation",
    "save_numbers",
    "check_output",
]

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
HIDDEN = 77  # 784*77 + 77 + 77*10 + 10 = 61,225 parameters, LeNet5 has 61,706


def make_mlp() -> Module:
    """The MLP of the experiment: flatten, 784 -> 77, ReLU, 77 -> 10 (61,225 parameters).

    Example:
        >>> sum(p.numel() for p in make_mlp().parameters())
        61225
    """
    return Sequential(Flatten(), Linear(28 * 28, HIDDEN), ReLU(), Linear(HIDDEN, 10))


def make_lenet(pool: str = "max") -> Module:
    """LeNet5 with ``'max'`` or ``'avg'`` pooling, or ``'none'``: plain stride-2 subsampling.

    ``'none'`` replaces both pooling layers with ``MaxPool2d(kernel_size=1, stride=2)``, which
    keeps pixel ``(2i, 2j)`` of each 2x2 block: the same output sizes and parameters, no window.

    Example:
        >>> [sum(p.numel() for p in make_lenet(p).parameters()) for p in ("max", "avg", "none")]
        [61706, 61706, 61706]
        >>> make_lenet("none").features[2].kernel_size
        1
    """
    if pool == "none":
        model = LeNet5(pool="max")
        model.features[2] = MaxPool2d(kernel_size=1, stride=2)
        model.features[5] = MaxPool2d(kernel_size=1, stride=2)
        return model
    return LeNet5(pool=pool)


# name -> (constructor, description); the first two make the first table, the LeNets the second.
MODELS: dict[str, tuple[Callable[[], Module], str]] = {
    "MLP": (make_mlp, "784-77-10 MLP"),
    "LeNet5": (lambda: make_lenet("max"), "LeNet5, max pooling"),
    "LeNet5-avg": (lambda: make_lenet("avg"), "LeNet5, average pooling"),
    "LeNet5-none": (lambda: make_lenet("none"), "LeNet5, stride-2 subsampling, no pooling"),
}
POOLING = {"LeNet5": "max pool", "LeNet5-avg": "avg pool", "LeNet5-none": "no pool"}


def shift_images(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move every image of ``(N, H, W)`` by ``dy`` rows down and ``dx`` columns right.

    Uses ``RandomShift.shift`` with a fixed shift: lost pixels are dropped, the uncovered
    border is 0.

    Example:
        >>> shift_images(np.arange(1, 5.0).reshape(1, 2, 2), 0, 1).tolist()
        [[[0.0, 1.0], [0.0, 3.0]]]
    """
    if dy == dx == 0:
        return images.copy()
    shifter = RandomShift((abs(dy), abs(dx)))
    return shifter.shift(images, np.tile([dy, dx], (len(images), 1)))


def _directions(shift: int) -> list[tuple[int, int]]:
    return [(0, 0)] if shift == 0 else [(-shift, 0), (shift, 0), (0, -shift), (0, shift)]


@dataclass(frozen=True)
class TranslationSettings:
    """What ``translation`` does; the defaults are the command's.

    Attributes:
        train_size: training images (the first ones of MNIST's training set).
        test_size: test images (the first ones of MNIST's test set).
        epochs: passes over the training images, the same for every model.
        max_shift: test shifts 0..max_shift pixels.
        batch_size: images per step.
        lr: Adam's learning rate.
        seed: initial weights and shuffling (the same for every model).
        models: which of ``MODELS`` to train.
    """

    train_size: int = 30_000
    test_size: int = 2_000
    epochs: int = 1
    max_shift: int = 6
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    models: tuple[str, ...] = tuple(MODELS)


QUICK = TranslationSettings(train_size=2_000, test_size=500, max_shift=4)


@dataclass
class TranslationResult:
    """Accuracies per model and shift, and what was trained.

    Attributes:
        settings: the settings used.
        shifts: ``0..max_shift``.
        accuracy: model name -> accuracy (0-1) per shift, averaged over the directions.
        parameters: model name -> parameter count.
        seconds: model name -> training seconds.
        examples: one test digit at every shift (right), ``(len(shifts), 28, 28)`` in [0, 1].
    """

    settings: TranslationSettings
    shifts: list[int]
    accuracy: dict[str, list[float]] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    examples: np.ndarray | None = None

    def table(self, names: Sequence[str], labels: Sequence[str] | None = None) -> str:
        """An accuracy table: one row per shift, one column per model (in %).

        Example:
            >>> r = TranslationResult(TranslationSettings(), [0, 1], {"A": [0.99, 0.5]})
            >>> print(r.table(["A"]))
            shift (px)       A
            ----------  ------
                     0  99.00%
                     1  50.00%
        """
        names = [n for n in names if n in self.accuracy]
        labels = list(labels) if labels is not None else names
        widths = [max(len(label), 6) for label in labels]
        lines = [
            "shift (px)  " + "  ".join(f"{lab:>{w}}" for lab, w in zip(labels, widths, strict=True))
        ]
        lines.append("-" * 10 + "  " + "  ".join("-" * w for w in widths))
        for i, shift in enumerate(self.shifts):
            cells = [
                f"{100 * self.accuracy[n][i]:>{w - 1}.2f}%"
                for n, w in zip(names, widths, strict=True)
            ]
            lines.append(f"{shift:>10}  " + "  ".join(cells))
        return "\n".join(lines)

    def report(self) -> str:
        """Both tables with their headings and what was matched."""
        s = self.settings
        params = ", ".join(f"{n} {self.parameters[n]:,}" for n in self.parameters)
        cnn_vs_mlp = [n for n in ("MLP", "LeNet5") if n in self.accuracy]
        pools = [n for n in POOLING if n in self.accuracy]
        parts = [
            f"Trained on {s.train_size:,} centred MNIST digits, {s.epochs} epoch(s), batch "
            f"{s.batch_size}, Adam lr {s.lr:g}, seed {s.seed};\nthe same steps and images for "
            "every model.",
            f"Parameters: {params}.",
            f"Tested on {s.test_size:,} held-out digits moved by 0..{s.max_shift} px (mean of "
            "up, down, left, right).",
        ]
        if cnn_vs_mlp:
            parts += ["", "1) MLP vs CNN: accuracy on shifted digits", self.table(cnn_vs_mlp)]
        if pools:
            labels = [f"{POOLING[n]}" for n in pools]
            parts += ["", "2) LeNet5 with max / average / no pooling", self.table(pools, labels)]
        return "\n".join(parts)


def _load(train: bool, size: int, root: str | Path | None) -> tuple[np.ndarray, np.ndarray]:
    dataset = MNIST(root=root, train=train)
    if size > len(dataset):
        split, flag = ("training", "train") if train else ("test", "test")
        raise JuanjiError(
            f"--{flag}-size {size:,} is more than the {len(dataset):,} {split} digits MNIST "
            f"holds; use at most {len(dataset):,}"
        )
    images = dataset.data.numpy()[:size].astype(np.float32) / 255.0
    return images, dataset.targets.numpy()[:size]


def _normalised(images: np.ndarray) -> np.ndarray:
    return ((images - MNIST_MEAN) / MNIST_STD)[:, None].astype(np.float32)  # (N, 1, 28, 28)


def _accuracy(model: Module, images: np.ndarray, labels: np.ndarray, shift: int) -> float:
    correct = 0.0
    directions = _directions(shift)
    for dy, dx in directions:
        data = TensorDataset(_normalised(shift_images(images, dy, dx)), labels)
        correct += evaluate(model, DataLoader(data, batch_size=1000)).accuracy
    return correct / len(directions)


def translation(
    settings: TranslationSettings = TranslationSettings(),
    root: str | Path | None = None,
    log: Callable[[str], Any] | None = None,
) -> TranslationResult:
    """Train the models of ``settings`` on centred digits, test them on shifted ones.

    Args:
        settings: sizes, epochs, shifts (see ``TranslationSettings``).
        root: the MNIST folder (default: ``$JUANJI_DATA``, then the cache; downloads if absent).
        log: called with one line per finished model (e.g. ``print``).

    Returns:
        A ``TranslationResult``; ``print(result.report())`` gives both tables.

    Raises:
        DataError: MNIST cannot be found or fetched.
        JuanjiError: a size is larger than MNIST's split (the message names the maximum).
    """
    train_images, train_labels = _load(True, settings.train_size, root)
    test_images, test_labels = _load(False, settings.test_size, root)
    train_set = TensorDataset(_normalised(train_images), train_labels)
    shifts = list(range(settings.max_shift + 1))
    result = TranslationResult(settings, shifts)
    result.examples = np.stack([shift_images(test_images[:1], 0, s)[0] for s in shifts])
    for name in settings.models:
        build, _ = MODELS[name]
        manual_seed(settings.seed)
        model = build()
        loader = DataLoader(
            train_set,
            batch_size=settings.batch_size,
            shuffle=True,
            generator=Generator().manual_seed(settings.seed),
        )
        optimizer = Adam(model.parameters(), lr=settings.lr)
        start = time.perf_counter()
        for _ in range(settings.epochs):
            train_one_epoch(model, optimizer, loader)
        result.seconds[name] = time.perf_counter() - start
        result.parameters[name] = sum(p.numel() for p in model.parameters())
        result.accuracy[name] = [_accuracy(model, test_images, test_labels, s) for s in shifts]
        if log is not None:
            accuracies = " ".join(f"{100 * a:.1f}" for a in result.accuracy[name])
            log(
                f"{name:<12} trained in {result.seconds[name]:5.1f} s; accuracy % by shift: "
                f"{accuracies}"
            )
    return result


# ---------------------------------------------------------------------- output
def check_output(path: str | os.PathLike, flag: str) -> Path:
    """``path`` if a file can be written there (its folder is created), else a JuanjiError.

    Tried by creating and removing a temporary file in the folder, so that a run of minutes
    is not lost to a read-only folder or ``/proc`` at the end.
    """
    path = Path(path)
    if path.is_dir():
        raise JuanjiError(f"{flag} {path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise JuanjiError(
            f"{flag} {path}: cannot write there ({error.strerror or error}); choose another path"
        ) from None
    return path


def save_numbers(result: TranslationResult, path: str | os.PathLike) -> Path:
    """Write the settings, shifts, accuracies, parameter counts and seconds as strict JSON."""
    from juanji.serialization import atomic_write_bytes

    numbers = {
        "settings": asdict(result.settings),
        "shifts": result.shifts,
        "accuracy": result.accuracy,
        "parameters": result.parameters,
        "train_seconds": result.seconds,
    }
    text = json.dumps(numbers, indent=2, allow_nan=False) + "\n"
    try:
        return atomic_write_bytes(path, text.encode())
    except OSError as error:
        raise JuanjiError(f"{path}: cannot write ({error.strerror or error})") from error


# ---------------------------------------------------------------------- figure
WIDTH_INCHES, HEIGHT_INCHES = 10.0, 6.0
_STYLE = {
    "MLP": ("MLP (784-77-10)", "tab:red", "s"),
    "LeNet5": ("LeNet5, max pool", "tab:blue", "o"),
    "LeNet5-avg": ("LeNet5, avg pool", "tab:green", "^"),
    "LeNet5-none": ("LeNet5, no pool (stride 2)", "tab:gray", "v"),
}
_PANELS = (
    (("MLP", "LeNet5"), "1) MLP vs CNN, trained on centred digits only"),
    (("LeNet5", "LeNet5-avg", "LeNet5-none"), "2) the same LeNet5 with max / average / no pooling"),
)


def _curves(axes: Any, result: TranslationResult, names: Sequence[str], title: str) -> None:
    for name in names:
        label, colour, marker = _STYLE.get(name, (name, None, "o"))
        values = [100 * a for a in result.accuracy[name]]
        axes.plot(result.shifts, values, marker=marker, color=colour, label=label)
    axes.set_xlabel("shift of the test digits (pixels)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_xticks(result.shifts)
    axes.set_ylim(0, 100)
    axes.axhline(10, color="black", linewidth=0.5, linestyle=":")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="best")  # matplotlib places it where it covers the fewest points
    axes.set_title(title, fontsize=9)


def draw_translation(result: TranslationResult, path: str | os.PathLike) -> Path:
    """Draw the shifted example digit and the accuracy curves; write a 1000 x 600 PNG.

    One panel per question that has a model in the result (``--models MLP`` draws only the
    first).

    Args:
        result: what ``translation`` returned.
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
        axes = top.subplots(1, len(examples), squeeze=False)[0]
        for shift, (ax, image) in enumerate(zip(list(axes), examples, strict=True)):
            show_image(ax, image)
            ax.set_xlabel(f"{shift} px", fontsize=8, labelpad=2)
        top.suptitle("a test digit moved right by 0, 1, 2, ... pixels", fontsize=9, y=0.98)
        top.subplots_adjust(top=0.82, bottom=0.14)
    panels = [
        ([n for n in names if n in result.accuracy], title)
        for names, title in _PANELS
        if any(n in result.accuracy for n in names)
    ]
    for ax, (names, title) in zip(
        bottom.subplots(1, len(panels), squeeze=False)[0], panels, strict=True
    ):
        _curves(ax, result, names, title)
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
