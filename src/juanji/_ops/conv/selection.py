"""How ``"auto"`` picks a convolution algorithm: the per-shape default table, or timing.

**The default table** (``DEFAULTS``): the first row whose algorithm applies to the call and
whose rule holds wins. The rules come from ``python -m benchmarks.algorithms`` on the bench's
conv rows (benchmarks/README.md has the tables): compiled depthwise beats im2col 2-4x wherever
it applies, the plain 1x1 GEMM beats im2col's 1x1 path, Winograd F(4x4, 3x3) beats im2col on
3x3 layers of 32+ channels (16+ on maps that its 4x4 tiles cover exactly) when its transforms
are compiled (with NumPy transforms it loses), and ``gemm`` takes everything else. On more
than one thread F(4x4) keeps only maps of 16x16 and up: on the 14x14 and 7x7 layers of the
Fashion-MNIST model (``s2d-vgg``) it ties gemm layer by layer at 2 threads (34.0 vs 35.7,
38.0 vs 38.6 ms) yet the whole training step is slower with it (142-155 against 119-137 ms
per batch of 128), most likely because its compiled transforms and OpenBLAS's threads
contend in sequence; at one thread it wins there too. F(2x2, 3x3) (``winograd``) has no row:
where it beat gemm, F(4x4) beat it (64->64 on 32x32, fwd+bwd: 122 against 72 ms), and
elsewhere it lost or tied with gemm; benchmark mode still times it.

**Benchmark mode** (``juanji.backends.conv.benchmark = True``, as
``torch.backends.cudnn.benchmark``): the first call with a new key (the geometry: shapes,
dtype, stride, padding, dilation, groups; the thread count; which inputs need a gradient) runs
every applicable auto algorithm on the call's own arrays, forward and, when a gradient is
needed, backward, twice each, and keeps the fastest for the rest of the process
(``results()``). Results differ between algorithms by float rounding only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from juanji._ops import compiled
from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji.backend import get_num_threads, xp_of


def _wide_enough_for_4x4_tiles(g: Geometry) -> bool:
    """32+ channels on 7x7 maps or more (16x16 on 2+ threads); 16+ when 4x4 tiles fit exactly."""
    narrow, exact = min(g.C_in, g.C_out), all(o % 4 == 0 for o in g.out)
    smallest = 7 if get_num_threads() == 1 else 16
    return min(g.out) >= smallest and (narrow >= 32 or (narrow >= 16 and exact))


# (algorithm, rule, the measurement behind it: single-thread CPU ms, fwd+bwd, unless it says)
DEFAULTS: tuple[tuple[str, Callable[[Geometry], bool], str], ...] = (
    ("numba_depthwise", lambda g: True, "depthwise 64 3x3: 13.5 vs gemm 45.8; conv1 4.0 vs 6.9"),
    ("1x1", lambda g: True, "64->256 1x1 on 16x16: 16.6 vs gemm 18.8"),
    (
        "winograd4",
        lambda g: compiled.enabled() and _wide_enough_for_4x4_tiles(g),
        "wall ms, 1 / 2 threads: 64->64 on 32x32 66 / 69 vs gemm 109 / 124; 128->128 on 7x7 "
        "58 / 59 vs 74 / 81 (but s2d-vgg's whole step at 2 threads: 142-155 vs 119-137); "
        "lost on 16->32 14x14, 256->256 4x4 and with NumPy transforms",
    ),
    ("gemm", lambda g: True, "im2col + GEMM: every call"),
)

_cache: dict[tuple, tuple[str, dict[str, float]]] = {}


def default(
    algorithms: dict[str, Algorithm], geometry: Geometry, exact_only: bool = False
) -> Algorithm:
    """The default table's choice for ``geometry`` (among the exact algorithms, if asked)."""
    for name, rule, _ in DEFAULTS:
        algorithm = algorithms.get(name)
        if algorithm is None or (exact_only and not algorithm.exact):
            continue
        if algorithm.applies(geometry) and rule(geometry):
            return algorithm
    return algorithms["gemm"]


def results() -> dict[tuple, tuple[str, dict[str, float]]]:
    """Benchmark mode's choices so far: key -> (winner, {algorithm: seconds})."""
    return dict(_cache)


def reset() -> None:
    """Forget benchmark mode's choices."""
    _cache.clear()


class _Trial:
    """A stand-in for ConvNd's ctx while an algorithm is timed: keeps what it saves."""

    def __init__(self, geometry: Geometry, needs: tuple[bool, ...]) -> None:
        self.geometry, self.needs_input_grad = geometry, needs
        self.requires_grad = any(needs)
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays


def _seconds(algorithm: Algorithm, geometry: Geometry, arrays: tuple, needs: tuple) -> float:
    x, weight, bias = arrays
    best = float("inf")
    for _ in range(2):
        ctx = _Trial(geometry, needs)
        start = time.perf_counter()
        y = algorithm.forward(ctx, x, weight, bias, geometry)
        if ctx.requires_grad:
            algorithm.backward(ctx, xp_of(y).ones_like(y))
        best = min(best, time.perf_counter() - start)
    return best


def benchmarked(
    algorithms: dict[str, Algorithm],
    geometry: Geometry,
    arrays: tuple,
    needs: tuple[bool, ...],
    exact_only: bool = False,
) -> Algorithm:
    """The fastest applicable auto algorithm for this key, timed on its first call."""
    key = (geometry, get_num_threads(), tuple(needs), exact_only)
    if key not in _cache:
        candidates = [
            a
            for a in algorithms.values()
            if a.auto and a.applies(geometry) and (a.exact or not exact_only)
        ]
        times = {a.name: _seconds(a, geometry, arrays, tuple(needs)) for a in candidates}
        _cache[key] = (min(times, key=times.__getitem__), times)
    return algorithms[_cache[key][0]]
