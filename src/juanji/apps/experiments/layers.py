"""The notes' "why do CNNs work" (为什么卷积网络效果好), measured layer by layer on a trained LeNet.

``layers`` takes a trained plain-stack network (LeNet5 trained here for a short while, or the
model of a ``juanji train`` run folder) and, for the input and the output of every activation,
pooling layer and the last layer, measures:

* **how discriminative the features are**: the test accuracy of a linear probe, a ridge
  classifier fitted in closed form on that layer's flattened features (one-hot targets; the
  ridge strength chosen by exact leave-one-out error, see ``ridge_probe``). The notes' "strong
  discriminative features": the accuracy rises with depth.
* **what the classes look like there**: a 2-D PCA projection of the test features, coloured by
  class; the classes separate as the layers go up.
* **how much of the image a unit sees**: the receptive field size from
  ``juanji.apps.viz.receptive_field`` (5, 6, 14, 16 pixels, then the whole image).
* **what the units answer to**: for a few channels of each spatial layer, the image patches
  (the unit's receptive field, cut from the test images) where the channel answers most. The
  notes' "from simple to abstract, compositional": strokes and edges first, then parts of
  digits.

``layers_figures.draw_layers`` draws one picture per question; ``LayersResult.table`` gives
the numbers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.experiments import structure, translation
from juanji.apps.training import DATASETS
from juanji.apps.viz.receptive_field import receptive_field_table
from juanji.autograd import no_grad
from juanji.errors import JuanjiError
from juanji.nn.module import Module
from juanji.tensor.creation import tensor

__all__ = ["LayersSettings", "QUICK", "Point", "LayersResult", "ridge_probe", "pca_2d", "layers"]

_RECORDED = ("ReLU", "Tanh", "Sigmoid", "MaxPool2d", "AvgPool2d", "Subsampling", "ScaledTanh")


@dataclass(frozen=True)
class LayersSettings:
    """What ``layers`` does; the defaults are the command's.

    Attributes:
        train_size: images LeNet5 is trained on (unused with a run folder).
        probe_size: training images the probes are fitted on (the first ones).
        test_size: test images the probes are scored on, projected and searched for patches.
        epochs: LeNet5's epochs (unused with a run folder).
        channels: channels per spatial layer whose top patches are drawn.
        patches: top patches per channel.
        batch_size, lr, seed: LeNet5's training (Adam), as in ``structure``.
    """

    train_size: int = 30_000
    probe_size: int = 2_000
    test_size: int = 2_000
    epochs: int = 1
    channels: int = 4
    patches: int = 8
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0


QUICK = LayersSettings(train_size=2_000, probe_size=600, test_size=300)


def ridge_probe(
    train: np.ndarray,
    train_labels: np.ndarray,
    test: np.ndarray,
    classes: int,
    alphas: Sequence[float] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0),
) -> tuple[np.ndarray, float]:
    """A linear classifier fitted in closed form: ridge regression on one-hot targets.

    The features are centred on the training mean and the fit is solved in its dual form,
    ``W = Xᵀ (X Xᵀ + λI)⁻¹ Y``: one n x n system whatever the feature count (4,704 for LeNet5's
    first layer). ``λ = alpha · trace(X Xᵀ) / n``, with the alpha that makes the fewest errors
    on the last fifth of the training features when fitted on the rest; then the probe is
    refitted on all of them.

    Args:
        train: ``(n, d)`` features.
        train_labels: ``(n,)`` their class indices.
        test: ``(m, d)`` features to classify.
        classes: number of classes.
        alphas: the ridge strengths tried, relative to the mean of the Gram matrix's diagonal.

    Returns:
        The predicted classes of ``test`` and the chosen alpha.

    Example:
        >>> x = np.array([[0.0], [1.0], [4.0], [5.0], [0.5], [4.5]])
        >>> labels = np.array([0, 0, 1, 1, 0, 1])
        >>> ridge_probe(x, labels, np.array([[0.2], [4.8]]), 2)[0].tolist()
        [0, 1]
    """
    x = np.asarray(train, np.float64)
    mean = x.mean(axis=0)
    x = x - mean
    targets = np.eye(classes)[train_labels]
    offset = targets.mean(axis=0)
    y = targets - offset
    gram = x @ x.T
    n = len(x)
    scale = max(float(np.trace(gram)) / n, 1e-12)
    fit = n - max(1, n // 5)
    best = (n + 1, alphas[0])
    for alpha in alphas:
        system = gram[:fit, :fit] + alpha * scale * np.eye(fit)
        scores = gram[fit:, :fit] @ np.linalg.solve(system, y[:fit]) + offset
        errors = int((scores.argmax(axis=1) != train_labels[fit:]).sum())
        best = min(best, (errors, alpha))
    alpha = best[1]
    dual = np.linalg.solve(gram + alpha * scale * np.eye(n), y)
    scores = (np.asarray(test, np.float64) - mean) @ (x.T @ dual) + offset
    return scores.argmax(axis=1), alpha


def pca_2d(features: np.ndarray, iterations: int = 12) -> np.ndarray:
    """The ``(n, 2)`` coordinates of the rows on their first two principal axes.

    Found by subspace iteration (a fixed start, 16 directions, ``iterations`` rounds), then an
    exact eigendecomposition inside that small subspace: a few matrix products instead of an
    n x n eigendecomposition. The sign of each axis is arbitrary.

    Example:
        >>> points = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0], [4.0, 0.0, 1.0]])
        >>> np.abs(pca_2d(points)[:, 0]).round(6).tolist()
        [2.0, 0.0, 2.0]
    """
    x = np.asarray(features, np.float64)
    x = x - x.mean(axis=0)
    k = min(16, *x.shape)
    basis = np.linalg.qr(x.T @ np.random.default_rng(0).standard_normal((len(x), k)))[0]
    for _ in range(iterations):
        basis = np.linalg.qr(x.T @ (x @ basis))[0]
    small = x @ basis  # (n, k): the rows in the subspace
    values, vectors = np.linalg.eigh(small.T @ small)
    top = np.argsort(values)[::-1][:2]
    coords = small @ vectors[:, top]
    return np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))


@dataclass
class Point:
    """One place in the network where the features are read.

    Attributes:
        name: the module's dotted name (``'input'`` for the pixels).
        kind: what it computes (``Conv2d+ReLU``, ``MaxPool2d``...).
        shape: the output shape without the batch.
        field: the receptive field size in pixels per spatial dimension (``None``: the whole
            image; ``()``: not known, after a layer ``receptive_field_table`` cannot follow,
            such as ``PixelUnshuffle``).
        window: ``unit -> [(low, high), ...]``, the input box one unit sees, or ``None``.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    field: tuple[float, ...] | None
    window: Callable[[Sequence[int]], list[tuple[float, float]]] | None = None


def field_size(field: tuple[float, ...] | None) -> str:
    """``'5x5'``, ``'1x1'``, ``'all'`` for a unit that sees the whole image, ``'n/a'`` if unknown.

    Example:
        >>> field_size((14.0, 14.0)), field_size(None), field_size(())
        ('14x14', 'all', 'n/a')
    """
    if field is None:
        return "all"
    return "x".join(f"{f:g}" for f in field) if field else "n/a"


def _leaves(model: Module) -> list[tuple[str, Module]]:
    return [(n, m) for n, m in model.named_modules() if n and not list(m.children())]


def find_points(model: Module, input_size: Sequence[int]) -> list[Point]:
    """The input, every activation and pooling output, and the last layer, with their fields.

    Raises:
        JuanjiError: the network is not a plain stack (``receptive_field_table`` refuses it).
    """
    try:
        table = receptive_field_table(model, input_size)
    except ValueError as error:
        raise JuanjiError(f"layers: {error}") from None
    rows = {row.name: row for row in table.rows}
    shapes = _record(model, np.zeros((1, *input_size), np.float32), None)
    leaves = _leaves(model)
    points = [Point("input", "pixels", tuple(input_size), (1.0,) * (len(input_size) - 1))]
    current, previous, whole = None, "", False
    for index, (name, module) in enumerate(leaves):
        kind = type(module).__name__
        current = rows.get(name, current)
        whole = whole or (table.stopped_at is not None and name == table.stopped_at[0])
        if kind in _RECORDED or index == len(leaves) - 1:
            label = f"{previous}+{kind}" if kind in ("ReLU", "Tanh", "Sigmoid") else kind
            if current is not None and not whole:
                field: tuple[float, ...] | None = tuple(float(f.size) for f in current.fields)
            else:  # spatial after the table stopped (e.g. PixelUnshuffle): not known
                field = () if len(shapes[name]) == len(input_size) else None
            window = current.unit_window if field else None
            points.append(Point(name, label, shapes[name], field, window))
        previous = kind
    return points


def _record(model: Module, images: np.ndarray, names: set[str] | None) -> dict[str, Any]:
    """Run ``model`` on ``images`` and return every leaf's output (arrays; shapes if names=None)."""
    seen: dict[str, Any] = {}
    handles = []
    for name, module in _leaves(model):

        def hook(module: Module, inputs: Any, output: Any, name: str = name) -> None:
            if names is None:
                seen[name] = tuple(output.shape[1:])
            elif name in names:
                seen[name] = output.detach().numpy().reshape(len(output), -1).astype(np.float32)

        handles.append(module.register_forward_hook(hook))
    try:
        with no_grad():
            model.eval()(tensor(images))
    finally:
        for handle in handles:
            handle.remove()
    return seen


def features(
    model: Module, points: Sequence[Point], images: np.ndarray, batch: int = 500
) -> dict[str, np.ndarray]:
    """The flattened features ``(N, d)`` at each point for the model inputs ``images``."""
    names = {p.name for p in points if p.name != "input"}
    parts: dict[str, list[np.ndarray]] = {p.name: [] for p in points}
    for start in range(0, len(images), batch):
        chunk = images[start : start + batch]
        seen = _record(model, chunk, names)
        seen["input"] = chunk.reshape(len(chunk), -1)
        for name in parts:
            parts[name].append(seen[name])
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


@dataclass
class LayersResult:
    """What ``layers`` measured.

    Attributes:
        settings: the settings used.
        source: where the network came from (``'trained here'`` or the run folder).
        points: the places measured, in order.
        accuracy: point name -> probe test accuracy (0-1).
        network_accuracy: the network's own test accuracy.
        projections: point name -> ``(m, 2)`` PCA coordinates of the first 600 test features.
        test_labels: the test labels.
        patches: point name -> ``[(channel, [patch, ...]), ...]`` in [0, 1].
        classes: class names.
    """

    settings: LayersSettings
    source: str
    points: list[Point] = field(default_factory=list)
    accuracy: dict[str, float] = field(default_factory=dict)
    network_accuracy: float = 0.0
    projections: dict[str, np.ndarray] = field(default_factory=dict)
    test_labels: np.ndarray | None = None
    patches: dict[str, list[tuple[int, list[np.ndarray]]]] = field(default_factory=dict)
    classes: tuple[str, ...] = tuple(str(d) for d in range(10))

    def table(self) -> str:
        """One row per point: output shape, receptive field, feature count, probe accuracy."""
        header = ("layer", "what", "output", "field (px)", "features", "probe accuracy")
        rows = [header]
        for p in self.points:
            size = field_size(p.field)
            count = int(np.prod(p.shape))
            rows.append(
                (
                    p.name,
                    p.kind,
                    "x".join(map(str, p.shape)),
                    size,
                    f"{count:,}",
                    f"{100 * self.accuracy[p.name]:.2f}%",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [
            "  ".join(
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def report(self) -> str:
        """The table with what the network and the probes were."""
        s = self.settings
        return "\n".join(
            [
                f"network: {self.source}; its own test accuracy {100 * self.network_accuracy:.2f}%",
                f"probes: ridge classifiers on each layer's features, fitted on {s.probe_size:,} "
                f"training images,\nscored on {s.test_size:,} test images (chance: "
                f"{100 / len(self.classes):.0f}%)",
                "",
                self.table(),
            ]
        )


def _top_patches(
    point: Point, maps: np.ndarray, pixels: np.ndarray, settings: LayersSettings
) -> list[tuple[int, list[np.ndarray]]]:
    """The strongest channels' top patches: one per image, cut around the best unit's field."""
    n, channels, *spatial = (len(maps), *point.shape)
    maps = maps.reshape(n, channels, -1)
    best = maps.max(axis=2)  # (n, channels)
    chosen = np.argsort(best.max(axis=0))[::-1][: settings.channels]
    out = []
    for channel in sorted(chosen.tolist()):
        images = np.argsort(best[:, channel])[::-1][: settings.patches]
        cuts = []
        for index in images:
            unit = np.unravel_index(int(maps[index, channel].argmax()), spatial)
            (top, bottom), (left, right) = point.window(unit)
            cuts.append(
                _cut(
                    pixels[index],
                    int(np.floor(top)),
                    int(np.ceil(bottom)),
                    int(np.floor(left)),
                    int(np.ceil(right)),
                )
            )
        out.append((channel, cuts))
    return out


def _cut(image: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """``image[top:bottom, left:right]`` with zeros where the box leaves the image."""
    height, width = image.shape
    pad = max(0, -top, -left, bottom - height, right - width)
    padded = np.pad(image, pad)
    return padded[top + pad : bottom + pad, left + pad : right + pad]


def _network(
    run: str | Path | None, settings: LayersSettings, root: str | Path | None
) -> tuple[Module, Any, str]:
    """The model, its preprocessing (pad, mean, std, dataset) and where it came from."""
    if run is None:
        images, labels = translation._load(True, settings.train_size, root)
        build = translation.MODELS["LeNet5"][0]
        model, seconds = structure.train_model(
            build, translation._normalised(images), labels, settings
        )
        source = (
            f"LeNet5 trained here on {settings.train_size:,} MNIST digits, "
            f"{settings.epochs} epoch(s), {seconds:.1f} s"
        )
        prep = ("mnist", 0, translation.MNIST_MEAN, translation.MNIST_STD, (1, 28, 28))
        return model, prep, source
    from juanji.apps.training import restore_model

    model, config = restore_model(run)
    p = config.preprocessing
    if DATASETS[config.dataset].size[0] != 1 or len(p.mean) != 1:
        raise JuanjiError(
            f"--run {run}: layers reads 1-channel 28x28 datasets (mnist, fashion-mnist); this "
            f"run was trained on {config.dataset}"
        )
    prep = (config.dataset, p.pad, p.mean[0], p.std[0], tuple(p.input_size))
    return model, prep, f"{config.model} from {run} ({config.dataset})"


def _images(dataset: str, train: bool, size: int, pad: int, root: Any) -> tuple[np.ndarray, ...]:
    data = DATASETS[dataset].factory(root=root, train=train)
    if size > len(data):
        flag = "--probe-size" if train else "--test-size"
        raise JuanjiError(f"{flag} {size:,} is more than the {len(data):,} images {dataset} holds")
    pixels = data.data.numpy()[:size].astype(np.float32) / 255.0
    pixels = np.pad(pixels, ((0, 0), (pad, pad), (pad, pad)))
    return pixels, data.targets.numpy()[:size]


def layers(
    settings: LayersSettings = LayersSettings(),
    run: str | Path | None = None,
    root: str | Path | None = None,
    log: Callable[[str], Any] | None = None,
) -> LayersResult:
    """Probe, project and search patches at every layer of a trained network.

    Args:
        settings: sizes (see ``LayersSettings``).
        run: a ``juanji train`` run folder; default: train LeNet5 on MNIST here.
        root: the data folder (default: ``$JUANJI_DATA``, then the cache).
        log: called with one line per measured layer (e.g. ``print``).

    Raises:
        DataError: the data cannot be found or fetched.
        JuanjiError: a size larger than the dataset, a run on colour images, or a network that
            is not a plain stack of layers.
        CheckpointError: a damaged run folder.
    """
    model, (dataset, pad, mean, std, input_size), source = _network(run, settings, root)
    train_pixels, train_labels = _images(dataset, True, settings.probe_size, pad, root)
    test_pixels, test_labels = _images(dataset, False, settings.test_size, pad, root)
    result = LayersResult(settings, source, test_labels=test_labels)
    result.classes = tuple(DATASETS[dataset].classes)
    result.points = find_points(model, input_size)
    train_x = ((train_pixels - mean) / std)[:, None].astype(np.float32)
    test_x = ((test_pixels - mean) / std)[:, None].astype(np.float32)
    train_features = features(model, result.points, train_x)
    test_features = features(model, result.points, test_x)
    last = result.points[-1].name
    result.network_accuracy = float((test_features[last].argmax(1) == test_labels).mean())
    classes = len(result.classes)
    for point in result.points:
        predicted, alpha = ridge_probe(
            train_features[point.name], train_labels, test_features[point.name], classes
        )
        result.accuracy[point.name] = float((predicted == test_labels).mean())
        result.projections[point.name] = pca_2d(test_features[point.name][:600])
        if point.window is not None and len(point.shape) == 3 and point.name != "input":
            result.patches[point.name] = _top_patches(
                point, test_features[point.name], test_pixels, settings
            )
        if log is not None:
            log(
                f"{point.name:<13} {point.kind:<14} probe {100 * result.accuracy[point.name]:6.2f}%"
                f" (ridge alpha {alpha:g})"
            )
    return result


def save_numbers(result: LayersResult, path: str | os.PathLike) -> Path:
    """Write the settings and, per layer, shape, field and probe accuracy as strict JSON."""
    from juanji.serialization import atomic_write_bytes

    numbers = {
        "settings": asdict(result.settings),
        "source": result.source,
        "network_accuracy": result.network_accuracy,
        "layers": [
            {
                "name": p.name,
                "kind": p.kind,
                "shape": list(p.shape),
                "field": None if p.field is None else list(p.field),
                "probe_accuracy": result.accuracy[p.name],
            }
            for p in result.points
        ],
    }
    text = json.dumps(numbers, indent=2, allow_nan=False) + "\n"
    try:
        return atomic_write_bytes(path, text.encode())
    except OSError as error:
        raise JuanjiError(f"{path}: cannot write ({error.strerror or error})") from error
