"""A/B timing: juanji and PyTorch take turns in one process, and the rounds are summarised.

Why alternate: on a shared machine the speed of the CPU changes from second to second (another
process wakes up, the clock boosts, a cache is flushed). Timing all of juanji and then all of
PyTorch would hand one side the quiet minute. Running ``A B A B ...`` puts both under the same
conditions in every round, and the ratio of the two times *within* a round cancels most of the
drift; the table reports the median of those per-round ratios.

A round of one side calls its workload ``reps`` times back to back and records the mean time per
call. ``reps`` is calibrated once per side after a warm-up call, so that a round lasts at least
``min_round_seconds``; very fast workloads are thereby timed over many calls, not one.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """The per-round times of one workload, one list per side (seconds per call)."""

    name: str
    images: int  # images processed by one call (batch size; 60 000 for an epoch)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Medians, per-round ratio juanji/torch (median, min, max) and images per second."""
        row: dict[str, Any] = {"name": self.name, "images_per_call": self.images}
        for side, values in self.seconds.items():
            median = statistics.median(values)
            row[f"{side}_ms"] = 1e3 * median
            row[f"{side}_min_ms"] = 1e3 * min(values)
            row[f"{side}_images_per_s"] = self.images / median if median > 0 else math.inf
            row[f"{side}_rounds"] = len(values)
        if "juanji" in self.seconds and "torch" in self.seconds:
            ratios = [
                j / t for j, t in zip(self.seconds["juanji"], self.seconds["torch"], strict=True)
            ]
            row["ratio_median"] = statistics.median(ratios)
            row["ratio_min"] = min(ratios)
            row["ratio_max"] = max(ratios)
        return row


def _time_calls(call: Callable[[], Any], reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        call()
    return (time.perf_counter() - start) / reps


class LocalTimer:
    """A workload called in this process: the in-process mode's timer."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call

    def warm(self) -> float:
        """Run once (first-call costs); its seconds."""
        return _time_calls(self.call, 1)

    def time(self, reps: int) -> float:
        """Mean seconds per call over ``reps`` calls."""
        return _time_calls(self.call, reps)


def alternate(
    name: str,
    images: int,
    calls: dict[str, Any],
    rounds: int,
    min_round_seconds: float,
    settle_seconds: float = 0.0,
) -> Timing:
    """Time ``calls`` (side -> zero-argument callable, or a timer) in alternating rounds.

    A timer has ``warm()`` and ``time(reps)`` (``LocalTimer``; ``processes.RemoteTimer`` runs
    the side in its own process); a plain callable is timed here, as a ``LocalTimer``.

    Every side is warmed up by one call (first-call costs: allocations, caches, oneDNN's JIT),
    whose time calibrates ``reps``; then each round runs every side once, in the order of
    ``calls``. A side is thus called ``1 + rounds * reps`` times. Before each round the process
    sleeps ``settle_seconds`` (not timed): the other side's idle threads stop spinning (OpenBLAS
    and OpenMP workers busy-wait for a while after their last job) and leave both cores free.

    Example:
        >>> t = alternate("noop", 1, {"juanji": lambda: None, "torch": lambda: None}, 3, 0.0)
        >>> sorted(t.seconds), len(t.seconds["juanji"])
        (['juanji', 'torch'], 3)
    """
    timers = {side: c if hasattr(c, "warm") else LocalTimer(c) for side, c in calls.items()}
    reps = {}
    for side, timer in timers.items():
        once = timer.warm()  # warm-up; its time (an upper bound) calibrates reps
        reps[side] = max(1, math.ceil(min_round_seconds / max(once, 1e-9)))
    timing = Timing(name, images, {side: [] for side in timers})
    for _ in range(rounds):
        for side, timer in timers.items():
            time.sleep(settle_seconds)
            timing.seconds[side].append(timer.time(reps[side]))
    return timing
