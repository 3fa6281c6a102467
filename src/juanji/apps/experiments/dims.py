"""The notes' "1-D, 2-D and 3-D" (一维、二维与三维) on data derived from MNIST: Conv1d and Conv3d.

Two small experiments, each with a baseline that lacks what the convolution's extra (or
missing) dimension gives:

* **conv1d**: every digit becomes a 1-D signal of length 28 with two channels, its *profiles*:
  the ink in each row (top to bottom) and in each column (left to right). A Conv1d network
  (``make_conv1d``) and an MLP with about as many parameters classify the digits from these 56
  numbers; both are also tested on digits moved by 1..k pixels before the profiles are taken,
  where a 1-D convolution, like a 2-D one, sees shifted profiles as shifted patterns.
* **conv3d**: every digit becomes a short "video" (``moving_digits``): the digit, halved to
  14 x 14, moves in a straight line at one pixel per frame in one of 8 directions inside a
  24 x 24 field for 5 frames; the class is the direction. The middle frame's position is drawn
  uniformly and independently of the direction, so one frame says nothing about the motion. A
  Conv3d network (``make_conv3d``, kernels over time, height and width) is compared with the
  same layers in 2-D on the middle frame only (chance: 12.5 %), and in 2-D with the 5 frames as
  5 input channels ("early fusion": time folded into the channels at the first layer).

Both follow ``translation``'s budget rules: the same images, optimiser (Adam), steps and seed
for every model of an experiment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.experiments import structure, translation
from juanji.apps.training import evaluate
from juanji.data import DataLoader, TensorDataset
from juanji.nn import (
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    Conv1d,
    Conv2d,
    Conv3d,
    Flatten,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    ReLU,
    Sequential,
)
from juanji.nn.module import Module

__all__ = [
    "DimsSettings",
    "QUICK",
    "CONV3D",
    "CONV3D_QUICK",
    "DimsResult",
    "profiles",
    "moving_digits",
    "DIRECTIONS",
    "make_conv1d",
    "make_conv3d",
    "conv1d_experiment",
    "conv3d_experiment",
    "draw_dims",
]

FRAMES, FIELD, STEP = 5, 24, 1  # frames per clip, field side, pixels moved per frame
# The 8 directions (rows down, columns right), in the order of the class indices.
DIRECTIONS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
DIRECTION_NAMES = ("up", "up-right", "right", "down-right", "down", "down-left", "left", "up-left")


@dataclass(frozen=True)
class DimsSettings:
    """What the 1-D and 3-D experiments do; the defaults are the commands'.

    Attributes:
        train_size, test_size: MNIST digits (the first ones of each split).
        epochs, batch_size, lr, seed: the training, the same for every model.
        max_shift: conv1d tests digits moved by 0..max_shift pixels.
    """

    train_size: int = 30_000
    test_size: int = 2_000
    epochs: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    max_shift: int = 3


QUICK = DimsSettings(train_size=2_000, test_size=500, max_shift=2)
# conv3d: motion takes more steps to learn than shapes, and a clip costs 15 times a profile.
CONV3D = DimsSettings(train_size=10_000, epochs=2, lr=3e-3)
CONV3D_QUICK = DimsSettings(train_size=2_000, test_size=500, epochs=2, lr=3e-3)


def profiles(images: np.ndarray) -> np.ndarray:
    """``(N, 2, W)`` signals from ``(N, H, W)`` images: row sums, then column sums (H == W).

    Example:
        >>> profiles(np.array([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
        [[[3.0, 7.0], [4.0, 6.0]]]
    """
    return np.stack([images.sum(axis=2), images.sum(axis=1)], axis=1).astype(np.float32)


def moving_digits(
    images: np.ndarray, seed: int, frames: int = FRAMES, field_size: int = FIELD
) -> tuple[np.ndarray, np.ndarray]:
    """Clips ``(N, frames, F, F)`` of the halved digits moving in one of 8 directions; labels.

    Each ``(28, 28)`` digit is halved to 14 x 14 (the mean of each 2x2 block). Clip ``n`` draws
    a direction ``d`` (its label, an index of ``DIRECTIONS``) and a position ``p`` of the middle
    frame (row and column of the digit's top-left corner, uniform over the places that keep the
    whole path inside the field); frame ``t`` has the digit at ``p + (t - frames // 2) * d``, on
    black. The same ``seed`` gives the same clips.

    Example:
        >>> clips, labels = moving_digits(np.ones((1, 28, 28)), seed=0)
        >>> clips.shape, [int(frame.sum()) for frame in clips[0]]
        ((1, 5, 24, 24), [196, 196, 196, 196, 196])
    """
    small = images.reshape(len(images), 14, 2, 14, 2).mean(axis=(2, 4)).astype(np.float32)
    reach = (frames // 2) * STEP
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(DIRECTIONS), len(images))
    middle = rng.integers(reach, field_size - 14 - reach + 1, size=(len(images), 2))
    clips = np.zeros((len(images), frames, field_size, field_size), np.float32)
    for n, (digit, label, (row, col)) in enumerate(zip(small, labels, middle, strict=True)):
        dy, dx = DIRECTIONS[label]
        for t in range(frames):
            top, left = row + (t - frames // 2) * STEP * dy, col + (t - frames // 2) * STEP * dx
            clips[n, t, top : top + 14, left : left + 14] = digit
    return clips, labels


def make_conv1d() -> Module:
    """Conv1d on the 2 x 28 profiles: two conv-ReLU-pool blocks, then a dense layer (3,810).

    Example:
        >>> sum(p.numel() for p in make_conv1d().parameters())
        3810
    """
    return Sequential(
        Conv1d(2, 16, 5, padding=2), ReLU(), MaxPool1d(2),
        Conv1d(16, 24, 5, padding=2), ReLU(), MaxPool1d(2),
        Flatten(), Linear(24 * 7, 10),
    )  # fmt: skip


def make_profile_mlp() -> Module:
    """An MLP on the 56 profile values with about ``make_conv1d``'s parameters (3,829).

    Example:
        >>> sum(p.numel() for p in make_profile_mlp().parameters())
        3829
    """
    return Sequential(Flatten(), Linear(56, 57), ReLU(), Linear(57, 10))


def make_conv3d(kind: str = "3d") -> Module:
    """The motion classifier: ``'3d'`` (Conv3d over 5 frames), ``'frame'`` or ``'channels'``.

    Two convolutions (3x3x3, or 3x3 in 2-D) with a 2x2 max pooling over space between them.
    ``'frame'`` and ``'channels'`` are the same layers in 2-D, on the middle frame (1 input
    channel) or on the 5 frames as 5 input channels. All end with global average pooling and a
    dense layer to the 8 directions.

    Example:
        >>> kinds = ("3d", "frame", "channels")
        >>> [sum(p.numel() for p in make_conv3d(k).parameters()) for k in kinds]
        [3832, 1384, 1672]
    """
    if kind == "3d":
        return Sequential(
            Conv3d(1, 8, 3, padding=1), ReLU(), MaxPool3d((1, 2, 2)),
            Conv3d(8, 16, 3, padding=1), ReLU(),
            AdaptiveAvgPool3d(1), Flatten(), Linear(16, 8),
        )  # fmt: skip
    channels = {"frame": 1, "channels": FRAMES}[kind]
    return Sequential(
        Conv2d(channels, 8, 3, padding=1), ReLU(), MaxPool2d(2),
        Conv2d(8, 16, 3, padding=1), ReLU(),
        AdaptiveAvgPool2d(1), Flatten(), Linear(16, 8),
    )  # fmt: skip


@dataclass
class DimsResult:
    """Accuracies per model (and per shift for conv1d), parameters, seconds, example inputs.

    Attributes:
        name: ``'conv1d'`` or ``'conv3d'``.
        settings: the settings used.
        accuracy: model -> test accuracy per column (``columns``).
        columns: the column names of the table.
        parameters: model -> parameter count; seconds: model -> training seconds.
        examples: a few inputs to draw (profiles with their digits, or clips).
    """

    name: str
    settings: DimsSettings
    columns: list[str]
    accuracy: dict[str, list[float]] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    examples: dict[str, np.ndarray] = field(default_factory=dict)

    def table(self) -> str:
        """One row per model: parameters, then the accuracy in each column (in %).

        Example:
            >>> r = DimsResult("conv1d", QUICK, ["0 px"], {"Conv1d": [0.9]}, {"Conv1d": 3810})
            >>> print(r.table())
            model   params   0 px
            ------  ------  ------
            Conv1d   3,810  90.00%
        """
        header = ["model", "params", *self.columns]
        rows = [header] + [
            [name, f"{self.parameters[name]:,}", *(f"{100 * a:.2f}%" for a in values)]
            for name, values in self.accuracy.items()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _fit_and_score(
    result: DimsResult,
    models: dict[str, Callable[[], Module]],
    train: tuple[np.ndarray, np.ndarray],
    tests: Callable[[str], list[tuple[np.ndarray, np.ndarray]]],
    log: Callable[[str], Any] | None,
) -> None:
    for name, build in models.items():
        inputs = tests(name)  # first: the training inputs, then one test set per column
        model, seconds = structure.train_model(build, inputs[0][0], train[1], result.settings)
        result.seconds[name] = seconds
        result.parameters[name] = sum(p.numel() for p in model.parameters())
        result.accuracy[name] = [
            evaluate(model, DataLoader(TensorDataset(x, y), batch_size=500)).accuracy
            for x, y in inputs[1:]
        ]
        if log is not None:
            scores = " ".join(f"{100 * a:.1f}" for a in result.accuracy[name])
            log(f"{name:<16} trained in {seconds:5.1f} s; test accuracy %: {scores}")


def _standard(signals: np.ndarray, mean: float, std: float) -> np.ndarray:
    return ((signals - mean) / std).astype(np.float32)


def conv1d_experiment(
    settings: DimsSettings = DimsSettings(),
    root: str | Path | None = None,
    log: Callable[[str], Any] | None = None,
) -> DimsResult:
    """Classify digits from their row and column profiles: Conv1d against an MLP.

    Raises:
        DataError: MNIST cannot be found or fetched.
        JuanjiError: a size is larger than MNIST's split.
    """
    train_images, train_labels = translation._load(True, settings.train_size, root)
    test_images, test_labels = translation._load(False, settings.test_size, root)
    train_signals = profiles(train_images)
    mean, std = float(train_signals.mean()), float(train_signals.std())
    shifts = list(range(settings.max_shift + 1))
    result = DimsResult("conv1d", settings, [f"moved {s} px" for s in shifts])
    result.examples = {"digits": test_images[:4], "profiles": profiles(test_images[:4])}
    tests = []
    for shift in shifts:  # moved right and down: the profiles shift, their shapes stay
        moved = translation.shift_images(test_images, shift, shift)
        tests.append((_standard(profiles(moved), mean, std), test_labels))
    train = (_standard(train_signals, mean, std), train_labels)
    models = {"Conv1d": make_conv1d, "MLP": make_profile_mlp}
    _fit_and_score(result, models, train, lambda _: [train, *tests], log)
    return result


def conv3d_experiment(
    settings: DimsSettings = CONV3D,
    root: str | Path | None = None,
    log: Callable[[str], Any] | None = None,
) -> DimsResult:
    """Classify the direction of moving digits: Conv3d against 2-D on one frame or stacked.

    Raises:
        DataError: MNIST cannot be found or fetched.
        JuanjiError: a size is larger than MNIST's split.
    """
    train_images, _ = translation._load(True, settings.train_size, root)
    test_images, _ = translation._load(False, settings.test_size, root)
    train_clips, train_labels = moving_digits(train_images, settings.seed)
    test_clips, test_labels = moving_digits(test_images, settings.seed + 1)
    result = DimsResult("conv3d", settings, ["test accuracy"])
    result.examples = {"clips": test_clips[:4], "labels": test_labels[:4]}

    def inputs(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
        def shape(clips: np.ndarray) -> np.ndarray:
            if name == "Conv3d":
                return clips[:, None]  # (N, 1, T, H, W)
            if name.startswith("Conv2d, middle"):
                return clips[:, FRAMES // 2 : FRAMES // 2 + 1]  # (N, 1, H, W)
            return clips  # (N, T, H, W): the frames as channels

        return [(shape(train_clips), train_labels), (shape(test_clips), test_labels)]

    models = {
        "Conv3d": lambda: make_conv3d("3d"),
        "Conv2d, middle frame": lambda: make_conv3d("frame"),
        "Conv2d, frames as channels": lambda: make_conv3d("channels"),
    }
    _fit_and_score(result, models, (train_clips, train_labels), inputs, log)
    return result


# ---------------------------------------------------------------------- figures
def _draw_profiles(figure: Any, result: DimsResult) -> None:
    from juanji.apps.viz.plot import show_image

    digits, signals = result.examples["digits"][:3], result.examples["profiles"][:3]
    axes = figure.subplots(2, len(digits), squeeze=False, height_ratios=[1.2, 1])
    for i, (digit, signal) in enumerate(zip(digits, signals, strict=True)):
        show_image(axes[0, i], digit)
        axes[1, i].plot(signal[0], color="tab:purple", label="ink per row")
        axes[1, i].plot(signal[1], color="tab:orange", label="ink per column")
        axes[1, i].set_xticks([0, 27])
        axes[1, i].tick_params(labelsize=7)
    axes[1, 0].legend(fontsize=6, loc="upper left")
    figure.suptitle("each digit as a 1-D signal: 2 channels of 28 samples", fontsize=9)


def _draw_clips(figure: Any, result: DimsResult) -> None:
    from juanji.apps.viz.plot import show_image

    clips, labels = result.examples["clips"][:3], result.examples["labels"][:3]
    axes = figure.subplots(len(clips), FRAMES, squeeze=False)
    for line, clip, label in zip(axes, clips, labels, strict=True):
        for t, (ax, frame) in enumerate(zip(line, clip, strict=True)):
            show_image(ax, frame)
            if t == FRAMES // 2:
                ax.set_title(DIRECTION_NAMES[int(label)], fontsize=8)
    figure.suptitle("clips of 5 frames; the class is the direction of motion", fontsize=9)


def _draw_scores(axes: Any, result: DimsResult) -> None:
    if result.name == "conv1d":
        shifts = list(range(len(result.columns)))
        for name, values in result.accuracy.items():
            axes.plot(shifts, [100 * v for v in values], marker="o", label=name)
        axes.set_xticks(shifts)
        axes.set_xlabel("digit moved right and down by (pixels)")
        axes.legend(fontsize=8)
        axes.set_title("profiles of moved digits", fontsize=9)
    else:
        names = list(result.accuracy)
        values = [100 * result.accuracy[n][0] for n in names]
        bars = axes.bar(range(len(names)), values, color=["tab:blue", "tab:gray", "tab:green"])
        axes.bar_label(bars, fmt="%.1f", fontsize=8)
        axes.set_xticks(range(len(names)), [n.replace(", ", ",\n") for n in names], fontsize=8)
        axes.set_title("direction of motion (8 classes)", fontsize=9)
    chance = 10 if result.name == "conv1d" else 100 / len(DIRECTIONS)
    axes.axhline(chance, color="black", linewidth=0.5, linestyle=":")
    axes.set_ylim(0, 105)
    axes.set_ylabel("test accuracy (%)")
    axes.grid(alpha=0.3, axis="y")


def draw_dims(result: DimsResult, path: str | Path) -> Path:
    """The inputs (profiles or clips) on the left, the accuracies on the right; a 1000 x 450 PNG."""
    from juanji.apps.viz.plot import pyplot, save_figure

    plt = pyplot()
    figure = plt.figure(figsize=(10.0, 4.5))
    left, right = figure.subfigures(1, 2, width_ratios=[1.2, 1])
    (_draw_profiles if result.name == "conv1d" else _draw_clips)(left, result)
    _draw_scores(right.subplots(), result)
    right.subplots_adjust(bottom=0.2)
    return save_figure(figure, path)
