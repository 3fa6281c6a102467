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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.training import evaluate, train_one_epoch
from juanji.data import MNIST, DataLoader, TensorDataset
from juanji.data.transforms import RandomShift
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
    size = min(size, len(dataset))
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
