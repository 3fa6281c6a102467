"""The notes' last questions, answered in numbers: ``juanji explain zero-grad`` and the others.

* ``zero-grad``: why ``optimizer.zero_grad()``: ``backward`` adds into ``.grad``, so without it
  each step uses the sum of all gradients so far; the same adding is what lets two half
  batches give the gradient of the whole batch.
* ``detach``: what ``loss.detach().item()`` keeps and frees: the graph behind a loss (nodes and
  the arrays saved for backward), counted before and after, and a running total that keeps
  every batch's graph alive unless it adds a number.
* ``resolution``: down-sampling a real picture by a strided convolution (plain subsampling)
  and by max and average pooling; the sample's 2-pixel stripes alias under stride 4.
* ``first-layer``: a trained LeNet's first-layer kernels next to oriented edge detectors (the
  notes' V1 cells), each matched by cosine similarity, against random kernels as a baseline.
* ``multi-scale``: the same 3x3 kernel on the picture at three resolutions: fine stripes
  answer at full size, only the big shapes' edges once the picture is 4 times smaller.

As in ``juanji.apps.viz.explain``, the numbers come from juanji (autograd, ``F.conv2d``,
``F.max_pool2d``, ``F.avg_pool2d``) and the text says where a hand computation agrees.

Example:
    >>> result = explain_zero_grad()
    >>> bool(np.allclose(result.output, result.engine))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import juanji.nn as nn
import juanji.nn.functional as F
from juanji.apps.viz.explain_text import Explanation, format_grid, indent, number, side_by_side
from juanji.autograd.grad_mode import no_grad
from juanji.random import manual_seed
from juanji.tensor.creation import randn, tensor
from juanji.tensor.tensor import Tensor

__all__ = [
    "NotesExplanation",
    "explain_zero_grad",
    "explain_detach",
    "explain_resolution",
    "explain_first_layer",
    "explain_multi_scale",
    "graph_size",
    "oriented_edges",
]


@dataclass
class NotesExplanation(Explanation):
    """An ``Explanation`` with the measured numbers its text quotes, by name (for tests, pages).

    ``output`` is a step computed by hand (NumPy) and ``engine`` the same step by juanji, as in
    every ``Explanation``; ``numbers`` holds the rest (counts, contrasts, similarities).
    """

    numbers: dict[str, Any] = field(default_factory=dict)


def _agree(ours: np.ndarray, engine: np.ndarray, what: str) -> str:
    # As explain._same: if the hand computation and juanji ever differ, the lesson is wrong.
    if np.shape(ours) != np.shape(engine) or not np.allclose(ours, engine, rtol=1e-5, atol=1e-6):
        raise AssertionError(f"explain: the hand computation differs from {what}")
    return f"{what} gives the same numbers."


# ------------------------------------------------------------------------------ zero_grad
def explain_zero_grad() -> Explanation:
    """Gradients accumulate in ``.grad``: with and without ``zero_grad``, step by step.

    One weight ``w`` (start 0), one example ``x = 2, y = 6``, loss ``(w*x - y)^2``, SGD with
    lr 0.05. By hand ``dloss/dw = 2*x*(w*x - y)``.

    Example:
        >>> [round(float(g), 4) for g in explain_zero_grad().engine[:, 0]]   # with zero_grad
        [-24.0, -14.4, -8.64]
    """
    x, y, lr = 2.0, 6.0, 0.05
    rows, hand = [], []
    for clear in (True, False):
        w = tensor([0.0], requires_grad=True)
        w_hand, sum_hand = 0.0, 0.0
        for _ in range(3):
            if clear:
                w.grad = None  # what optimizer.zero_grad() does (set_to_none=True)
            loss = ((w * x - y) ** 2).sum()
            loss.backward()
            with no_grad():
                w -= lr * w.grad
            fresh = 2 * x * (w_hand * x - y)
            sum_hand = fresh if clear else sum_hand + fresh
            w_hand -= lr * sum_hand
            rows.append((clear, float(w.grad[0]), float(w[0]), float(loss)))
            hand.append(sum_hand)
    engine = np.array([r[1] for r in rows]).reshape(2, 3).T  # (step, with/without)
    output = np.array(hand).reshape(2, 3).T
    lines = [
        "Why optimizer.zero_grad(): backward() ADDS the new gradient to .grad",
        "",
        f"One weight w = 0, one example x = {number(x)}, y = {number(y)}, "
        f"loss = (w*x - y)^2, SGD lr = {lr}.",
        "By hand dloss/dw = 2*x*(w*x - y). Three steps each way:",
        "",
        "  step   with zero_grad: .grad   w after    |  without: .grad   w after",
    ]
    for step in range(3):
        a, b = rows[step], rows[3 + step]
        lines.append(
            f"  {step + 1:>4}   {a[1]:>20.4g}   {a[2]:>7.4g}    |  {b[1]:>15.4g}   {b[2]:>7.4g}"
        )
    lines += [
        "By hand (the sum of all gradients so far when not cleared): "
        + _agree(output, engine, "juanji's autograd"),
        "",
        "With zero_grad each step follows the gradient at the current w and w walks to "
        f"y/x = {number(y / x)}.",
        "Without it, each step uses the SUM of every gradient so far: the stale ones keep",
        "pushing, and w overshoots.",
        "",
        *_half_batches(),
    ]
    return NotesExplanation("zero-grad", "\n".join(lines), output, engine)


def _half_batches() -> list[str]:
    """The reason backward adds: two halves of a batch give the whole batch's gradient."""
    manual_seed(0)
    layer = nn.Linear(3, 1)
    inputs, targets = randn(4, 3), randn(4, 1)
    F.mse_loss(layer(inputs), targets).backward()
    whole = layer.weight.grad.numpy().astype(np.float64)
    layer.zero_grad()
    for half in (slice(0, 2), slice(2, 4)):
        (F.mse_loss(layer(inputs[half]), targets[half]) / 2).backward()  # no zero_grad between
    halves = layer.weight.grad.numpy().astype(np.float64)
    diff = float(np.abs(whole - halves).max())
    return [
        "Why PyTorch (and juanji) add instead of overwrite: gradient accumulation. A batch of 4",
        "through nn.Linear(3, 1) with mse_loss, then the same batch as two halves of 2, each",
        "loss divided by 2, backward twice WITHOUT zero_grad in between:",
        f"  whole batch  weight.grad = {np.round(whole[0], 5).tolist()}",
        f"  two halves   weight.grad = {np.round(halves[0], 5).tolist()}",
        f"  largest difference {diff:.1e}: the same gradient from half the memory per pass.",
    ]


# ------------------------------------------------------------------------------ detach
def graph_size(root: Tensor) -> tuple[int, int]:
    """Nodes of the graph behind ``root`` and the bytes of the arrays they saved for backward.

    Example:
        >>> x = tensor([1.0, 2.0], requires_grad=True)
        >>> graph_size((x * x).sum())   # MulBackward0 saved x twice (2 x 2 float32)
        (2, 16)
    """
    seen: set[int] = set()
    stack = [root.grad_fn] if root.grad_fn is not None else []
    saved = 0
    while stack:
        node = stack.pop()
        if id(node) in seen or not hasattr(node, "next_functions"):
            continue  # a leaf (AccumulateGrad) or a node already counted
        seen.add(id(node))
        saved += sum(int(getattr(a, "nbytes", 0)) for a in node.saved_tensors)
        stack.extend(parent for parent, _ in node.next_functions if parent is not None)
    return len(seen), saved


def explain_detach() -> Explanation:
    """What a loss tensor holds on to, and what ``detach()``, ``item()`` and backward free.

    Example:
        >>> numbers = explain_detach().numbers
        >>> numbers["after_detach"], numbers["after_backward"]   # (nodes, bytes saved)
        ((0, 0), (1, 0))
    """
    manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(6 * 14 * 14, 10))  # fmt: skip
    batches = [(randn(8, 1, 28, 28), tensor(np.arange(8) % 10)) for _ in range(5)]
    loss = F.cross_entropy(model(batches[0][0]), batches[0][1])
    nodes, saved = graph_size(loss)
    detached = loss.detach()
    after_detach = graph_size(detached)
    value = loss.item()
    loss.backward()
    after_backward = graph_size(loss)
    total: Any = 0.0
    for inputs, targets in batches:  # an evaluation loop without backward
        total = total + F.cross_entropy(model(inputs), targets)
    kept = graph_size(total)
    number = 0.0
    for inputs, targets in batches:
        number += F.cross_entropy(model(inputs), targets).item()
    lines = [
        "What loss.detach().item() keeps and frees",
        "",
        "A small CNN (conv 5x5, ReLU, max-pool, linear) on a batch of 8 random 28x28 images:",
        f"  loss = {value:.4f}, a 0-d tensor with grad_fn {type(loss.grad_fn).__name__}Backward0",
        f"  the graph behind it: {nodes} nodes holding {saved:,} bytes saved for backward",
        "  (the inputs, activations and indices backward will need)",
        "",
        f"loss.detach(): the same value ({detached.item():.4f}), grad_fn None, "
        f"graph {after_detach[0]} nodes, {after_detach[1]} bytes.",
        "  It shares the number's storage and cuts the link to the graph; .item() then gives a",
        "  plain Python float.",
        "",
        f"loss.backward(): the engine uses the graph once and frees it: {after_backward[0]} node",
        f"  left (the loss's own, emptied), {after_backward[1]} bytes saved; a second backward",
        "  is an error. A training loop that calls backward frees each graph this way.",
        "",
        "A running total in a loop that never calls backward (evaluation, logging):",
        f"  total = total + loss over 5 batches: {kept[0]} nodes, {kept[1]:,} bytes kept alive",
        f"  (5 graphs of {nodes} nodes plus the additions: memory grows with every batch)",
        f"  total += loss.item() over the same batches: {number:.4f}, a float: nothing kept.",
    ]
    output = np.array([value, value, number])  # Python floats, summed by hand
    engine = np.array([float(loss), float(detached), float(total)])  # juanji's tensors
    lines.append(
        "  The loss, its detached copy and the tensor total: " + _agree(output, engine, "item()")
    )
    counts = {"nodes": nodes, "saved": saved, "after_detach": after_detach,
              "after_backward": after_backward, "kept": kept}  # fmt: skip
    return NotesExplanation("detach", "\n".join(lines), output, engine, counts)


# ------------------------------------------------------------------------------ pictures
def _sample_gray() -> np.ndarray:
    from juanji.apps.viz import plot

    return plot.read_image(plot.sample_image_path(), gray=True).astype(np.float64)


# The sample's 2-pixel vertical stripes (rows, cols): 5 periods, on multiples of 4 so that every
# scale cuts the same part; and the red disc (10..56) with its edge.
STRIPES = (slice(72, 104), slice(12, 32))
DISC = (slice(16, 52), slice(4, 64))


def _region(array: np.ndarray, region: tuple[slice, slice], factor: int) -> np.ndarray:
    rows, cols = region
    return array[
        rows.start // factor : rows.stop // factor, cols.start // factor : cols.stop // factor
    ]


def _downsample(x: Tensor, method: str, factor: int) -> np.ndarray:
    if method == "stride":  # a 1x1 identity kernel with stride: keep every factor-th pixel
        out = F.conv2d(x, tensor(np.ones((1, 1, 1, 1))), stride=factor)
    elif method == "max":
        out = F.max_pool2d(x, factor)
    else:
        out = F.avg_pool2d(x, factor)
    return out.numpy()[0, 0]


def explain_resolution() -> Explanation:
    """Down-sampling the sample picture by stride and by pooling, at factors 2 and 4.

    Example:
        >>> explain_resolution().numbers["contrast"].shape   # (factor 2 or 4, method)
        (2, 3)
    """
    gray = _sample_gray()
    x = tensor(gray[None, None])
    methods = ("stride", "max", "avg")
    names = {"stride": "conv stride s (1x1)", "max": "max_pool2d(s)", "avg": "avg_pool2d(s)"}
    contrast = np.zeros((2, 3))
    means = np.zeros((2, 3))
    lines = [
        "How resolution drops: a strided convolution vs pooling, on the sample picture",
        "",
        f"The picture is {gray.shape[0]} x {gray.shape[1]} (gray). Its vertical stripes are 2 "
        "pixels white, 2 dark (period 4).",
        "Each method keeps 1 value per s x s block; output size floor((n - s) / s) + 1:",
        "",
        "  factor  method                 output     stripes: mean  contrast (std)",
    ]
    full = gray[STRIPES]
    lines.append(f"  1       (the picture)          {gray.shape[0]:>3} x {gray.shape[1]:<4}"
                 f"          {full.mean():.3f}   {full.std():.3f}")  # fmt: skip
    for i, factor in enumerate((2, 4)):
        for j, method in enumerate(methods):
            out = _downsample(x, method, factor)
            part = _region(out, STRIPES, factor)
            contrast[i, j], means[i, j] = part.std(), part.mean()
            lines.append(
                f"  {factor}       {names[method]:<22} {out.shape[0]:>3} x {out.shape[1]:<4}"
                f"          {part.mean():.3f}   {part.std():.3f}"
            )
    lines += [
        "",
        "Stride 2 still sees both phases of a period-4 stripe. Stride 4 lands on the same phase",
        f"every time: the stripes become a flat block (contrast {contrast[1, 0]:.3f}) of the "
        f"wrong brightness ({means[1, 0]:.3f}",
        f"instead of {full.mean():.3f}): aliasing, the pattern is lost and a false value kept.",
        f"Max pooling says that something bright was there (mean {means[1, 1]:.3f}). Average "
        "pooling keeps the true",
        f"mean brightness ({means[1, 2]:.3f}): it blurs before it subsamples, the classic "
        "anti-aliasing. This is why",
        "CNNs pool (or blur) before they drop resolution, and why a strided conv has to learn to",
        "smooth first.",
    ]
    rows, cols = STRIPES  # average pooling by hand: the mean of each 4 x 4 block
    region = gray[rows, cols]
    ours = region.reshape(region.shape[0] // 4, 4, region.shape[1] // 4, 4).mean(axis=(1, 3))
    engine = _region(_downsample(x, "avg", 4), STRIPES, 4)
    lines.append("The mean of each 4 x 4 block, by hand: " + _agree(ours, engine, "avg_pool2d(4)"))
    numbers = {"contrast": contrast, "means": means, "picture_mean": float(full.mean())}
    return NotesExplanation("resolution", "\n".join(lines), ours, engine, numbers)


def explain_multi_scale() -> Explanation:
    """One 3x3 Laplacian kernel on the picture at full, half and quarter size.

    Example:
        >>> explain_multi_scale().numbers["responses"].shape   # per scale: stripes, disc edge
        (3, 2)
    """
    from juanji.apps import filters

    gray = _sample_gray()
    kernel = filters.get_kernel("laplacian")
    weight = tensor(kernel.numpy().astype(np.float64)[None, None])
    responses = np.zeros((3, 2))
    lines = [
        "Multi-scale features: the same 3x3 kernel (Laplacian) on the picture at 3 resolutions",
        "",
        *indent(format_grid(kernel.numpy())),
        "",
        "Each smaller picture is avg_pool2d of the full one; a 3x3 window then spans 3, 6 or 12",
        "of the original pixels. Mean |response| in two places:",
        "",
        "  scale   picture     3x3 sees      fine stripes   disc edge   stripes / disc",
    ]
    for i, factor in enumerate((1, 2, 4)):
        x = tensor(gray[None, None])
        if factor > 1:
            x = F.avg_pool2d(x, factor)
        out = np.abs(F.conv2d(x, weight, padding=1).numpy()[0, 0])
        stripes = _region(out, STRIPES, factor)[1:-1, 1:-1].mean()  # inside: no border effect
        disc = _region(out, DISC, factor).max(axis=1).mean()  # the strongest edge on each row
        responses[i] = stripes, disc
        lines.append(
            f"  1/{factor:<5} {x.shape[2]:>3} x {x.shape[3]:<5}  {3 * factor:>2} x {3 * factor:<2}"
            f" px      {stripes:>8.3f}   {disc:>9.3f}   {stripes / disc:>10.2f}"
        )
    lines += [
        "",
        f"At full and half size the stripes answer ({responses[0, 0]:.2f}, {responses[1, 0]:.2f}): "
        "the kernel sees detail 2 pixels wide.",
        f"At 1/4 the stripes have averaged to gray ({responses[2, 0]:.2f}), while the disc's edge "
        f"still answers ({responses[2, 1]:.2f}).",
        "One small kernel finds small things on a big picture and big things on a small one: the",
        "reason for image pyramids, and for CNNs whose later layers work on pooled maps with the",
        "same 3x3 kernels (VGG), or use several kernel sizes side by side (GoogLeNet).",
    ]
    # The Laplacian by hand at full size: up + down + left + right - 4 * centre.
    padded = np.pad(gray, 1)
    ours = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
            - 4 * gray)  # fmt: skip
    engine = F.conv2d(tensor(gray[None, None]), weight, padding=1).numpy()[0, 0]
    lines.append("The Laplacian as shifted sums, by hand: " + _agree(ours, engine, "F.conv2d"))
    return NotesExplanation("multi-scale", "\n".join(lines), ours, engine, {"responses": responses})


# ------------------------------------------------------------------------------ V1 cells
def oriented_edges(size: int = 5, angles: tuple[int, ...] = (0, 45, 90, 135)) -> np.ndarray:
    """Odd (edge) Gabor-like detectors at ``angles`` degrees: ``(len(angles), size, size)``.

    Each is the derivative of a Gaussian across the direction ``angle`` (0: a vertical edge,
    dark to light from left to right), zero-mean and unit-norm, like a V1 simple cell.

    Example:
        >>> kernels = oriented_edges()
        >>> kernels.shape, bool(abs(kernels[0].sum()) < 1e-9), bool(kernels[0, 2, 0] < 0)
        ((4, 5, 5), True, True)
    """
    half = (size - 1) / 2
    ys, xs = np.mgrid[-half : half + 1, -half : half + 1]
    sigma = size / 4
    out = []
    for angle in angles:
        theta = np.deg2rad(angle)
        across = xs * np.cos(theta) - ys * np.sin(theta)
        kernel = across * np.exp(-(xs**2 + ys**2) / (2 * sigma**2))
        kernel -= kernel.mean()
        out.append(kernel / np.linalg.norm(kernel))
    return np.array(out)


def _best_match(kernels: np.ndarray, detectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per kernel: the detector with the largest |cosine| and that |cosine|."""
    flat = kernels.reshape(len(kernels), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)  # compare shapes, not brightness
    flat = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)
    cosines = np.abs(flat @ detectors.reshape(len(detectors), -1).T)
    return cosines.argmax(axis=1), cosines.max(axis=1)


def explain_first_layer(model: Any = None, source: str = "") -> Explanation:
    """A LeNet's first-layer kernels next to the oriented edge detector each is closest to.

    Args:
        model: a trained network (default: an untrained LeNet5, which the text says; the
            ``juanji explain`` command passes the newest run's model).
        source: where the model came from, for the text.

    Example:
        >>> from juanji.models import LeNet5
        >>> explain_first_layer(LeNet5(), "an untrained LeNet5").numbers["scores"].shape
        (6,)
    """
    if model is None:
        model, source = _untrained()
    weight = next(p for p in model.parameters() if p.ndim == 4).detach().numpy()[:, 0]
    size = weight.shape[-1]
    angles = (0, 45, 90, 135)
    detectors = oriented_edges(size, angles)
    best, score = _best_match(weight, detectors)
    baseline = _best_match(np.random.default_rng(0).normal(size=(2000, size, size)), detectors)[1]
    lines = [
        "The first layer's kernels next to oriented edge detectors (the notes' V1 simple cells)",
        "",
        f"Model: {source}. Its first layer: {weight.shape[0]} kernels of {size}x{size}.",
        f"Detectors: derivative-of-Gaussian edges at {', '.join(f'{a} deg' for a in angles)}.",
        "Match: |cosine| of the zero-mean kernel with each detector (1 = the same pattern up to",
        "sign and scale; the sign only says dark-to-light or light-to-dark).",
        "",
    ]
    for k in range(weight.shape[0]):
        blocks = [
            (f"kernel {k}", format_grid(np.round(weight[k], 2))),
            (f"closest: {angles[best[k]]} deg", format_grid(np.round(detectors[best[k]], 2))),
        ]
        lines += [*indent(side_by_side(blocks, gap=4)), f"  |cosine| = {score[k]:.2f}", ""]
    lines += [
        f"Mean best |cosine|: learned {score.mean():.2f}; random {size}x{size} kernels "
        f"{baseline.mean():.2f} (2000 draws, the chance level).",
        *_verdict(score, float(baseline.mean())),
    ]
    ours, engine = _cosines_two_ways(weight, detectors)
    lines.append(
        "The |cosines| by hand: " + _agree(ours, engine, "F.conv2d (detectors as kernels)")
    )
    numbers = {"angles": np.array(angles)[best], "scores": score, "chance": float(baseline.mean())}
    return NotesExplanation("first-layer", "\n".join(lines), ours, engine, numbers)


def _cosines_two_ways(kernels: np.ndarray, detectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|cosine| of each zero-mean, unit kernel with each detector: by NumPy and by conv2d.

    A detector the size of the kernel, used as a conv2d weight without padding, gives one
    output: the dot product, the cosine of two unit vectors.
    """
    flat = kernels.astype(np.float64) - kernels.mean(axis=(1, 2), keepdims=True)
    flat = (
        flat / np.maximum(np.linalg.norm(flat.reshape(len(flat), -1), axis=1), 1e-12)[:, None, None]
    )
    ours = np.abs(np.einsum("kij,dij->kd", flat, detectors))
    engine = F.conv2d(tensor(flat[:, None]), tensor(detectors[:, None])).numpy()[:, :, 0, 0]
    return ours, np.abs(engine)


def _verdict(scores: np.ndarray, chance: float) -> list[str]:
    best = int(scores.argmax())
    if scores.mean() > chance + 0.05:
        return [
            f"Above the chance level (kernel {best} best, at {scores[best]:.2f}): the network "
            "found edge-like",
            "detectors by itself, from digits and gradient descent alone, as Hubel and Wiesel's V1",
            "cells respond to oriented edges. Kernels with a low |cosine| are blobs or mixtures.",
        ]
    return [
        "Not above the chance level: these kernels are not (yet) edge detectors. An untrained or",
        "briefly trained network shows this; train longer and look again.",
    ]


def _untrained() -> tuple[Any, str]:
    from juanji.models import LeNet5

    manual_seed(0)
    note = "`juanji explain first-layer` shows the newest run in runs/, or --run RUN_DIR"
    return LeNet5(), f"an UNTRAINED LeNet5 (no trained run given; {note})"
