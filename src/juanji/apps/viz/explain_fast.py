"""Worked examples of fast convolution: ``juanji explain winograd`` and ``algorithms``.

As in ``juanji.apps.viz.explain``, the numbers are computed step by step and then compared with
juanji's own ``F.conv2d`` (forced to each algorithm), and the text says whether they agree.

Example:
    >>> explain_winograd().output.tolist()
    [[-8.0, -8.0], [-8.0, -8.0]]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np

import juanji.nn.functional as F
from juanji.apps.viz.explain_text import Explanation, format_grid, indent, side_by_side
from juanji.autograd.grad_mode import no_grad
from juanji.backends import conv
from juanji.tensor.creation import tensor

__all__ = ["explain_winograd", "explain_algorithms"]

B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)
TILE = np.arange(16.0).reshape(4, 4)  # one 4x4 input tile
SOBEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def _conv(x: np.ndarray, k: np.ndarray, algorithm: str, **kwargs: object) -> np.ndarray:
    with conv.use(algorithm), no_grad():
        return F.conv2d(tensor(x[None, None]), tensor(k[None, None]), **kwargs).numpy()[0, 0]


def explain_winograd() -> Explanation:
    """F(2x2, 3x3) on one tile: two transforms, 16 products, one inverse transform."""
    V = B_T @ TILE @ B_T.T
    U = G @ SOBEL @ G.T
    M = U * V
    Y = A_T @ M @ A_T.T
    engine = _conv(TILE, SOBEL, "gemm")
    winograd = _conv(TILE, SOBEL, "winograd")
    same = np.allclose(Y, engine) and np.allclose(winograd, engine)
    lines = [
        "Winograd F(2x2, 3x3): a 2x2 block of outputs from 16 products instead of 36",
        "",
        "A 3x3 filter over a 4x4 tile gives 2x2 outputs; directly, each output is 9 products",
        "(36 in all). Winograd transforms the tile and the filter so that ONE element-wise",
        "product of two 4x4 grids does the work, then transforms back:",
        "",
        *side_by_side(
            [("input tile d", format_grid(TILE)), ("filter g (Sobel)", format_grid(SOBEL))]
        ),
        "",
        "1. V = B^T d B: additions only (B^T rows: d0-d2, d1+d2, d2-d1, d1-d3)",
        *indent(format_grid(V)),
        "2. U = G g G^T: the filter's transform (halves and sums; done once per filter)",
        *indent(format_grid(U)),
        "3. M = U * V, element by element: the 16 products",
        *indent(format_grid(M)),
        "4. Y = A^T M A: additions only (A^T rows: m0+m1+m2, m1-m2-m3)",
        *indent(format_grid(Y)),
        "",
        "F.conv2d(d, g) with im2col ('gemm') and with 'winograd' "
        + ("gives the same grid:" if same else "gives a DIFFERENT grid (a bug):"),
        *indent(format_grid(engine)),
        "",
        "Across C input channels the element-wise products of step 3 are summed over c, so",
        "they become 16 matrix products (C_out x C_in) @ (C_in x tiles): 16/36 of im2col's",
        "multiply-adds, for the cost of the transforms. The tiles overlap by 2 (stride 2). It",
        "applies to stride-1 3x3 convolutions; its float32 error stays at im2col's level",
        "(benchmarks/README.md). juanji.backends.conv.use('winograd') forces it.",
    ]
    return Explanation("winograd", "\n".join(lines), Y, engine)


# (layer, C_in, C_out, kernel, stride, padding, groups, size): the layers networks are made of
LAYERS = (
    ("LeNet conv1", 1, 6, 5, 1, 2, 1, 28),
    ("LeNet conv2", 6, 16, 5, 1, 0, 1, 14),
    ("ResNet 3x3", 32, 32, 3, 1, 1, 1, 16),
    ("ResNet stem 7x7 s2", 3, 16, 7, 2, 3, 1, 32),
    ("bottleneck 1x1", 32, 64, 1, 1, 0, 1, 16),
    ("MobileNet depthwise 3x3", 32, 32, 3, 1, 1, 32, 16),
)


def _time(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def explain_algorithms() -> Explanation:
    """Which algorithm "auto" picks for each kind of layer, why, and each one's time here."""
    rng = np.random.default_rng(0)
    lines = [
        "Convolution algorithms: which one each layer gets, and why",
        "",
        "juanji.backends.conv.algorithm = 'auto' reads a per-shape table of measurements",
        "(_ops/conv/selection.py); benchmark = True times every algorithm that applies on the",
        "first call of each shape instead. Times below: forward, batch 8, this machine, now:",
        "",
    ]
    worst = 0.0
    for name, c_in, c_out, k, s, p, groups, size in LAYERS:
        x = tensor(rng.standard_normal((8, c_in, size, size)).astype(np.float32))
        w = tensor(rng.standard_normal((c_out, c_in // groups, k, k)).astype(np.float32))
        kwargs = {"stride": s, "padding": p, "groups": groups}
        times, outputs = {}, {}
        for algorithm in conv.available()[1:]:
            if algorithm == "reference":
                continue
            with conv.use(algorithm), no_grad():
                try:
                    outputs[algorithm] = F.conv2d(x, w, **kwargs).numpy()
                except ValueError:  # does not apply to this layer
                    continue
                call = partial(F.conv2d, x, w, **kwargs)
                times[algorithm] = min(_time(call) for _ in range(3))
        with no_grad():
            auto = F.conv2d(x, w, **kwargs).numpy()
        chosen = next(a for a, out in outputs.items() if np.array_equal(out, auto))
        worst = max(
            worst, max(float(np.abs(out - outputs["gemm"]).max()) for out in outputs.values())
        )
        cells = ", ".join(f"{a} {1e3 * t:.2f} ms" for a, t in times.items())
        lines.append(f"{name:<25} {c_in}->{c_out} {k}x{k} s{s} g{groups}: auto = {chosen}")
        lines.append(f"{'':<25} {cells}")
    lines += [
        "",
        "Every algorithm gives the same numbers up to float32 rounding (largest difference "
        f"{worst:.1e}).",
        "Why: 'numba_depthwise' (with juanji[fast]) loops directly over a depthwise filter's",
        "taps, where im2col would copy the input 9 times for 9 multiply-adds; '1x1' is a plain",
        "matrix product (the input already is its own im2col matrix); 'winograd' does 16/36 of",
        "the products of a 3x3 layer; 'gemm' (im2col) takes everything else.",
    ]
    # output: the largest difference between algorithms to 3 decimals; engine: no difference.
    return Explanation("algorithms", "\n".join(lines), np.array(round(worst, 3)), np.array(0.0))
