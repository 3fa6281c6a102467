"""How ``"auto"`` picks a convolution algorithm: the per-shape default table, or timing.

**The default table** (``DEFAULTS``): the first row whose algorithm applies to the call and
whose rule holds wins. The rules come from ``python -m benchmarks.algorithms`` on the bench's
conv rows (benchmarks/README.md has the tables): compiled depthwise beats im2col 2-4x wherever
it applies, the plain 1x1 GEMM beats im2col's 1x1 path, Winograd beats im2col on wide 3x3
layers on one thread when its transforms are compiled (with NumPy transforms it is 10-15 %
slower; at 2 threads its hand-offs eat the gain), and ``gemm`` takes everything else.

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

# (algorithm, rule, the measurement behind it: single-thread CPU ms, fwd+bwd)
DEFAULTS: tuple[tuple[str, Callable[[Geometry], bool], str], ...] = (
    ("numba_depthwise", lambda g: True, "depthwise 64 3x3: 13.5 vs gemm 45.8; conv1 4.0 vs 6.9"),
    ("1x1", lambda g: True, "64->256 1x1 on 16x16: 16.6 vs gemm 18.8"),
    (
        "winograd",
        lambda g: compiled.enabled() and get_num_threads() == 1 and min(g.C_in, g.C_out) >= 16,
        "64->64 3x3 on 32x32, 1 thread: 133 vs gemm 142 (NumPy transforms: 158 vs 137, so "
        "gemm); at 2 threads wall time it tied or lost (146 vs 127 ms), so gemm",
    ),
    ("gemm", lambda g: True, "im2col + GEMM: every call"),
)

_cache: dict[tuple, tuple[str, dict[str, float]]] = {}


def default(algorithms: dict[str, Algorithm], geometry: Geometry) -> Algorithm:
    """The default table's choice for ``geometry``."""
    for name, rule, _ in DEFAULTS:
        algorithm = algorithms.get(name)
        if algorithm is not None and algorithm.applies(geometry) and rule(geometry):
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
    algorithms: dict[str, Algorithm], geometry: Geometry, arrays: tuple, needs: tuple[bool, ...]
) -> Algorithm:
    """The fastest applicable auto algorithm for this key, timed on its first call."""
    key = (geometry, get_num_threads(), tuple(needs))
    if key not in _cache:
        candidates = [a for a in algorithms.values() if a.auto and a.applies(geometry)]
        times = {a.name: _seconds(a, geometry, arrays, tuple(needs)) for a in candidates}
        _cache[key] = (min(times, key=times.__getitem__), times)
    return algorithms[_cache[key][0]]
