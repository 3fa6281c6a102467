"""Worked examples on small numbers, printed step by step: ``juanji explain TOPIC``.

Topics: ``conv``, ``pad``, ``stride``, ``pool``, ``channels``, ``im2col``, each built on the
notes' own examples (the 3x3 input 0..8 with the kernel [[0, 1], [2, 3]], the two-channel
example, the even-kernel padding rule). Every number shown comes from juanji itself: the padded
grid from ``F.pad``, the windows from slicing it, the padding amounts from ``F.same_padding``,
the matrix of windows from ``F.unfold``. Each step's result is then compared with what
``F.conv2d`` (or ``F.max_pool2d``/``F.avg_pool2d``) returns for the same input, and the text
says so: the lesson and the engine cannot disagree without the explanation failing.

Each function returns an ``Explanation``: the text, the final grid the text ends with, and the
engine's result for the same computation.

Example:
    >>> result = explain("conv")
    >>> result.output.tolist()
    [[19.0, 25.0], [37.0, 43.0]]
    >>> print(result.text.splitlines()[0])
    Convolution: slide the kernel over the input, multiply and add
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import juanji.nn.functional as F
from juanji.apps.viz.explain_text import Explanation, format_grid, indent, number, side_by_side
from juanji.nn.functional.padding import pairs_to_flat
from juanji.tensor.creation import tensor

__all__ = ["Explanation", "TOPICS", "explain", "format_grid", "side_by_side"]

# The notes' examples.
X3 = np.arange(9.0).reshape(3, 3)  # 0..8
K2 = np.array([[0.0, 1.0], [2.0, 3.0]])  # -> [[19, 25], [37, 43]]
X3_SECOND = np.arange(1.0, 10.0).reshape(3, 3)  # the second input channel, 1..9
K2_SECOND = np.array([[1.0, 2.0], [3.0, 4.0]])
Pairs = tuple[tuple[int, int], tuple[int, int]]


def _shape(array: np.ndarray) -> str:
    return " x ".join(str(n) for n in np.shape(array))


def _array(t: object) -> np.ndarray:
    return np.asarray(t.numpy(), dtype=np.float64)  # type: ignore[attr-defined]


def _same(steps: np.ndarray, engine: np.ndarray, what: str) -> str:
    # The whole point of this module: if the two ever differ, the lesson is wrong.
    if steps.shape != engine.shape or not np.allclose(steps, engine):
        raise AssertionError(f"explain: step-by-step result {steps} differs from {what} {engine}")
    return f"{what} gives the same grid: {_inline(engine)}"


def _inline(array: np.ndarray) -> str:
    if array.ndim == 1:
        return "[" + ", ".join(number(v) for v in array) + "]"
    return "[" + ", ".join(_inline(row) for row in array) + "]"


# ---------------------------------------------------------------------------- the core steps
def _pad2d(x: np.ndarray, pads: Pairs) -> np.ndarray:
    """Zero-pad a 2-D grid with ``F.pad`` (pairs in dimension order: (top, bottom), (l, r))."""
    return _array(F.pad(tensor(x), pairs_to_flat(pads)))


def _windows(
    padded: np.ndarray, kernel_shape: tuple[int, int], stride: int
) -> dict[tuple[int, int], tuple[int, int]]:
    """Output cell -> top-left corner of its window in the padded grid."""
    kh, kw = kernel_shape
    rows = (padded.shape[0] - kh) // stride + 1
    cols = (padded.shape[1] - kw) // stride + 1
    return {(i, j): (i * stride, j * stride) for i in range(rows) for j in range(cols)}


def _products(kernel: np.ndarray, window: np.ndarray) -> tuple[str, float]:
    terms = [
        f"{number(k)}*{number(v)}" for k, v in zip(kernel.ravel(), window.ravel(), strict=True)
    ]
    values = kernel.ravel() * window.ravel()
    total = float(values.sum())
    sums = " + ".join(number(v) for v in values)
    return f"{' + '.join(terms)} = {sums} = {number(total)}", total


def _conv_steps(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    pads: Pairs = ((0, 0), (0, 0)),
    draw_windows: bool = False,
) -> tuple[list[str], np.ndarray]:
    """Each output cell as its sum of products over the padded grid, plus the final grid."""
    padded = _pad2d(x, pads)
    corners = _windows(padded, kernel.shape, stride)
    rows = max(i for i, _ in corners) + 1
    cols = max(j for _, j in corners) + 1
    out = np.zeros((rows, cols))
    lines = []
    kh, kw = kernel.shape
    width = max(len(number(v)) for v in padded.ravel())
    for (i, j), (top, left) in corners.items():
        window = padded[top : top + kh, left : left + kw]
        formula, out[i, j] = _products(kernel, window)
        if draw_windows:
            cells = {(top + a, left + b) for a in range(kh) for b in range(kw)}
            lines.append(
                f"out[{i}, {j}]: the window at rows {top}-{top + kh - 1}, "
                f"columns {left}-{left + kw - 1}"
            )
            lines += indent(format_grid(padded, cells, width), 4)
            lines.append(f"    {formula}")
            lines.append("")
        else:
            lines.append(f"out[{i}, {j}] = {formula}")
    return lines, out


def _conv2d(x: np.ndarray, kernel: np.ndarray, **kwargs: object) -> np.ndarray:
    return _array(F.conv2d(tensor(x[None, None]), tensor(kernel[None, None]), **kwargs))[0, 0]


# ---------------------------------------------------------------------------- topics
def explain_conv() -> Explanation:
    """The notes' first example: 3x3 input 0..8, kernel [[0, 1], [2, 3]] -> [[19, 25], [37, 43]].

    Example:
        >>> explain_conv().engine.tolist()
        [[19.0, 25.0], [37.0, 43.0]]
    """
    lines = [
        "Convolution: slide the kernel over the input, multiply and add",
        "",
        "output[x, y] = sum over a, b of  kernel[a, b] * input[x + a, y + b]",
        "(cross-correlation, as in PyTorch and the notes: the kernel is not flipped)",
        "",
        *side_by_side([("input (3 x 3)", format_grid(X3)), ("kernel (2 x 2)", format_grid(K2))]),
        "",
        "output size per dimension: n - k + 1 = 3 - 2 + 1 = 2, so 2 x 2",
        "",
    ]
    steps, out = _conv_steps(X3, K2, draw_windows=True)
    engine = _conv2d(X3, K2)
    lines += steps
    lines += ["output (2 x 2):", *indent(format_grid(out)), "", _same(out, engine, "F.conv2d")]
    lines += [
        "",
        "The same 4 weights are used at every position (translation invariance: one kernel for",
        "the whole image), and each output sees only a 2 x 2 patch (locality: its receptive",
        "field). See `juanji explain im2col` for how the engine does this as one matrix product.",
    ]
    return Explanation("conv", "\n".join(lines), out, engine)


def _padded_example(
    kernel: np.ndarray, kernel_title: str, pads: Pairs, padding: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """X3 padded with ``pads`` by ``F.pad``, every output's sum, and ``conv2d(padding=...)``."""
    padded = _pad2d(X3, pads)
    steps, out = _conv_steps(X3, kernel, pads=pads)
    engine = _conv2d(X3, kernel, padding=padding)
    size = _shape(padded)
    lines = indent(
        side_by_side(
            [
                ("input (3 x 3)", format_grid(X3)),
                (f"padded by F.pad ({size})", format_grid(padded)),
                (kernel_title, format_grid(kernel)),
            ]
        )
    )
    lines += ["", *indent(steps), "", *indent([f"output ({_shape(out)}):", *format_grid(out)])]
    lines += ["  " + _same(out, engine, f"F.conv2d(padding={padding!r})"), ""]
    return lines, out, engine


def explain_pad() -> Explanation:
    """Padding keeps the size: p = k - 1 in total; the odd pixel of an even kernel goes top/left.

    Example:
        >>> explain_pad().output.tolist()
        [[0.0, 3.0, 8.0], [9.0, 19.0, 25.0], [21.0, 37.0, 43.0]]
    """
    odd_kernel = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    odd_pads = F.same_padding((3, 3))
    even_lower = F.same_padding((2, 2), lower=True)
    even_upper = F.same_padding((2, 2))
    lines = [
        "Padding: add rows and columns of zeros so the output keeps the input's size",
        "",
        "Without padding an n x n input and a k x k kernel give (n - k + 1) x (n - k + 1):",
        "every layer would shrink the image by k - 1. With p extra rows and columns in total",
        "the output is (n + p - k + 1); choosing p = k - 1 gives n again (the notes' rule).",
        "",
        "1) odd kernel, k = 3: p = 2, split evenly, p/2 = 1 on every side",
        f"   (F.same_padding(3) = {odd_pads}; padding='same')",
    ]
    lines += _padded_example(odd_kernel, "kernel: a plus (3 x 3)", odd_pads, "same")[0]
    lines += [
        "2) even kernel, k = 2: p = 1 cannot be split evenly. The notes put the odd pixel",
        "   top/left: ceil(p/2) = 1 there, floor(p/2) = 0 at the bottom/right",
        f"   (F.same_padding(2, lower=True) = {even_lower}; juanji's padding='same_lower').",
    ]
    even_lines, out, engine = _padded_example(K2, "kernel (2 x 2)", even_lower, "same_lower")
    lines += even_lines
    upper = _conv2d(X3, K2, padding="same")
    lines += [
        "   PyTorch's padding='same' (and TensorFlow's) puts the odd pixel at the bottom/right",
        f"   instead ({even_upper}): same size, shifted content:",
        *indent(format_grid(upper), 4),
        "",
        "Padding also lets the border pixels be seen as often as the middle ones. With stride s",
        "the size is floor((n + p - k + s) / s): see `juanji explain stride`.",
    ]
    return Explanation("pad", "\n".join(lines), out, engine)


def explain_stride() -> Explanation:
    """Stride 2 keeps every second window: 4x4 input 0..15, kernel [[0, 1], [2, 3]].

    Example:
        >>> explain_stride().output.tolist()
        [[24.0, 36.0], [72.0, 84.0]]
    """
    x = np.arange(16.0).reshape(4, 4)
    lines = [
        "Stride: move the kernel s pixels at a time",
        "",
        "With stride s, padding p (in total) and kernel k, an input of width w gives",
        "  n = floor((w + p - k + s) / s)   outputs (the notes' formula; from w + p = (n-1)s + k)",
        "s = 1 gives w + p - k + 1; when s divides w + p - k + s the output is about w / s:",
        "a stride divides the resolution, which is what large images (the notes' satellite",
        "pictures) need.",
        "",
        *side_by_side([("input (4 x 4)", format_grid(x)), ("kernel (2 x 2)", format_grid(K2))]),
        "",
        "stride 2: n = floor((4 + 0 - 2 + 2) / 2) = 2; windows start at rows and columns 0, 2",
        "",
    ]
    steps, out = _conv_steps(x, K2, stride=2, draw_windows=True)
    engine = _conv2d(x, K2, stride=2)
    dense = _conv2d(x, K2)
    lines += steps
    lines += [
        "output (2 x 2):",
        *indent(format_grid(out)),
        _same(out, engine, "F.conv2d(stride=2)"),
    ]
    lines += [
        "",
        "Stride 1 would give n = 4 - 2 + 1 = 3 outputs per row; stride 2 keeps every second",
        "of them (rows and columns 0 and 2), for a quarter of the work:",
        *indent(format_grid(dense, {(0, 0), (0, 2), (2, 0), (2, 2)})),
        "",
        "A width of 5 would give floor((5 - 2 + 2) / 2) = 2 too: the last column is never",
        f"read (F.conv2d on 5 x 5 gives {_shape(_conv2d(np.zeros((5, 5)), K2, stride=2))}).",
    ]
    return Explanation("stride", "\n".join(lines), out, engine)


def _pool_shift_lines() -> list[str]:
    """A dot moved inside its 2x2 window, and across a window boundary, then max-pooled."""
    dot, moved, crossed = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
    dot[0, 0] = moved[1, 1] = crossed[0, 2] = 1.0
    pooled = [_array(F.max_pool2d(tensor(a[None, None]), 2))[0, 0] for a in (dot, moved, crossed)]
    lines = indent(
        side_by_side(
            [
                ("a bright dot", format_grid(dot)),
                ("moved 1 px down-right", format_grid(moved)),
                ("moved 2 px right", format_grid(crossed)),
            ],
            gap=4,
        )
    )
    return lines + indent(
        side_by_side(
            [
                ("max pool", format_grid(pooled[0])),
                ("max pool: the same", format_grid(pooled[1])),
                ("max pool: changed", format_grid(pooled[2])),
            ],
            gap=4,
        )
    )


def explain_pool() -> Explanation:
    """2x2 max and average pooling with stride 2, and why max pooling tolerates small shifts.

    Example:
        >>> explain_pool().output.tolist()
        [[6.0, 2.0], [2.0, 8.0]]
    """
    x = np.array([[1.0, 3.0, 2.0, 0.0], [5.0, 6.0, 1.0, 2.0], [0.0, 2.0, 7.0, 4.0], [1, 0, 3, 8]])
    t = tensor(x[None, None])
    engine_max = _array(F.max_pool2d(t, 2))[0, 0]
    engine_avg = _array(F.avg_pool2d(t, 2))[0, 0]
    out_max, out_avg = np.zeros((2, 2)), np.zeros((2, 2))
    lines = [
        "Pooling: summarise each window by one number, with no weights to learn",
        "",
        "Like a convolution it slides a window (here 2 x 2, stride 2: windows do not overlap),",
        "but instead of a weighted sum it takes the maximum (max pooling) or the mean (average",
        "pooling) of each channel separately: channels in = channels out, and 0 parameters",
        "(the notes: max pooling, like ReLU, is a function, not a layer with weights).",
        "",
        "input (4 x 4):",
        *indent(format_grid(x)),
        "",
    ]
    for i in range(2):
        for j in range(2):
            window = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            out_max[i, j], out_avg[i, j] = window.max(), window.mean()
            values = ", ".join(number(v) for v in window.ravel())
            lines.append(
                f"out[{i}, {j}]: window ({values}) -> max {number(out_max[i, j])}, "
                f"mean {number(out_avg[i, j])}"
            )
    lines += [
        "",
        *side_by_side(
            [("max pool (2 x 2)", format_grid(out_max)), ("average pool", format_grid(out_avg))]
        ),
        _same(out_max, engine_max, "F.max_pool2d"),
        _same(out_avg, engine_avg, "F.avg_pool2d"),
        "",
        "Why it helps: a feature that moves inside its window leaves the max unchanged.",
    ]
    lines += _pool_shift_lines()
    lines += [
        "",
        "Inside a window the shift disappears; across a window boundary it survives, halved",
        "(2 input pixels became 1 output pixel). Stacked conv + pool layers make the tolerance",
        "grow layer by layer: `juanji experiment translation` measures it on MNIST.",
    ]
    return Explanation("pool", "\n".join(lines), out_max, engine_max)


def _rgb_lines() -> list[str]:
    """The notes' RGB example: 3 x 28 x 28 with a 4 x 3 x 3 x 3 weight, shape from conv2d."""
    rgb = F.conv2d(tensor(np.ones((3, 28, 28))), tensor(np.ones((4, 3, 3, 3))), padding=1)
    return [
        "The notes' RGB example: input 3 x 28 x 28, kernel 4 x 3 x 3 x 3, padding 1:",
        f"  F.conv2d gives {_shape(_array(rgb))} (each 3x3x3 kernel reads all 3 colours, makes"
        " 1 channel);",
        "  4*3*3*3 + 4 = 112 parameters. A 1 x 1 kernel mixes channels only (C_out * C_in",
        "  weights): the notes' channel amplifier/reducer.",
    ]


def _slice_lines(c: int, x: np.ndarray, k: np.ndarray, out: np.ndarray) -> list[str]:
    """Input channel ``c``, its kernel slice and their convolution, side by side."""
    blocks = [
        (f"input channel {c}", format_grid(x)),
        (f"kernel slice {c}", format_grid(k)),
        (f"channel {c} * slice {c}", format_grid(out)),
    ]
    return [*indent(side_by_side(blocks)), ""]


def explain_channels() -> Explanation:
    """Two input channels are summed; each output channel has its own kernel stack.

    Example:
        >>> explain_channels().output.tolist()
        [[56.0, 72.0], [104.0, 120.0]]
    """
    x = np.stack([X3, X3_SECOND])  # (2, 3, 3)
    k = np.stack([K2, K2_SECOND])  # (2, 2, 2): one 2x2 slice per input channel
    w = np.stack([k, k + 1, k + 2])  # (3, 2, 2, 2)
    per_channel = [_conv2d(x[c], k[c]) for c in range(2)]
    summed = per_channel[0] + per_channel[1]
    engine = _array(F.conv2d(tensor(x[None]), tensor(w)))[0]  # (3, 2, 2)
    lines = [
        "Channels: every kernel spans all input channels; one kernel per output channel",
        "",
        "1) C_in = 2 input channels need a kernel with 2 slices; each slice filters its channel",
        "   and the results are added (one output channel):",
        *_slice_lines(0, x[0], k[0], per_channel[0]),
        *_slice_lines(1, x[1], k[1], per_channel[1]),
        "   sum of the two: "
        + " ".join(
            f"{number(a)} + {number(b)} = {number(a + b)};"
            for a, b in zip(per_channel[0].ravel(), per_channel[1].ravel(), strict=True)
        ),
        *indent(["output channel 0:", *format_grid(summed)], 3),
        "",
        "2) C_out = 3 output channels need 3 such kernels: a weight of shape",
        "   (C_out, C_in, kH, kW) = (3, 2, 2, 2). Here kernel o is the kernel above plus o:",
    ]
    lines += indent(
        side_by_side([(f"output channel {o}", format_grid(engine[o])) for o in range(3)])
    )
    lines += [
        "   " + _same(summed, engine[0], "channel 0 of F.conv2d"),
        "",
        "Parameters: C_out * C_in * kH * kW weights + C_out biases = 3*2*2*2 + 3 = 27.",
        *_rgb_lines(),
    ]
    return Explanation("channels", "\n".join(lines), summed, engine[0])


def _im2col_channel_lines() -> list[str]:
    """The two-channel, three-kernel example as one GEMM, checked against conv2d."""
    x = np.stack([X3, X3_SECOND])
    k = np.stack([K2, K2_SECOND])
    w = np.stack([k, k + 1, k + 2])
    cols = _array(F.unfold(tensor(x), 2))
    gemm = w.reshape(3, -1) @ cols
    engine = _array(F.conv2d(tensor(x[None]), tensor(w)))[0]
    return [
        f"  weight (3 x 2*2*2 = {_shape(w.reshape(3, -1))}) @ F.unfold (2*2*2 x 2*2 ="
        f" {_shape(cols)}) = {_shape(gemm)}, reshaped to {_shape(engine)}:",
        *indent(format_grid(gemm), 4),
        "  " + _same(gemm.reshape(3, 2, 2), engine, "F.conv2d").replace("grid", "3 grids"),
    ]


def explain_im2col() -> Explanation:
    """Convolution as one matrix product: ``weight (C_out, C_in*k*k) @ unfold(x) (.., L)``.

    Example:
        >>> explain_im2col().output.tolist()
        [[19.0, 25.0], [37.0, 43.0]]
    """
    cols = _array(F.unfold(tensor(X3[None]), 2))  # (C*kH*kW, L) = (4, 4)
    row = K2.reshape(1, -1)
    gemm = row @ cols
    out = gemm.reshape(2, 2)
    engine = _conv2d(X3, K2)
    lines = [
        "im2col: convolution as one matrix product (how juanji computes every convolution)",
        "",
        "Copy every window into a column (F.unfold, 'image to columns'): row t holds kernel",
        "tap t of every window, column l holds window l (left to right, top to bottom).",
        "",
        *side_by_side([("input (3 x 3)", format_grid(X3)), ("kernel (2 x 2)", format_grid(K2))]),
        "",
        "F.unfold(input, 2): (C_in*kH*kW) x (H_out*W_out) = 4 x 4; window l starts at "
        "(l // 2, l % 2)",
        *indent(format_grid(cols)),
        "  (column 0 is the window at (0, 0): x[0, 0], x[0, 1], x[1, 0], x[1, 1] = 0, 1, 3, 4)",
        "",
        "The kernel flattened into a row, 1 x 4: " + _inline(row[0]),
        "",
        "GEMM: row @ columns = (1 x 4) @ (4 x 4) = 1 x 4:",
    ]
    for l_index in range(cols.shape[1]):
        formula, _ = _products(K2, cols[:, l_index])
        lines.append(f"  column {l_index}: {formula}")
    lines += [
        f"  -> {_inline(gemm[0])}, reshaped to 2 x 2:",
        *indent(format_grid(out)),
        _same(out, engine, "F.conv2d"),
        "",
        "With channels the same holds: the notes' 2-channel input with 3 kernels is",
    ]
    lines += [
        *_im2col_channel_lines(),
        "",
        "Why: one big matrix product runs at the speed of the BLAS library (MKL, OpenBLAS) on",
        "a CPU or cuBLAS on a GPU, highly parallel, instead of millions of tiny loops. This is",
        "the classic way (Caffe's, PyTorch's own CPU fallback); libraries such as oneDNN and",
        "cuDNN also choose other algorithms (direct, Winograd, FFT) per layer shape.",
    ]
    return Explanation("im2col", "\n".join(lines), out, engine)


TOPICS: dict[str, Callable[[], Explanation]] = {
    "conv": explain_conv,
    "pad": explain_pad,
    "stride": explain_stride,
    "pool": explain_pool,
    "channels": explain_channels,
    "im2col": explain_im2col,
    # The chapter after LeNet (explain_modern.py), imported when asked for.
    "batchnorm": lambda: _modern("explain_batchnorm"),
    "residual": lambda: _modern("explain_residual"),
    # The notes' last questions (explain_notes.py), imported when asked for.
    "zero-grad": lambda: _notes("explain_zero_grad"),
    "detach": lambda: _notes("explain_detach"),
    "resolution": lambda: _notes("explain_resolution"),
    "first-layer": lambda: _notes("explain_first_layer"),
    "multi-scale": lambda: _notes("explain_multi_scale"),
    # Fast convolution (explain_fast.py).
    "winograd": lambda: _fast("explain_winograd"),
    "algorithms": lambda: _fast("explain_algorithms"),
}


def _modern(name: str) -> Explanation:
    from juanji.apps.viz import explain_modern

    return getattr(explain_modern, name)()


def _notes(name: str) -> Explanation:
    from juanji.apps.viz import explain_notes

    return getattr(explain_notes, name)()


def _fast(name: str) -> Explanation:
    from juanji.apps.viz import explain_fast

    return getattr(explain_fast, name)()


def explain(topic: str) -> Explanation:
    """The worked example for ``topic`` (one of ``TOPICS``).

    Raises:
        ValueError: an unknown topic (the message lists the known ones).
    """
    if topic not in TOPICS:
        raise ValueError(f"explain: unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    return TOPICS[topic]()
